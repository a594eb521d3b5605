import { describe, expect, it } from 'vitest';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule } from '../../support/run-module.ts';

// haproxy 2.6's `show stat` header (runtime API), cut to the columns the module reads
const HEAD = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status';
const row = (sv: string, status: string, scur = 0) => `kube-apiserver,${sv},0,0,${scur},0,,0,0,0,,0,,0,0,0,0,${status}`;
const stat = (...rows: string[]) => ({ match: "'show stat'", result: { stdout: [HEAD, 'stats,FRONTEND,,,0,0,,,,,,,,,,,,OPEN', ...rows, 'kube-apiserver,BACKEND,0,0,0,0,,0,0,0,0,0,,0,0,0,0,UP', ''].join('\n') }, once: true });

describe('haproxy_server', () => {
  it('puts a server in maintenance by draining it first, so no request in flight is cut', async () => {
    const t = new RecordingTransport([
      stat(row('h1', 'UP'), row('h2', 'UP', 2)),
      { match: "'set server kube-apiserver/h2 state drain'", once: true },
      stat(row('h1', 'UP'), row('h2', 'DRAIN', 1)),
      stat(row('h1', 'UP'), row('h2', 'DRAIN', 0)),
      { match: "'set server kube-apiserver/h2 state maint'", once: true },
    ]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'maint', timeout: 5 }, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.changes[0]).toBe('set server kube-apiserver/h2 state maint (drained first; was UP, 2 sessions)');
    expect(r.result).toMatchObject({ server: 'h2', state: 'maint', status: 'MAINT', sessions_cut: 0 });
    const sets = t.commands.filter((c) => c.includes("'set server"));
    expect(sets.map((c) => /state (\w+)/.exec(c)?.[1])).toEqual(['drain', 'maint']);
  });

  it('a dead (DOWN) server goes to maintenance without waiting out the timeout', async () => {
    const t = new RecordingTransport([
      stat(row('h2', 'DOWN')),
      { match: "'set server kube-apiserver/h2 state drain'", once: true },
      stat(row('h2', 'DOWN')),
      { match: "'set server kube-apiserver/h2 state maint'", once: true },
    ]);
    const start = Date.now();
    const r = await runModule('haproxy_server', { server: 'h2', state: 'maint', timeout: 30 }, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.result).toMatchObject({ state: 'maint', sessions_cut: 0 });
    expect(Date.now() - start).toBeLessThan(5000);
  });

  it('is ok for a server already in maintenance with no session, and sends nothing', async () => {
    const t = new RecordingTransport([stat(row('h2', 'MAINT'))]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'maint' }, { transport: t });
    expect(r).toMatchObject({ status: 'ok', msg: 'kube-apiserver/h2 is MAINT' });
    expect(t.commands.some((c) => c.includes('set server'))).toBe(false);
  });

  it('shuts down the sessions still open when the wait runs out, and counts them', async () => {
    const t = new RecordingTransport([
      stat(row('h2', 'UP', 1)),
      { match: "'set server kube-apiserver/h2 state drain'", once: true },
      { match: "'shutdown sessions server kube-apiserver/h2'", once: true },
      { match: "'set server kube-apiserver/h2 state maint'", once: true },
      { match: "'show stat'", result: { stdout: [HEAD, row('h2', 'DRAIN', 1)].join('\n') } },
    ]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'maint', timeout: 0 }, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.result).toMatchObject({ sessions_cut: 1, state: 'maint' });
    expect(t.commands.some((c) => c.includes('shutdown sessions server kube-apiserver/h2'))).toBe(true);
  });

  it('makes a server ready and waits until its health check says UP', async () => {
    const t = new RecordingTransport([
      stat(row('h2', 'MAINT')),
      { match: "'set server kube-apiserver/h2 state ready'", once: true },
      stat(row('h2', 'DOWN 1/2')),
      stat(row('h2', 'UP')),
    ]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'ready', timeout: 5 }, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.result).toMatchObject({ status: 'UP' });
  });

  it('fails when a ready server does not come UP in time, naming what haproxy says', async () => {
    const t = new RecordingTransport([stat(row('h2', 'MAINT')), { match: "'set server", once: true }, { match: "'show stat'", result: { stdout: [HEAD, row('h2', 'DOWN')].join('\n') } }]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'ready', timeout: 0 }, { transport: t });
    expect(r.status).toBe('failed');
    expect(r.msg).toBe('kube-apiserver/h2 did not come UP within 0 s (haproxy says DOWN): its health check fails');
  });

  it('a server not in the configuration is out already; asking it ready is an error', async () => {
    const out = await runModule('haproxy_server', { server: 'h9', state: 'maint' }, { transport: new RecordingTransport([stat(row('h1', 'UP'))]) });
    expect(out).toMatchObject({ status: 'ok', msg: 'kube-apiserver/h9 is not configured (servers: h1): nothing routes to it' });
    const ready = await runModule('haproxy_server', { server: 'h9', state: 'ready' }, { transport: new RecordingTransport([stat(row('h1', 'UP'))]) });
    expect(ready).toMatchObject({ status: 'failed', msg: 'backend kube-apiserver has no server h9 (servers: h1)' });
  });

  it('names the socket when haproxy does not answer', async () => {
    const t = new RecordingTransport([{ match: "'show stat'", result: { rc: 1, stderr: 'ConnectionRefusedError: [Errno 111] Connection refused' } }]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'maint' }, { transport: t });
    expect(r.status).toBe('failed');
    expect(r.msg).toContain("haproxy's runtime API did not answer on /run/haproxy/admin.sock: ConnectionRefusedError");
  });

  it('in check mode says what it would set and sends nothing', async () => {
    const t = new RecordingTransport([stat(row('h2', 'UP'))]);
    const r = await runModule('haproxy_server', { server: 'h2', state: 'drain' }, { transport: t, check: true });
    expect(r.status).toBe('changed');
    expect(r.changes[0]).toBe('set server kube-apiserver/h2 state drain (was UP)');
    expect(t.commands.some((c) => c.includes('set server'))).toBe(false);
  });
});
