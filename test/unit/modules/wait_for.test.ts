import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule } from '../../support/run-module.ts';

const t = new LocalTransport('local');
let dir: string;
const servers: Server[] = [];

/** A free port on 127.0.0.1 (bound, then released). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function serve(port: number, greeting = ''): Promise<Server> {
  const s = createServer((c) => c.end(greeting));
  servers.push(s);
  return new Promise((r) => s.listen(port, '127.0.0.1', () => r(s)));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hap-wait-'));
});
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('wait_for (polls on the host)', () => {
  it('waits for a port that opens later', async () => {
    const port = await freePort();
    let openedAt = 0;
    setTimeout(() => {
      openedAt = Date.now();
      void serve(port);
    }, 1200);
    const r = await runModule('wait_for', { port, timeout: 10, sleep: 0.2 }, { transport: t });
    expect(r.status).toBe('ok');
    // it answered once the port opened, not before (elapsed counts from the poll's own start,
    // which a loaded machine delays)
    expect(openedAt).toBeGreaterThan(0);
    expect(r.result.elapsed).toBeGreaterThan(0);
    expect(r.result.elapsed).toBeLessThan(8);
  });

  it('fails after the timeout when the port stays closed', async () => {
    const port = await freePort();
    const r = await runModule('wait_for', { port, timeout: 1, sleep: 0.2 }, { transport: t });
    expect(r).toMatchObject({ status: 'failed', msg: `Timeout when waiting for 127.0.0.1:${port}` });
    expect(r.result.elapsed).toBeGreaterThanOrEqual(1);
  });

  it('uses msg on timeout', async () => {
    const r = await runModule('wait_for', { port: await freePort(), timeout: 0.5, sleep: 0.1, msg: 'apiserver never came up' }, { transport: t });
    expect(r.msg).toBe('apiserver never came up');
  });

  it('waits for a port to stop', async () => {
    const port = await freePort();
    const s = await serve(port);
    setTimeout(() => s.close(), 800);
    const r = await runModule('wait_for', { port, state: 'stopped', timeout: 10, sleep: 0.2 }, { transport: t });
    expect(r.status).toBe('ok');
  });

  it('matches search_regex against what the port sends', async () => {
    const port = await freePort();
    await serve(port, 'SSH-2.0-OpenSSH_9\r\n');
    expect((await runModule('wait_for', { port, search_regex: 'OpenSSH', timeout: 5, sleep: 0.2 }, { transport: t })).status).toBe('ok');
    expect((await runModule('wait_for', { port, search_regex: 'nginx', timeout: 1, sleep: 0.2 }, { transport: t })).status).toBe('failed');
  });

  it('waits for a path that appears, then for text in it', async () => {
    const path = join(dir, 'ready');
    setTimeout(() => void writeFile(path, 'starting\n'), 600);
    expect((await runModule('wait_for', { path, timeout: 10, sleep: 0.2 }, { transport: t })).status).toBe('ok');
    setTimeout(() => void writeFile(path, 'starting\nlistening on 2379\n'), 600);
    const r = await runModule('wait_for', { path, search_regex: 'listening on [0-9]+', timeout: 10, sleep: 0.2 }, { transport: t });
    expect(r).toMatchObject({ status: 'ok', result: { path } });
  });

  it('waits for a path to go away, and times out when it stays', async () => {
    const path = join(dir, 'lock');
    await writeFile(path, '');
    const r = await runModule('wait_for', { path, state: 'absent', timeout: 0.6, sleep: 0.1 }, { transport: t });
    expect(r).toMatchObject({ status: 'failed', msg: `Timeout when waiting for file ${path} to stop` });
    setTimeout(() => void rm(path), 400);
    expect((await runModule('wait_for', { path, state: 'absent', timeout: 10, sleep: 0.1 }, { transport: t })).status).toBe('ok');
  });

  it('drained waits until no connection is left on the port', async () => {
    const port = await freePort();
    const s = createServer(() => {});
    servers.push(s);
    await new Promise<void>((r) => s.listen(port, '127.0.0.1', r));
    expect((await runModule('wait_for', { port, state: 'drained', timeout: 5, sleep: 0.1 }, { transport: t })).status).toBe('ok');
    const client = connect(port, '127.0.0.1');
    await new Promise((r) => client.once('connect', r));
    const busy = await runModule('wait_for', { port, state: 'drained', timeout: 0.5, sleep: 0.1 }, { transport: t });
    expect(busy).toMatchObject({ status: 'failed', msg: `Timeout when waiting for 127.0.0.1:${port} to drain` });
    client.destroy();
  });

  it('with neither port nor path, just waits timeout seconds', async () => {
    const r = await runModule('wait_for', { timeout: 0.5, sleep: 0.1 }, { transport: t });
    expect(r.status).toBe('ok');
    expect(r.result.elapsed).toBeGreaterThanOrEqual(0.5);
  });

  it('polls in one command on the host, with become', async () => {
    const rec = new RecordingTransport([{ match: /^bash -c /, result: { stdout: 'ok 1500\n' } }]);
    const become = { user: 'root', method: 'sudo' as const };
    const r = await runModule('wait_for', { host: '10.0.0.1', port: 6443, delay: 2 }, { transport: rec, become });
    expect(r).toMatchObject({ status: 'ok', result: { elapsed: 1.5, port: 6443 } });
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]).toMatchObject({ opts: { become, timeoutMs: (300 + 2 + 5 + 30) * 1000 } });
    expect(rec.commands[0]).toContain('h=10.0.0.1');
  });

  it.each([
    [{ port: 1, path: '/x' }, /mutually exclusive/],
    [{ path: '/x', state: 'drained' }, /needs port/],
    [{ state: 'stopped' }, /needs port or path/],
  ])('refuses %j', async (args, msg) => {
    expect((await runModule('wait_for', args, { transport: new RecordingTransport() })).msg).toMatch(msg);
  });
});
