import { existsSync } from 'node:fs';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, project } from '../support/project.ts';

/**
 * The malformed-input corpus: one folder per case under cases/, holding the files that differ
 * from defaults/ (a playbook whose first task touches a marker file, a local inventory) and
 * `expect`: the errors, one per line, as `file:line:col: <regular expression of the message>`.
 * Every case must exit 1 (bad input) naming each error's file, line and column, within a few
 * seconds, with the marker untouched: nothing ran.
 */
const HERE = new URL('.', import.meta.url).pathname;
const CASES = (await readdir(join(HERE, 'cases'))).sort();

interface Expected {
  file: string;
  line: number;
  col: number;
  message: RegExp;
}

async function expectations(dir: string): Promise<Expected[]> {
  const text = await readFile(join(dir, 'expect'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const m = /^([^:]+):(\d+):(\d+): (.*)$/.exec(l);
      if (!m) throw new Error(`${dir}/expect: cannot read '${l}'`);
      return { file: m[1]!, line: Number(m[2]), col: Number(m[3]), message: new RegExp(m[4]!) };
    });
}

/** Copies defaults, then the case's own files, into a fresh project; @MARKER@ becomes a path in it. */
async function setUp(name: string): Promise<{ dir: string; marker: string }> {
  const { dir } = await project({});
  const marker = join(dir, 'marker');
  await cp(join(HERE, 'defaults'), dir, { recursive: true });
  await cp(join(HERE, 'cases', name), dir, { recursive: true });
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    const text = bytes.toString('utf8');
    if (text.includes('@MARKER@') && Buffer.from(text, 'utf8').equals(bytes)) await writeFile(path, text.replaceAll('@MARKER@', marker));
  }
  return { dir, marker };
}

describe('the malformed-input corpus', () => {
  it('has at least 60 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(60));
});

describe.each(CASES)('malformed: %s', (name) => {
  it('exits 1 naming file:line:col, before anything runs', { timeout: 20_000 }, async () => {
    const { dir, marker } = await setUp(name);
    const want = await expectations(join(HERE, 'cases', name));
    const args = existsSync(join(dir, 'args')) ? (await readFile(join(dir, 'args'), 'utf8')).trim().split(/\s+/) : [];
    const r = await hap('run', join(dir, 'playbook.yml'), '-i', join(dir, 'inventory.yml'), ...args.map((a) => a.replaceAll('@DIR@', dir)));
    const errors = r.err.filter((l) => l.startsWith('ERROR: '));
    expect(r.code, r.err.join('\n')).toBe(1);
    expect(existsSync(marker), 'the first task ran').toBe(false);
    for (const w of want) {
      const at = `ERROR: ${join(dir, w.file)}:${w.line}:${w.col}: `;
      const hit = errors.find((e) => e.startsWith(at) && w.message.test(e.slice(at.length)));
      expect(hit, `no error '${at}${w.message.source}' among:\n${errors.join('\n')}`).toBeDefined();
    }
    expect(errors.length, errors.join('\n')).toBe(want.length);
  });
});
