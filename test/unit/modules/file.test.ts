import { lstat, mkdir, mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { runModule, type RunOptions } from '../../support/run-module.ts';

let dir: string;
let opts: RunOptions;
const exists = (p: string): Promise<boolean> => lstat(p).then(() => true, () => false);
const modeOf = async (p: string): Promise<number> => (await stat(p)).mode & 0o7777;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hap-file-'));
  opts = { transport: new LocalTransport('local') };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Each case: prepare the temp dir, run the args, check the result; a second run must be ok. */
describe.each([
  {
    name: 'directory with parents and mode',
    args: (d: string) => ({ path: join(d, 'a/b'), state: 'directory', mode: '0750' }),
    check: async (d: string) => expect(await modeOf(join(d, 'a/b'))).toBe(0o750),
  },
  {
    name: 'absent removes a tree',
    prepare: async (d: string) => {
      await mkdir(join(d, 'gone/x'), { recursive: true });
    },
    args: (d: string) => ({ path: join(d, 'gone'), state: 'absent' }),
    check: async (d: string) => expect(await exists(join(d, 'gone'))).toBe(false),
  },
  {
    name: 'touch creates an empty file with mode',
    args: (d: string) => ({ path: join(d, 't'), state: 'touch', mode: '0600', modification_time: 'preserve', access_time: 'preserve' }),
    check: async (d: string) => expect(await modeOf(join(d, 't'))).toBe(0o600),
  },
  {
    name: 'link to a target',
    args: (d: string) => ({ path: join(d, 'l'), state: 'link', src: '/etc/hostname' }),
    check: async (d: string) => expect(await readlink(join(d, 'l'))).toBe('/etc/hostname'),
  },
  {
    name: 'link retargets an existing link',
    prepare: async (d: string) => {
      await runModule('file', { path: join(d, 'l'), src: '/etc/passwd', state: 'link' }, opts);
    },
    args: (d: string) => ({ path: join(d, 'l'), state: 'link', src: '/etc/hosts' }),
    check: async (d: string) => expect(await readlink(join(d, 'l'))).toBe('/etc/hosts'),
  },
  {
    name: 'file sets the mode of an existing file',
    prepare: (d: string) => writeFile(join(d, 'f'), 'x', { mode: 0o644 }),
    args: (d: string) => ({ path: join(d, 'f'), mode: 0o400.toString(8) }),
    check: async (d: string) => expect(await modeOf(join(d, 'f'))).toBe(0o400),
  },
  {
    name: 'recurse sets the mode of everything under a directory',
    prepare: async (d: string) => {
      await mkdir(join(d, 'r/s'), { recursive: true, mode: 0o700 });
      await writeFile(join(d, 'r/s/f'), 'x', { mode: 0o600 });
    },
    args: (d: string) => ({ path: join(d, 'r'), state: 'directory', recurse: true, mode: '0755' }),
    check: async (d: string) => {
      expect(await modeOf(join(d, 'r/s'))).toBe(0o755);
      expect(await modeOf(join(d, 'r/s/f'))).toBe(0o755);
    },
  },
])('file: $name', ({ prepare, args, check }) => {
  it('changes, then is ok; check mode changes nothing', async () => {
    await prepare?.(dir);
    const dry = await runModule('file', args(dir), { ...opts, check: true });
    expect(dry.status).toBe('changed');
    const first = await runModule('file', args(dir), opts);
    expect(first.status).toBe('changed');
    await check(dir);
    const second = await runModule('file', args(dir), opts);
    expect(second).toMatchObject({ status: 'ok', changes: [] });
  });
});

describe('file', () => {
  it('check mode does not create the directory', async () => {
    const r = await runModule('file', { path: join(dir, 'nope'), state: 'directory' }, { ...opts, check: true });
    expect(r.changes).toEqual([`create directory ${join(dir, 'nope')}`]);
    expect(await exists(join(dir, 'nope'))).toBe(false);
  });

  it('touch on an existing file is a change each time, as in Ansible', async () => {
    await writeFile(join(dir, 't'), '');
    expect((await runModule('file', { path: join(dir, 't'), state: 'touch' }, opts)).changes).toEqual([`touch ${join(dir, 't')}`]);
  });

  it.each([
    [{ state: 'file' }, /is absent, cannot continue/],
    [{ state: 'link' }, /needs src/],
  ])('fails with %j on a missing path', async (extra, msg) => {
    const r = await runModule('file', { path: join(dir, 'missing'), ...extra }, opts);
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(msg);
  });

  it('refuses to replace a file by a link without force', async () => {
    await writeFile(join(dir, 'f'), 'x');
    const r = await runModule('file', { path: join(dir, 'f'), state: 'link', src: '/etc/hosts' }, opts);
    expect(r.msg).toMatch(/refusing to convert .* from file to a symlink/);
    const forced = await runModule('file', { path: join(dir, 'f'), state: 'link', src: '/etc/hosts', force: true }, opts);
    expect(forced.status).toBe('changed');
    expect(await readlink(join(dir, 'f'))).toBe('/etc/hosts');
  });

  it('fails when a directory is wanted where a file is', async () => {
    await writeFile(join(dir, 'f'), 'x');
    expect((await runModule('file', { path: join(dir, 'f'), state: 'directory' }, opts)).msg).toMatch(/exists as a file, not a directory/);
  });

  it.skipIf(process.getuid?.() !== 0)('changes the owner (as root)', async () => {
    await writeFile(join(dir, 'o'), 'x');
    const r = await runModule('file', { path: join(dir, 'o'), owner: 'nobody', group: 'nogroup' }, opts);
    expect(r.changes).toEqual([`chown nobody:nogroup ${join(dir, 'o')} (was root:root)`]);
    expect((await stat(join(dir, 'o'))).uid).toBe(65534);
    expect((await runModule('file', { path: join(dir, 'o'), owner: 'nobody', group: 'nogroup' }, opts)).status).toBe('ok');
  });

  it('accepts dest and name as aliases of path', async () => {
    expect((await runModule('file', { dest: join(dir, 'd1'), state: 'directory' }, opts)).status).toBe('changed');
    expect((await runModule('file', { name: join(dir, 'd1'), state: 'directory' }, opts)).status).toBe('ok');
    await expect(runModule('file', { state: 'directory' }, opts)).rejects.toThrow(/invalid args/);
  });
});
