import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FactCache } from '../../../engine/facts/types.ts';
import { pkiRevoke } from '../../../engine/modules/pki_revoke.ts';
import type { ModuleContext, Plan } from '../../../engine/modules/types.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';

const dir = mkdtempSync(join(tmpdir(), 'hap-revoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function context(): ModuleContext {
  const transport = new LocalTransport('localhost');
  return {
    host: 'localhost', transport, facts: new FactCache(transport), vars: {},
    evaluate: () => { throw new Error('not used'); },
    render: (t) => t, findFile: async (_k, name) => name, signal: new AbortController().signal,
  };
}

/** A self-signed certificate and key at <dir>/<name>.{crt,key}; returns its serial as openssl prints it. */
function cert(name: string, cn: string): string {
  mkdirSync(join(dir, name, '..'), { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1',
    '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.crt`)], { stdio: 'ignore' });
  return execFileSync('openssl', ['x509', '-noout', '-serial', '-in', join(dir, `${name}.crt`)]).toString().trim().replace('serial=', '');
}

async function apply(plan: Plan): Promise<void> {
  if (plan.status === 'change') for (const c of plan.changes) await c.apply();
}

describe('pki_revoke', () => {
  it('records the node leaves with serial and subject, removes them from the store, then has nothing to do', async () => {
    const server = cert('etcd/server-h7', 'h7');
    const peer = cert('etcd/peer-h7', 'h7');
    const other = cert('etcd/server-h6', 'h6');
    writeFileSync(join(dir, 'revoked.jsonl'), '');
    const plan = await pkiRevoke.plan({ dir, node: 'h7' }, context());
    expect(plan.status).toBe('change');
    expect(plan.status === 'change' && plan.changes.map((c) => c.summary)[0]).toContain(`etcd/server-h7 (serial ${server})`);
    await apply(plan);
    const list = readFileSync(join(dir, 'revoked.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(list.map((e) => [e.name, e.serial, e.subject, e.node])).toEqual([
      ['etcd/server-h7', server, 'CN=h7', 'h7'],
      ['etcd/peer-h7', peer, 'CN=h7', 'h7'],
    ]);
    expect(list[0]!.revoked_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    for (const f of ['etcd/server-h7.crt', 'etcd/server-h7.key', 'etcd/peer-h7.crt', 'etcd/peer-h7.key']) expect(existsSync(join(dir, f))).toBe(false);
    expect(existsSync(join(dir, 'etcd/server-h6.crt'))).toBe(true);
    expect(other).not.toBe('');

    const again = await pkiRevoke.plan({ dir, node: 'h7' }, context());
    expect(again.status).toBe('ok');
    expect(again.status === 'ok' && again.msg).toContain(`already revoked etcd/server-h7 (serial ${server})`);
  });

  it('refuses a revocation list it cannot read, changing nothing', async () => {
    cert('etcd/server-h5', 'h5');
    writeFileSync(join(dir, 'revoked.jsonl'), '["not a record"]\n');
    const plan = await pkiRevoke.plan({ dir, node: 'h5' }, context());
    expect(plan.status).toBe('failed');
    expect(existsSync(join(dir, 'etcd/server-h5.crt'))).toBe(true);
  });
});
