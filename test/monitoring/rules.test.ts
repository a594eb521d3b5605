import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { MONITORING_ROLE as ROLE, renderRoleTemplate } from './role-vars.ts';

const run = promisify(execFile);
const RULES = 'hap-alerts.yml';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
type RuleFile = { groups: Array<{ name: string; rules: Rule[] }> };

/** The rules template rendered with the role's defaults, as the role installs it. */
const renderedRules = (): Promise<string> => renderRoleTemplate(`rules/${RULES}.hbs`, { groups: {}, hostvars: {} });

/** promtool's exit code and output; never throws. */
async function promtool(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run('promtool', args, { cwd });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number | string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') throw new Error('promtool is missing: install Debian package prometheus (bash .ci/install)');
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/**
 * Copies the role's promtool test files next to `rules` (the runbook lines dropped: promtool
 * compares every annotation, and the runbooks are prose checked apart below) and runs them.
 */
async function testRules(rules: RuleFile): Promise<{ code: number; out: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hap-promtool-'));
  try {
    for (const g of rules.groups) for (const r of g.rules) delete r.annotations?.runbook;
    await writeFile(join(dir, RULES), stringify(rules));
    const tests = (await readdir(join(ROLE, 'tests'))).filter((f) => f.endsWith('.yml')).sort();
    for (const t of tests) await copyFile(join(ROLE, 'tests', t), join(dir, t));
    return await promtool(['test', 'rules', ...tests], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('monitoring alert rules (promtool)', () => {
  let text = '';
  let dir = '';
  beforeAll(async () => {
    text = await renderedRules();
    dir = await mkdtemp(join(tmpdir(), 'hap-rules-'));
    await writeFile(join(dir, RULES), text);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('pass promtool check rules', async () => {
    const r = await promtool(['check', 'rules', RULES], dir);
    expect(r.out).toContain('SUCCESS: 19 rules found');
    expect(r.code).toBe(0);
  });

  it('every alert has a severity, a summary and a runbook line', () => {
    const rules = (parse(text) as RuleFile).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['EtcdNoLeader', 'EtcdMembersDown', 'APIServerDown', 'TargetDown', 'VIPHeldByTwoLBs', 'CertificateExpiry']));
    for (const r of rules) {
      expect(['warning', 'critical'], r.alert).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.runbook?.length ?? 0, r.alert).toBeGreaterThan(40);
      expect(r.annotations?.runbook, r.alert).not.toContain('\n');
    }
  });

  it("pass the role's promtool unit tests (roles/monitoring/tests)", async () => {
    const r = await testRules(parse(text) as RuleFile);
    expect(r.out).not.toContain('FAILED');
    expect(r.code).toBe(0);
  }, 60_000);

  // the same tests must catch a rule whose expression broke
  it.each([
    ['EtcdMembersDown', 'up{job="etcd"} == bool 0', 'up{job="etcd"} == bool 1'],
    ['CertificateExpiry', '- time() <', '- time() >'],
    ['VIPHeldByTwoLBs', '> 1', '> 2'],
  ])('fail when %s is broken', async (alert, from, to) => {
    const rules = parse(text) as RuleFile;
    const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!;
    expect(rule.expr).toContain(from);
    rule.expr = rule.expr.replace(from, to);
    const r = await testRules(rules);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`alertname: ${alert}`);
  }, 60_000);
});
