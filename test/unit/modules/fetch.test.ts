import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fetchDest } from '../../../engine/modules/fetch.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule } from '../../support/run-module.ts';

let dir: string;
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 'hap-fetch-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe.each([
  { args: { src: '/var/backups/etcd/a.db', dest: '/srv/b' }, want: '/srv/b/h1/var/backups/etcd/a.db' },
  { args: { src: 'rel/a.db', dest: '/srv/b/' }, want: '/srv/b/h1/rel/a.db' },
  { args: { src: '/x/a.db', dest: '/srv/b/', flat: true }, want: '/srv/b/a.db' },
  { args: { src: '/x/a.db', dest: '/srv/b/c.db', flat: true }, want: '/srv/b/c.db' },
  { args: { src: '/x/a.db', dest: 'backups/', flat: true }, want: '/play/backups/a.db' },
])('fetchDest($args)', ({ args, want }) => {
  it(`is ${want}`, () => expect(fetchDest(args, 'h1', '/play')).toBe(want));
});

describe('fetchDest refuses', () => {
  it('a relative dest without a playbook directory', () => expect(() => fetchDest({ src: '/a', dest: 'b' }, 'h1')).toThrow(/relative/));
  it('a src climbing out of dest/<host>', () => expect(() => fetchDest({ src: '../../etc/passwd', dest: '/b' }, 'h1')).toThrow(/\.\./));
});

describe('fetch over the local transport', () => {
  const opts = () => ({ transport: new LocalTransport('h1'), vars: { playbook_dir: dir } });

  it('copies once with the host file mode, then is ok; check mode writes nothing', async () => {
    const src = join(dir, 'snap.db');
    await writeFile(src, Buffer.from([0, 1, 2, 3, 255]), { mode: 0o600 });
    const args = { src, dest: `${dir}/out/`, flat: true };
    const planned = await runModule('fetch', args, { ...opts(), check: true });
    expect(planned.status).toBe('changed');
    expect(planned.changes[0]).toBe(`fetch h1:${src} to ${dir}/out/snap.db (5 bytes)`);
    await expect(stat(join(dir, 'out'))).rejects.toThrow();

    const first = await runModule('fetch', args, opts());
    expect(first.status).toBe('changed');
    expect(await readFile(join(dir, 'out/snap.db'))).toEqual(Buffer.from([0, 1, 2, 3, 255]));
    expect((await stat(join(dir, 'out/snap.db'))).mode & 0o777).toBe(0o600);
    expect(first.result.checksum).toBe('ff5d8507b6a72bee2debce2c0054798deaccdc5d8a1b945b6280ce8aa9cba52e');
    expect(first.result.dest).toBe(join(dir, 'out/snap.db'));

    expect((await runModule('fetch', args, opts())).status).toBe('ok');
    await writeFile(src, 'changed');
    const again = await runModule('fetch', args, opts());
    expect(again.status).toBe('changed');
    expect(await readFile(join(dir, 'out/snap.db'), 'utf8')).toBe('changed');
  });

  it('fails on a missing file unless fail_on_missing is false', async () => {
    const args = { src: join(dir, 'nope'), dest: join(dir, 'o'), flat: true };
    const r = await runModule('fetch', args, opts());
    expect(r.status).toBe('failed');
    expect(r.msg).toBe(`file not found on h1: ${join(dir, 'nope')}`);
    expect((await runModule('fetch', { ...args, fail_on_missing: false }, opts())).status).toBe('ok');
  });

  it('refuses a directory', async () => {
    const r = await runModule('fetch', { src: dir, dest: join(dir, 'o'), flat: true }, opts());
    expect(r).toMatchObject({ status: 'failed', msg: `${dir} on h1 is not a regular file (fetch copies files)` });
  });
});

describe('fetch checksum validation', () => {
  // the host reports one checksum when planning, then sends other bytes
  const host = () => {
    const t = new RecordingTransport([{ match: 'stat -c', result: { stdout: `stat regular file|600|0|0|root|root|4|1\nsum ${'0'.repeat(64)}\n` } }], 'h2');
    t.files.set('/var/snap.db', Buffer.from('abcd'));
    return t;
  };

  it('fails when the bytes received do not match the planned checksum, and writes nothing', async () => {
    const r = await runModule('fetch', { src: '/var/snap.db', dest: dir }, { transport: host() });
    expect(r.status).toBe('failed');
    expect(r.msg).toMatch(/^checksum mismatch for h2:\/var\/snap.db: the host had 0{64}, received 88d4266f/);
    await expect(stat(join(dir, 'h2'))).rejects.toThrow();
  });

  it('writes them with validate_checksum: false', async () => {
    const r = await runModule('fetch', { src: '/var/snap.db', dest: dir, validate_checksum: false }, { transport: host() });
    expect(r.status).toBe('changed');
    expect(await readFile(join(dir, 'h2/var/snap.db'), 'utf8')).toBe('abcd');
  });
});
