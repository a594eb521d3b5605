import pLimit from 'p-limit';
import type { BlockTask, IncludeTask, MetaTask, Task } from '../playbook/types.ts';
import { HapError } from '../source/errors.ts';
import { evaluateCondition } from '../vars/expr.ts';
import { renderValue } from '../vars/interpolate.ts';
import { validate } from '../schemas/ajv.ts';
import { runModuleTask } from './module-task.ts';
import type { PlayEnv } from './play-env.ts';
import { registered, type TaskResult } from './result.ts';
import type { HostState } from './host.ts';
import { runHandlers } from './handlers.ts';

/** Ansible's tag selection: `always` runs unless skipped by name, `never` only when asked. */
export function selected(tags: string[], only: string[], skip: string[]): boolean {
  if (skip.length && (skip.includes('all') || tags.some((t) => skip.includes(t)))) return false;
  if (tags.includes('always')) return true;
  if (tags.includes('never') && !tags.some((t) => only.includes(t) && t !== 'never')) return false;
  if (only.length === 0 || only.includes('all')) return true;
  if (only.includes('tagged') && tags.length) return true;
  if (only.includes('untagged') && tags.length === 0) return true;
  return tags.some((t) => only.includes(t));
}

/** Counts a task result into the host's recap (ok includes changed and ignored, as Ansible). */
export function account(state: HostState, r: TaskResult): void {
  const c = state.counts;
  if (r.status === 'ok' || r.status === 'changed' || r.status === 'ignored') c.ok++;
  if (r.status === 'changed') c.changed++;
  if (r.status === 'ignored') c.ignored++;
  if (r.status === 'skipped') c.skipped++;
  if (r.status === 'failed') {
    c.failed++;
    state.failed = true;
  }
  if (r.status === 'unreachable') {
    c.unreachable++;
    state.unreachable = true;
  }
}

/** Validates a role's arguments (meta/argument_specs) once per host before its first task. */
function checkRoleArgs(env: PlayEnv, task: Task, host: string): void {
  const entry = task.roleEntry;
  if (!entry?.role.argSchema) return;
  const key = `${host}\0${entry.key}`;
  if (env.validatedRoles.has(key)) return;
  env.validatedRoles.add(key);
  const vars = env.varsFor(host, task);
  const props = Object.keys((entry.role.argSchema.properties as object) ?? {});
  const values: Record<string, unknown> = {};
  for (const p of props) if (p in vars) values[p] = vars[p];
  const errs = validate(entry.role.argSchema, values, `role ${entry.role.name} arguments`);
  if (errs.length) throw new HapError(`role '${entry.role.name}' arguments are invalid: ${errs.map((e) => e.message).join('; ')}`, task.pos);
}

/**
 * Runs a task list over hosts with the linear strategy: each task on every host (bounded by
 * --forks) before the next. Returns the hosts that failed in this list.
 */
export async function runList(env: PlayEnv, tasks: Task[], hosts: string[]): Promise<Set<string>> {
  const failed = new Set<string>();
  const { options } = env.ctx;
  for (const task of tasks) {
    if (env.aborted || env.playEnded) break;
    const active = hosts.filter((h) => env.hosts.get(h)!.active && !failed.has(h));
    if (active.length === 0) break;
    env.step();
    if (task.kind === 'block') {
      for (const h of await runBlock(env, task, active)) failed.add(h);
      continue;
    }
    if (task.kind === 'include') {
      for (const h of await runInclude(env, task, active)) failed.add(h);
      continue;
    }
    if (!selected(task.tags, options.tags, options.skipTags)) continue;
    if (task.kind === 'meta') {
      await runMeta(env, task, active);
      continue;
    }
    env.ctx.emit({ event: 'task_start', name: task.name, role: task.origin.role?.name, pos: task.pos, handler: env.play.handlers.some((h) => h.task === task) || undefined });
    const limit = pLimit(Math.max(1, options.forks));
    const targets = task.runOnce ? active.slice(0, 1) : active;
    const results = await Promise.all(
      targets.map((h) =>
        limit(async () => {
          try {
            checkRoleArgs(env, task, h);
          } catch (e) {
            if (!(e instanceof HapError)) throw e;
            env.ctx.emit({ event: 'host_result', host: h, task: task.name, status: 'failed', msg: e.toString() });
            return [h, { status: 'failed', msg: e.toString(), changes: [], diff: [], data: {} } as TaskResult] as const;
          }
          return [h, await runModuleTask(env, task, h)] as const;
        }),
      ),
    );
    for (const [h, r] of results) {
      // run_once: the result (a failure too) belongs to every host of the batch, as in Ansible
      const owners = task.runOnce ? active : [h];
      for (const o of owners) {
        const s = env.hosts.get(o)!;
        if (o === h || r.status === 'failed') account(s, r);
        if (task.register) s.runtime[task.register] = registered(r);
        const facts = r.data.ansible_facts as Record<string, unknown> | undefined;
        if (facts && r.status !== 'failed') Object.assign(s.runtime, facts);
        if (r.status === 'changed') for (const hd of task.notify) s.notified.add(hd.id);
      }
      if (task.module === 'debug' && r.status === 'ok' && !task.noLog) env.ctx.emit({ event: 'debug', host: h, msg: r.data.msg ?? r.data });
      if (r.status === 'failed' || r.status === 'unreachable') {
        for (const o of r.status === 'failed' ? owners : [h]) failed.add(o);
        if (task.anyErrorsFatal ?? env.play.anyErrorsFatal) env.aborted = `any_errors_fatal: ${h} failed '${task.name}'`;
      }
    }
  }
  return failed;
}

async function runBlock(env: PlayEnv, block: BlockTask, hosts: string[]): Promise<Set<string>> {
  const entering = hosts.filter((h) => whenHolds(env, block, h));
  if (entering.length === 0) return new Set();
  const failed = await runList(env, block.block, entering);
  let stillFailed = failed;
  if (block.rescue.length && failed.size) {
    const rescuable = [...failed].filter((h) => !env.hosts.get(h)!.unreachable);
    for (const h of rescuable) {
      const s = env.hosts.get(h)!;
      s.failed = false;
      s.counts.failed--;
      s.counts.rescued++;
    }
    const rescueFailed = await runList(env, block.rescue, rescuable);
    stillFailed = new Set([...failed].filter((h) => env.hosts.get(h)!.unreachable || rescueFailed.has(h)));
  }
  // always runs on every host that entered, failed or not (not on unreachable ones)
  const always = entering.filter((h) => !env.hosts.get(h)!.unreachable);
  if (block.always.length) {
    const wasFailed = always.filter((h) => env.hosts.get(h)!.failed);
    for (const h of wasFailed) env.hosts.get(h)!.failed = false;
    const alwaysFailed = await runList(env, block.always, always);
    for (const h of wasFailed) env.hosts.get(h)!.failed = true;
    for (const h of alwaysFailed) stillFailed.add(h);
  }
  return stillFailed;
}

function whenHolds(env: PlayEnv, task: Task, host: string): boolean {
  if (task.when.length === 0) return true;
  try {
    return evaluateCondition(task.when, env.varsFor(host, task), task.pos);
  } catch (e) {
    if (!(e instanceof HapError)) throw e;
    env.ctx.emit({ event: 'host_result', host, task: task.name, status: 'failed', msg: e.toString() });
    account(env.hosts.get(host)!, { status: 'failed', msg: e.toString(), changes: [], diff: [], data: {} });
    return false;
  }
}

async function runInclude(env: PlayEnv, inc: IncludeTask, hosts: string[]): Promise<Set<string>> {
  const entering = hosts.filter((h) => whenHolds(env, inc, h));
  const failed = new Set<string>(hosts.filter((h) => env.hosts.get(h)!.failed));
  if (inc.loop === undefined) {
    for (const h of await runList(env, inc.tasks, entering)) failed.add(h);
    return failed;
  }
  const items = new Map<string, unknown[]>();
  for (const h of entering) {
    const list = renderValue(inc.loop, env.varsFor(h, inc), { name: 'loop', pos: inc.pos });
    items.set(h, Array.isArray(list) ? list : []);
  }
  const max = Math.max(0, ...[...items.values()].map((l) => l.length));
  for (let i = 0; i < max; i++) {
    const these = entering.filter((h) => (items.get(h)?.length ?? 0) > i && !failed.has(h));
    for (const h of these) env.includeLocals.set(h, { [inc.loopVar]: items.get(h)![i] });
    try {
      for (const h of await runList(env, inc.tasks, these)) failed.add(h);
    } finally {
      for (const h of these) env.includeLocals.delete(h);
    }
  }
  return failed;
}

async function runMeta(env: PlayEnv, task: MetaTask, hosts: string[]): Promise<void> {
  const when = hosts.filter((h) => whenHolds(env, task, h));
  switch (task.action) {
    case 'flush_handlers':
      await runHandlers(env, hosts);
      break;
    case 'end_play':
      // ends the play for every host (later batches too), not the playbook
      if (when.length) env.playEnded = true;
      break;
    case 'end_host':
      for (const h of when) env.hosts.get(h)!.ended = true;
      break;
    case 'end_batch':
      if (when.length) for (const h of env.batch) env.hosts.get(h)!.ended = true;
      break;
    case 'clear_facts':
      for (const h of when) env.hosts.get(h)!.gathered = {};
      break;
    default:
      break;
  }
}

