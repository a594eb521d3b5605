import { applyLimit, selectHosts } from '../inventory/index.ts';
import type { Play, Playbook } from '../playbook/types.ts';
import { HapError } from '../source/errors.ts';
import { UnreachableError } from '../transport/types.ts';
import { batches } from './batches.ts';
import { connectionInfo } from './connection.ts';
import type { RunContext } from './context.ts';
import { gatherFact } from './gather.ts';
import { runHandlers } from './handlers.ts';
import { HostState } from './host.ts';
import { PlayEnv } from './play-env.ts';
import { account, runList } from './tasks.ts';
import { result } from './result.ts';
import { isTemplated, renderValue } from '../vars/interpolate.ts';
import { STOP_REASON, stopping, toRun } from './run-control.ts';
import { abortGates, checkGates, gatesOf, planGates, runGates } from './gates/index.ts';

export interface RunSummary {
  hosts: Map<string, HostState>;
  /** Set when a play stopped early (any_errors_fatal, max_fail_percentage, a refused batch). */
  aborted?: string;
}

/** The hosts a play targets: its pattern, narrowed by --limit. */
export function playHosts(ctx: RunContext, play: Play): string[] {
  // like Ansible, `hosts:` may be a template; only -e values are known before the play starts
  const pattern = isTemplated(play.hosts) ? String(renderValue(play.hosts, { ...play.vars, ...ctx.options.extra.values }, { name: 'hosts', pos: play.pos })) : play.hosts;
  return applyLimit(ctx.inventory, selectHosts(ctx.inventory, pattern), ctx.options.limit);
}

function hostState(ctx: RunContext, playbook: Playbook, play: Play, states: Map<string, HostState>, name: string): HostState {
  let s = states.get(name);
  if (!s) {
    s = new HostState(name, () => {
      // connection variables come from the host's own variables (ladder without task scope)
      const env = new PlayEnv(ctx, playbook, play, states, []);
      const vars = env.varsFor(name);
      const pick: Record<string, unknown> = {};
      for (const k of Object.keys(vars)) if (k.startsWith('ansible_') || k.startsWith('hap_')) pick[k] = vars[k];
      return connectionInfo(name, pick, play.connection);
    });
    states.set(name, s);
  }
  return s;
}

async function gather(env: PlayEnv, hosts: string[]): Promise<void> {
  env.ctx.emit({ event: 'task_start', name: 'Gathering Facts', pos: env.play.pos });
  await Promise.all(
    hosts.map(async (h) => {
      const s = env.hosts.get(h)!;
      let r;
      try {
        await s.open(env.ctx);
        s.gathered = { ...(await s.facts!.get(gatherFact)) };
        r = result('ok');
      } catch (e) {
        if (e instanceof UnreachableError) r = result('unreachable', e.message);
        else r = result('failed', `gathering facts failed: ${(e as Error).message}`);
      }
      account(s, r);
      env.ctx.emit({ event: 'host_result', host: h, task: 'Gathering Facts', status: r.status, msg: r.msg });
    }),
  );
}

async function runPlay(ctx: RunContext, playbook: Playbook, play: Play, states: Map<string, HostState>, playIndex: number, undone: string[]): Promise<string | undefined> {
  const all = playHosts(ctx, play);
  for (const h of all) hostState(ctx, playbook, play, states, h).ended = false;
  ctx.emit({ event: 'play_start', name: play.name, hosts: all, play: playIndex });
  const stateOf = (h: string) => hostState(ctx, playbook, play, states, h);
  const env = new PlayEnv(ctx, playbook, play, states, all, stateOf);
  const live = toRun(ctx, playIndex, all.filter((h) => states.get(h)!.active));
  if (ctx.resume && live.length < all.length) {
    ctx.emit({ event: 'info', msg: `resuming run ${ctx.resume.of}: ${all.length - live.length} of ${all.length} hosts of play '${play.name}' finished there and are skipped` });
    if (live.length === 0) return undefined;
  }
  if (live.length === 0) {
    ctx.emit({ event: 'warning', msg: `play '${play.name}': no hosts matched` });
    return undefined;
  }
  const gates = gatesOf(env, play, stateOf);
  const planned = await planGates(gates, live, play.serial);
  let index = 0;
  const list = batches(planned.hosts, planned.serial);
  for (const batch of list) {
    if (stopping(ctx)) {
      undone.push(...list.slice(index).flat());
      return STOP_REASON;
    }
    env.batch = batch;
    const refused = await runGates(gates, 'before', batch, index);
    if (refused) return refused;
    for (const h of batch) states.get(h)!.seen = true;
    ctx.emit({ event: 'batch_start', index: index++, hosts: batch });
    if (play.gatherFacts) await gather(env, batch.filter((h) => states.get(h)!.active));
    for (const section of [play.preTasks, play.tasks, play.postTasks]) {
      if (env.aborted || env.playEnded) break;
      await runList(env, section, batch);
      await runHandlers(env, batch);
    }
    const failed = batch.filter((h) => !states.get(h)!.active && !states.get(h)!.ended).length;
    if (env.aborted || failed === batch.length) await abortGates(gates, batch, index - 1);
    if (env.aborted) return env.aborted;
    if (env.playEnded) break;
    if (failed === batch.length) return `every host of batch ${index} failed; stopping the play`;
    const unsettled = await runGates(gates, 'after', batch, index - 1);
    if (unsettled) return unsettled;
    ctx.emit({ event: 'batch_end', play: playIndex, index: index - 1, hosts: batch });
  }
  ctx.emit({ event: 'play_end', name: play.name, play: playIndex });
  return undefined;
}

/**
 * The gates' static checks (their settings against the inventory) for every play, before any
 * host is contacted: errors are thrown together (HapErrors), warnings returned.
 */
export async function checkPlaybookGates(ctx: RunContext, playbook: Playbook): Promise<string[]> {
  const warnings: string[] = [];
  const states = new Map<string, HostState>();
  for (const play of playbook.plays) {
    if (!play.quorum && !play.vip) continue;
    const env = new PlayEnv(ctx, playbook, play, states, playHosts(ctx, play));
    warnings.push(...(await checkGates(gatesOf(env, play, (h) => states.get(h)!))));
  }
  return warnings;
}

/** Runs every play in order; returns per-host state for the recap and exit code. */
export async function runPlaybook(ctx: RunContext, playbook: Playbook): Promise<RunSummary> {
  const states = new Map<string, HostState>();
  ctx.emit({ event: 'playbook_start', playbook: playbook.file, check: ctx.options.check });
  let aborted: string | undefined;
  const undone: Array<{ play: string; hosts: string[] }> = [];
  for (const msg of await checkPlaybookGates(ctx, playbook)) ctx.emit({ event: 'warning', msg });
  try {
    for (const [i, play] of playbook.plays.entries()) {
      if (stopping(ctx)) {
        undone.push({ play: play.name, hosts: toRun(ctx, i, playHosts(ctx, play)) });
        aborted = STOP_REASON;
        continue;
      }
      const left: string[] = [];
      aborted = await runPlay(ctx, playbook, play, states, i, left);
      if (left.length) undone.push({ play: play.name, hosts: left });
      if (aborted === STOP_REASON) continue;
      if (aborted) {
        ctx.emit({ event: 'warning', msg: `play '${play.name}' stopped: ${aborted}` });
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof HapError)) throw e;
    aborted = e.toString();
    ctx.emit({ event: 'warning', msg: aborted });
  } finally {
    await Promise.all([...states.values()].map((s) => s.close()));
  }
  if (undone.length) ctx.emit({ event: 'stopped', reason: STOP_REASON, undone });
  const hosts: Record<string, HostState['counts']> = {};
  // as Ansible's recap: a host nothing was counted for (ended before its first task) is left out
  for (const [name, s] of states) if (s.seen && Object.values(s.counts).some((n) => n > 0)) hosts[name] = s.counts;
  ctx.emit({ event: 'recap', hosts });
  return { hosts: states, aborted };
}
