import { describe, expect, it } from 'vitest';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule } from '../../support/run-module.ts';

function unit(active: string, file: string, load = 'loaded', reload = 'no'): string {
  return `ActiveState=${active}\nUnitFileState=${file}\nLoadState=${load}\nNeedDaemonReload=${reload}\n`;
}

function host(show: string): RecordingTransport {
  return new RecordingTransport([
    { match: 'systemctl show', result: { stdout: show } },
    { match: /^systemctl / },
  ]);
}

/** Each case: the unit's state, the args, the systemctl commands the change runs. */
describe.each([
  { name: 'start a stopped unit', show: unit('inactive', 'enabled'), args: { state: 'started' }, run: ['start'] },
  { name: 'started is ok when active', show: unit('active', 'enabled'), args: { state: 'started' }, run: [] },
  { name: 'started is ok when activating', show: unit('activating', 'enabled'), args: { state: 'started' }, run: [] },
  { name: 'stop a running unit', show: unit('active', 'enabled'), args: { state: 'stopped' }, run: ['stop'] },
  { name: 'stopped is ok when failed', show: unit('failed', 'enabled'), args: { state: 'stopped' }, run: [] },
  { name: 'restarted always restarts', show: unit('active', 'enabled'), args: { state: 'restarted' }, run: ['restart'] },
  { name: 'reloaded reloads a running unit', show: unit('active', 'enabled'), args: { state: 'reloaded' }, run: ['reload'] },
  { name: 'reloaded starts a stopped unit', show: unit('inactive', 'enabled'), args: { state: 'reloaded' }, run: ['start'] },
  { name: 'enable and start', show: unit('inactive', 'disabled'), args: { state: 'started', enabled: true }, run: ['enable', 'start'] },
  { name: 'static counts as enabled', show: unit('active', 'static'), args: { enabled: true }, run: [] },
  { name: 'disable an enabled unit', show: unit('active', 'enabled'), args: { enabled: false }, run: ['disable'] },
  { name: 'static cannot be disabled', show: unit('active', 'static'), args: { enabled: false }, run: [] },
  { name: 'mask', show: unit('inactive', 'disabled'), args: { masked: true }, run: ['mask'] },
  { name: 'unmask before start', show: unit('inactive', 'masked', 'masked'), args: { masked: false, state: 'started' }, run: ['unmask', 'start'] },
  { name: 'daemon_reload alone when the unit needs it', show: unit('active', 'enabled', 'loaded', 'yes'), args: { daemon_reload: true }, run: ['daemon-reload'] },
  { name: 'daemon_reload is not a change by itself', show: unit('active', 'enabled'), args: { daemon_reload: true, state: 'started' }, run: [] },
  { name: 'daemon_reload runs first with other changes', show: unit('active', 'enabled'), args: { daemon_reload: true, state: 'restarted' }, run: ['daemon-reload', 'restart'] },
])('systemd: $name', ({ show, args, run }) => {
  it('plans exactly these systemctl calls', async () => {
    const t = host(show);
    const r = await runModule('systemd', { name: 'etcd.service', ...args }, { transport: t });
    expect(r.status).toBe(run.length ? 'changed' : 'ok');
    expect(t.commands[0]).toBe('systemctl show -p ActiveState,UnitFileState,LoadState,NeedDaemonReload -- etcd.service');
    const want = run.map((v) => (v.startsWith('daemon-') ? `systemctl ${v}` : `systemctl ${v} -- etcd.service`));
    expect(t.commands.slice(1)).toEqual(want);
  });
});

describe('systemd', () => {
  it('answers to service and ansible.builtin.systemd_service', async () => {
    for (const name of ['service', 'systemd_service', 'ansible.builtin.service']) {
      const r = await runModule(name, { name: 'x', state: 'started' }, { transport: host(unit('active', 'enabled')) });
      expect(r.status).toBe('ok');
    }
  });

  it('fails on a unit systemd does not know', async () => {
    const r = await runModule('systemd', { name: 'nope', state: 'started' }, { transport: host(unit('inactive', '', 'not-found')) });
    expect(r).toMatchObject({ status: 'failed', msg: 'Could not find the requested service nope on rec' });
  });

  it('reports a failing systemctl with its stderr', async () => {
    const t = new RecordingTransport([
      { match: 'systemctl show', result: { stdout: unit('inactive', 'enabled') } },
      { match: 'systemctl start', result: { rc: 1, stderr: 'Job for etcd.service failed.\n' } },
    ]);
    const r = await runModule('systemd', { name: 'etcd', state: 'started' }, { transport: t });
    expect(r).toMatchObject({ status: 'failed', msg: 'start etcd: Job for etcd.service failed.' });
  });

  it('daemon_reload without a name is a change', async () => {
    const t = host('');
    const r = await runModule('systemd', { daemon_reload: true }, { transport: t });
    expect(r.changes).toEqual(['daemon-reload']);
    expect(t.commands).toEqual(['systemctl daemon-reload']);
  });

  it('check mode plans but runs nothing', async () => {
    const t = host(unit('inactive', 'disabled'));
    const r = await runModule('systemd', { name: 'etcd', state: 'started', enabled: true }, { transport: t, check: true });
    expect(r.changes).toEqual(['enable etcd', 'start etcd']);
    expect(t.commands).toHaveLength(1);
  });

  it('reads the unit with become when the task has it', async () => {
    const t = host(unit('active', 'enabled'));
    const become = { user: 'root', method: 'sudo' as const };
    await runModule('systemd', { name: 'etcd', state: 'started' }, { transport: t, become });
    expect(t.calls[0]).toMatchObject({ op: 'exec', opts: { become } });
  });

  it('rejects unknown states by schema', async () => {
    await expect(runModule('systemd', { name: 'x', state: 'running' }, { transport: host('') })).rejects.toThrow(/invalid args/);
  });
});
