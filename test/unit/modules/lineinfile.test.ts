import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { editBlock } from '../../../engine/modules/blockinfile.ts';
import { editLine } from '../../../engine/modules/lineinfile.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { runModule, type RunOptions } from '../../support/run-module.ts';

describe.each([
  { name: 'appends a missing line', text: 'a\nb\n', args: { line: 'c' }, want: 'a\nb\nc\n', msg: 'line added' },
  { name: 'adds a newline before appending', text: 'a', args: { line: 'c' }, want: 'a\nc\n' },
  { name: 'keeps a present line', text: 'a\nc\n', args: { line: 'c' }, want: 'a\nc\n', msg: '' },
  { name: 'replaces the last regexp match', text: 'x=1\nx=2\ny\n', args: { regexp: '^x=', line: 'x=3' }, want: 'x=1\nx=3\ny\n', msg: 'line replaced' },
  { name: 'replaces the first match with firstmatch', text: 'x=1\nx=2\n', args: { regexp: '^x=', line: 'x=3', firstmatch: true }, want: 'x=3\nx=2\n' },
  { name: 'inserts after the last insertafter match', text: '[a]\nk=1\n[a]\nk=2\n', args: { line: 'new', insertafter: '^\\[a\\]' }, want: '[a]\nk=1\n[a]\nnew\nk=2\n' },
  { name: 'inserts before a match', text: 'a\nend\n', args: { line: 'b', insertbefore: '^end' }, want: 'a\nb\nend\n' },
  { name: 'inserts at BOF', text: 'a\n', args: { line: '#!', insertbefore: 'BOF' }, want: '#!\na\n' },
  { name: 'appends when insertafter does not match', text: 'a\n', args: { line: 'b', insertafter: '^zzz' }, want: 'a\nb\n' },
  { name: 'regexp wins over insertafter', text: 'p=1\nq\n', args: { regexp: '^p=', line: 'p=2', insertafter: '^q' }, want: 'p=2\nq\n' },
  { name: 'backrefs rewrite the match', text: 'port 80\n', args: { regexp: '^port (\\d+)$', line: 'port \\1 # was \\1', backrefs: true }, want: 'port 80 # was 80\n' },
  { name: 'backrefs without a match change nothing', text: 'a\n', args: { regexp: '^port', line: 'port 1', backrefs: true }, want: 'a\n' },
  { name: 'search_string replaces a literal', text: 'a.b=1\n', args: { search_string: 'a.b=', line: 'a.b=2' }, want: 'a.b=2\n' },
  { name: 'absent removes every regexp match', text: 'x1\ny\nx2\n', args: { state: 'absent' as const, regexp: '^x' }, want: 'y\n', msg: '2 line(s) removed' },
  { name: 'absent removes an exact line', text: 'a\nb\n', args: { state: 'absent' as const, line: 'b' }, want: 'a\n' },
  { name: 'inserts into an empty file', text: '', args: { line: 'only' }, want: 'only\n' },
])('editLine: $name', ({ text, args, want, msg }) => {
  it('edits as Ansible does, and a second edit changes nothing', () => {
    const first = editLine(text, args);
    expect(first.text).toBe(want);
    if (msg !== undefined) expect(first.msg).toBe(msg);
    expect(editLine(first.text, args).text).toBe(first.text);
  });
});

const B = '# BEGIN ANSIBLE MANAGED BLOCK';
const E = '# END ANSIBLE MANAGED BLOCK';
describe.each([
  { name: 'appends a block', text: 'a\n', args: { block: 'x\ny' }, want: `a\n${B}\nx\ny\n${E}\n` },
  { name: 'replaces the block between markers', text: `a\n${B}\nold\n${E}\nz\n`, args: { block: 'new' }, want: `a\n${B}\nnew\n${E}\nz\n` },
  { name: 'removes with state absent', text: `a\n${B}\nold\n${E}\n`, args: { state: 'absent' as const }, want: 'a\n' },
  { name: 'removes with an empty block', text: `${B}\nold\n${E}\nz\n`, args: { block: '' }, want: 'z\n' },
  { name: 'custom marker', text: '', args: { block: 'k', marker: '// {mark} hap' }, want: '// BEGIN hap\nk\n// END hap\n' },
  { name: 'insertafter a regexp', text: 'a\nb\n', args: { block: 'k', insertafter: '^a' }, want: `a\n${B}\nk\n${E}\nb\n` },
  { name: 'insertbefore BOF', text: 'a\n', args: { block: 'k', insertbefore: 'BOF' }, want: `${B}\nk\n${E}\na\n` },
  { name: 'absent without markers changes nothing', text: 'a', args: { state: 'absent' as const }, want: 'a' },
])('editBlock: $name', ({ text, args, want }) => {
  it('edits as Ansible does, and a second edit changes nothing', () => {
    const first = editBlock(text, args);
    expect(first.text).toBe(want);
    expect(editBlock(first.text, args).text).toBe(first.text);
  });
});

describe('lineinfile and blockinfile on real files', () => {
  let dir: string;
  let opts: RunOptions;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-line-'));
    opts = { transport: new LocalTransport('local') };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it.each([
    ['lineinfile', { line: 'k=v', regexp: '^k=' }, 'a\nk=v\n'],
    ['blockinfile', { block: 'k=v' }, `a\n${B}\nk=v\n${E}\n`],
  ])('%s: diff, check mode, write, then ok', async (module, args, want) => {
    const path = join(dir, 'conf');
    await writeFile(path, 'a\n', { mode: 0o640 });
    const dry = await runModule(module, { path, ...args }, { ...opts, check: true });
    expect(dry.diffs).toEqual([{ path, before: 'a\n', after: want }]);
    expect(await readFile(path, 'utf8')).toBe('a\n');
    expect((await runModule(module, { path, ...args }, opts)).status).toBe('changed');
    expect(await readFile(path, 'utf8')).toBe(want);
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect((await runModule(module, { path, ...args }, opts)).status).toBe('ok');
  });

  it('fails on a missing file unless create is set', async () => {
    const path = join(dir, 'new');
    expect((await runModule('lineinfile', { path, line: 'x' }, opts)).msg).toMatch(/does not exist \(set create: true/);
    const r = await runModule('lineinfile', { path, line: 'x', create: true, mode: '0600' }, opts);
    expect(r.status).toBe('changed');
    expect(await readFile(path, 'utf8')).toBe('x\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('is ok when removing from a missing file', async () => {
    expect((await runModule('lineinfile', { path: join(dir, 'none'), line: 'x', state: 'absent' }, opts)).status).toBe('ok');
  });

  it('changes only the mode when the text is already right', async () => {
    const path = join(dir, 'm');
    await writeFile(path, 'x\n', { mode: 0o600 });
    const r = await runModule('lineinfile', { path, line: 'x', mode: '0644' }, opts);
    expect(r.changes).toEqual([`chmod 0644 ${path} (was 0600)`]);
  });

  it('leaves a file that is not UTF-8 alone when the line is there', async () => {
    const path = join(dir, 'latin1');
    await writeFile(path, Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6b, 0x0a]));
    expect((await runModule('lineinfile', { path, line: 'k' }, opts)).status).toBe('ok');
  });

  it('reports a bad regexp as a failure', async () => {
    await writeFile(join(dir, 'r'), '');
    const r = await runModule('lineinfile', { path: join(dir, 'r'), line: 'x', regexp: '(' }, opts);
    expect(r.msg).toMatch(/regexp: invalid regular expression/);
  });
});
