import { gather } from '../facts/gather.ts';
import { unitFact, type UnitState } from '../facts/systemd.ts';
import { sh } from '../transport/quote.ts';
import { shellChange } from './file-attrs.ts';
import type { Change, ModuleDef, Plan } from './types.ts';

export interface SystemdArgs {
  name?: string;
  state?: 'started' | 'stopped' | 'restarted' | 'reloaded';
  enabled?: boolean;
  masked?: boolean;
  daemon_reload?: boolean;
  daemon_reexec?: boolean;
}

/** UnitFileState values `systemctl is-enabled` treats as enabled. */
const ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient']);
/** Of those, the ones `systemctl disable` can change. */
const DISABLEABLE = new Set(['enabled', 'enabled-runtime', 'alias']);
const RUNNING = new Set(['active', 'activating', 'reloading']);

/**
 * Plans unit changes in the order mask/unmask, enable/disable, start/stop/restart/reload.
 *
 * daemon_reload: Ansible always reloads but does not count it as a change. A plan cannot run
 * it, so hap plans it as a change only when it matters: the unit reports NeedDaemonReload,
 * or another change is planned (then it runs first). Without `name` it is always a change.
 */
export function planUnit(
  args: SystemdArgs,
  unit: UnitState | undefined,
  host: string,
  systemctl: (summary: string, verb: string) => Change,
): Plan {
  const name = args.name ?? '';
  const changes: Change[] = [];
  const status = unit ? { ActiveState: unit.activeState, UnitFileState: unit.unitFileState, LoadState: unit.loadState } : undefined;
  const result = { name, ...(status ? { status } : {}) };
  if (unit) {
    const wantsUnit = args.state !== undefined || args.enabled !== undefined;
    const masked = unit.unitFileState === 'masked' || unit.loadState === 'masked';
    if (unit.loadState === 'not-found' && wantsUnit && args.masked !== false) {
      return { status: 'failed', msg: `Could not find the requested service ${name} on ${host}`, result };
    }
    if (args.masked === true && !masked) changes.push(systemctl(`mask ${name}`, 'mask'));
    if (args.masked === false && masked) changes.push(systemctl(`unmask ${name}`, 'unmask'));
    if (args.enabled === true && !ENABLED.has(unit.unitFileState)) changes.push(systemctl(`enable ${name}`, 'enable'));
    if (args.enabled === false && DISABLEABLE.has(unit.unitFileState)) changes.push(systemctl(`disable ${name}`, 'disable'));
    const running = RUNNING.has(unit.activeState);
    if (args.state === 'started' && !running) changes.push(systemctl(`start ${name}`, 'start'));
    if (args.state === 'stopped' && (running || unit.activeState === 'deactivating')) changes.push(systemctl(`stop ${name}`, 'stop'));
    if (args.state === 'restarted') changes.push(systemctl(`restart ${name}`, 'restart'));
    if (args.state === 'reloaded') changes.push(running ? systemctl(`reload ${name}`, 'reload') : systemctl(`start ${name}`, 'start'));
  }
  if (args.daemon_reexec && (changes.length || !unit)) changes.unshift(systemctl('daemon-reexec', 'daemon-reexec'));
  if (args.daemon_reload && (changes.length || !unit || unit.needDaemonReload)) changes.unshift(systemctl('daemon-reload', 'daemon-reload'));
  const state = args.state ? { state: args.state } : {};
  return changes.length ? { status: 'change', changes, result: { ...result, ...state } } : { status: 'ok', result: { ...result, ...state } };
}

export const systemd: ModuleDef<SystemdArgs> = {
  name: 'systemd',
  aliases: ['service', 'systemd_service'],
  schema: {
    type: 'object',
    additionalProperties: false,
    anyOf: [
      { required: ['name'] },
      { required: ['daemon_reload'] },
      { required: ['daemon_reexec'] },
    ],
    properties: {
      name: { type: 'string', minLength: 1 },
      state: { enum: ['started', 'stopped', 'restarted', 'reloaded'] },
      enabled: { type: 'boolean' },
      masked: { type: 'boolean' },
      daemon_reload: { type: 'boolean' },
      daemon_reexec: { type: 'boolean' },
    },
  },
  async plan(args, ctx) {
    if (args.name === undefined && (args.state || args.enabled !== undefined || args.masked !== undefined)) {
      return { status: 'failed', msg: 'state, enabled and masked need name' };
    }
    const unit = args.name !== undefined ? await gather(ctx, unitFact(args.name)) : undefined;
    const systemctl = (summary: string, verb: string): Change =>
      shellChange(ctx, summary, verb.startsWith('daemon-') ? sh`systemctl ${verb}` : sh`systemctl ${verb} -- ${args.name ?? ''}`);
    return planUnit(args, unit, ctx.host, systemctl);
  },
};
