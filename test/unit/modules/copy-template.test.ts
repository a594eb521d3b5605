import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { runModule, type RunOptions } from '../../support/run-module.ts';

let dir: string;
let opts: RunOptions;
const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o7777;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hap-copy-'));
  await mkdir(join(dir, 'files'));
  await mkdir(join(dir, 'templates'));
  opts = {
    transport: new LocalTransport('local'),
    dirs: { files: [join(dir, 'files')], templates: [join(dir, 'templates')] },
    vars: { name: 'world' },
    render: (text) => text.replace(/\{\{\s*name\s*\}\}/g, 'world'),
  };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe.each([
  { what: 'content', args: (d: string) => ({ content: 'hello\n', dest: join(d, 'out.txt') }), want: 'hello\n' },
  { what: 'src', args: (d: string) => ({ src: 'a.txt', dest: join(d, 'out.txt') }), want: 'from src\n' },
  { what: 'template', args: (d: string) => ({ src: 'a.conf.j2', dest: join(d, 'out.txt') }), want: 'hello world\n' },
])('copy/template from $what', ({ what, args, want }) => {
  const module = what === 'template' ? 'template' : 'copy';
  beforeEach(async () => {
    await writeFile(join(dir, 'files', 'a.txt'), 'from src\n');
    await writeFile(join(dir, 'templates', 'a.conf.j2'), 'hello {{ name }}\n');
  });

  it('writes once, then is ok', async () => {
    const a = { ...args(dir), mode: '0640' };
    const first = await runModule(module, a, opts);
    expect(first.status).toBe('changed');
    expect(first.changes[0]).toMatch(/^create .*out\.txt/);
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe(want);
    expect(await modeOf(join(dir, 'out.txt'))).toBe(0o640);
    const second = await runModule(module, a, opts);
    expect(second.status).toBe('ok');
    expect(second.changes).toEqual([]);
  });

  it('check mode reports the change with a diff and writes nothing', async () => {
    await writeFile(join(dir, 'out.txt'), 'old\n');
    const r = await runModule(module, args(dir), { ...opts, check: true });
    expect(r.status).toBe('changed');
    expect(r.diffs).toEqual([{ path: join(dir, 'out.txt'), before: 'old\n', after: want }]);
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('old\n');
  });
});

describe('copy', () => {
  it('changes only the mode when the content matches', async () => {
    const dest = join(dir, 'm.txt');
    await writeFile(dest, 'same', { mode: 0o600 });
    const r = await runModule('copy', { content: 'same', dest, mode: 0o644 }, opts);
    expect(r.changes).toEqual([`chmod 0644 ${dest} (was 0600)`]);
    expect(r.diffs).toEqual([]);
    expect(await modeOf(dest)).toBe(0o644);
    expect((await runModule('copy', { content: 'same', dest, mode: '0644' }, opts)).status).toBe('ok');
  });

  it('keeps the mode of an existing file when none is given', async () => {
    const dest = join(dir, 'keep.txt');
    await writeFile(dest, 'a', { mode: 0o600 });
    await runModule('copy', { content: 'b', dest }, opts);
    expect(await modeOf(dest)).toBe(0o600);
  });

  it('copies into a directory under the source name', async () => {
    await writeFile(join(dir, 'files', 'a.txt'), 'x');
    await mkdir(join(dir, 'sub'));
    const r = await runModule('copy', { src: 'a.txt', dest: join(dir, 'sub') }, opts);
    expect(r.status).toBe('changed');
    expect(await readFile(join(dir, 'sub', 'a.txt'), 'utf8')).toBe('x');
  });

  it('leaves an existing file alone with force: false', async () => {
    const dest = join(dir, 'f.txt');
    await writeFile(dest, 'mine');
    expect((await runModule('copy', { content: 'theirs', dest, force: false }, opts)).status).toBe('ok');
    expect(await readFile(dest, 'utf8')).toBe('mine');
  });

  it('validates on a temp copy and keeps the old file when validation fails', async () => {
    const dest = join(dir, 'v.conf');
    await writeFile(dest, 'good\n');
    const bad = await runModule('copy', { content: 'bad\n', dest, validate: 'grep -q good %s' }, opts);
    expect(bad.status).toBe('failed');
    expect(bad.msg).toMatch(/validation failed \(rc 1\)/);
    expect(await readFile(dest, 'utf8')).toBe('good\n');
    const ok = await runModule('copy', { content: 'good too\n', dest, validate: 'grep -q good %s' }, opts);
    expect(ok.status).toBe('changed');
    expect(await readFile(dest, 'utf8')).toBe('good too\n');
  });

  it('refuses a validate without %s', async () => {
    const r = await runModule('copy', { content: 'x', dest: join(dir, 'x'), validate: 'true' }, opts);
    expect(r).toMatchObject({ status: 'failed', msg: expect.stringMatching(/%s/) });
  });

  it('backs up the old file', async () => {
    const dest = join(dir, 'b.txt');
    await writeFile(dest, 'one');
    const r = await runModule('copy', { content: 'two', dest, backup: true }, opts);
    const backup = r.result.backup_file as string;
    expect(backup).toMatch(/b\.txt\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
    expect(await readFile(backup, 'utf8')).toBe('one');
  });

  it('copies a file that is already on the host with remote_src', async () => {
    await writeFile(join(dir, 'remote.txt'), 'remote');
    await runModule('copy', { src: join(dir, 'remote.txt'), remote_src: true, dest: join(dir, 'r2.txt') }, opts);
    expect(await readFile(join(dir, 'r2.txt'), 'utf8')).toBe('remote');
  });

  it('does not put binary content in a diff', async () => {
    await writeFile(join(dir, 'files', 'bin'), Buffer.from([0, 1, 2, 255]));
    const r = await runModule('copy', { src: 'bin', dest: join(dir, 'bin') }, { ...opts, check: true });
    expect(r.changes[0]).toMatch(/binary/);
    expect(r.diffs).toEqual([]);
  });

  it.each([
    [{ dest: '/tmp/x' }, /exactly one of src or content/],
    [{ content: 'a', src: 'b', dest: '/tmp/x' }, /exactly one of src or content/],
    [{ src: 'missing.txt', dest: '/tmp/x' }, /could not find files\/missing.txt/],
  ])('fails on bad arguments %j', async (args, msg) => {
    const r = await runModule('copy', args, opts);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(msg);
  });

  it.each([
    { content: 'a', dest: '/tmp/x', mode: 'rw' },
    { content: 'a', dest: '/tmp/x', unknown: 1 },
    { content: 1, dest: '/tmp/x' },
  ])('rejects by schema %j', async (args) => {
    await expect(runModule('copy', args, opts)).rejects.toThrow(/invalid args/);
  });
});

describe('template', () => {
  it('reports a render error as a failure', async () => {
    await writeFile(join(dir, 'templates', 'bad.j2'), 'x');
    const r = await runModule('template', { src: 'bad.j2', dest: join(dir, 'o') }, {
      ...opts,
      render: () => {
        throw new Error('bad.j2:1:1: missing variable');
      },
    });
    expect(r).toMatchObject({ status: 'failed', msg: 'bad.j2:1:1: missing variable' });
  });

  it('validates the rendered file before it replaces the old one', async () => {
    await writeFile(join(dir, 'templates', 't.j2'), 'listen {{ name }}\n');
    const dest = join(dir, 'haproxy.cfg');
    const r = await runModule('template', { src: 't.j2', dest, validate: "grep -q 'listen world' %s" }, opts);
    expect(r.status).toBe('changed');
    expect(await readFile(dest, 'utf8')).toBe('listen world\n');
  });
});
