import pLimit from 'p-limit';
import type { BlockTask, IncludeTask, MetaTask, Task } from '../playbook/types.ts';
import { HapError } from '../source/errors.ts';
import { evaluateCondition } from '../vars/expr.ts';
import { validate } from '../schemas/ajv.ts';
import { runModuleTask } from './module-task.ts';
import type { PlayEnv } from './play-env.ts';
import { registered, type TaskResult } from './result.ts';
import type { HostState } from './host.ts';
import { runHandlers } from './handlers.ts';
import { exceedsFailPercentage } from './batches.ts';
import { runInclude } from './include.ts';

/**
 * Ansible's tag selection (Taggable.evaluate_tags): no --tags means `all`; `always` runs unless
 * skipped by name or by `all`; `never` runs only when one of its tags (`never` itself too) is asked.
 */
export function selected(taskTags: string[], onlyTags: string[], skip: string[]): boolean {
  const tags = taskTags.length ? taskTags : ['untagged'];
  const only = onlyTags.length ? onlyTags : ['all'];
  const has = (list: string[], t: string) => list.includes(t);
  const untagged = taskTags.length === 0;
  let run =
    has(tags, 'always') ||
    (has(only, 'all') && !has(tags, 'never')) ||
    tags.some((t) => has(only, t)) ||
    (has(only, 'tagged') && !untagged && !has(tags, 'never'));
  if (run && skip.length) {
    if (has(skip, 'all')) run = has(tags, 'always') && !has(skip, 'always');
    else if (tags.some((t) => has(skip, t))) run = false;
    else if (has(skip, 'tagged') && !untagged) run = false;
  }
  return run;
}

/** Counts a task result into the host's recap (ok includes changed and ignored, as Ansible). */
export function account(state: HostState, r: TaskResult): void {
  const c = state.counts;
  if (r.status === 'ok' || r.status === 'changed' || r.status === 'ignored') c.ok++;
  // an ignored failure that changed something counts as changed; a plain failure does not
  if (r.status === 'changed' || (r.status === 'ignored' && r.changes.length > 0)) c.changed++;
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
  const schema = entry?.role.argSchemas?.[entry.entryPoint ?? 'main'];
  if (!entry || !schema) return;
  const key = `${host}\0${entry.key}`;
  if (env.validatedRoles.has(key)) return;
  env.validatedRoles.add(key);
  const vars = env.varsFor(host, task);
  const props = Object.keys((schema.properties as object) ?? {});
  const values: Record<string, unknown> = {};
  for (const p of props) if (p in vars) values[p] = vars[p];
  const errs = validate(schema, values, `role ${entry.role.name} arguments`);
  if (errs.length) throw new HapError(`role '${entry.role.name}' arguments are invalid: ${errs.map((e) => e.message).join('; ')}`, task.pos);
}

/**
 * Runs a task list over hosts with the linear strategy: each task on every host (bounded by
 * --forks) before the next. Returns the hosts that failed in this list. `rescuable`: the list
 * is inside a block with a rescue or always section, so a failure goes there instead of ending the play
 * (any_errors_fatal) or counting towards max_fail_percentage.
 */
export async function runList(env: PlayEnv, tasks: Task[], hosts: string[], rescuable = false): Promise<Set<string>> {
  const failed = new Set<string>();
  const { options } = env.ctx;
  for (const task of tasks) {
    if (env.aborted || env.playEnded) break;
    const active = hosts.filter((h) => env.hosts.get(h)!.active && !failed.has(h));
    if (active.length === 0) break;
    env.step();
    if (task.kind === 'block') {
      for (const h of await runBlock(env, task, active, rescuable)) failed.add(h);
      checkFailPercentage(env);
      continue;
    }
    if (task.kind === 'include') {
      for (const h of await runInclude(env, task, active, rescuable)) failed.add(h);
      checkFailPercentage(env);
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
      // group_by: only the host that ran it joins (run_once does not spread it, as in Ansible)
      if (typeof r.data.add_group === 'string' && r.status !== 'failed') env.addToGroup(h, r.data.add_group, r.data.parent_groups as string[]);
      if (task.module === 'debug' && (r.status === 'ok' || r.status === 'changed') && !task.noLog) env.ctx.emit({ event: 'debug', host: h, msg: r.data.msg ?? r.data });
      if (r.status === 'failed' || r.status === 'unreachable') {
        for (const o of r.status === 'failed' ? owners : [h]) {
          failed.add(o);
          // a failure a rescue will handle neither ends the play nor counts towards max_fail_percentage
          if (rescuable && r.status === 'failed') env.hosts.get(o)!.rescuing = true;
        }
        if (!(rescuable && r.status === 'failed') && (task.anyErrorsFatal ?? env.play.anyErrorsFatal)) env.aborted = `any_errors_fatal: ${h} failed '${task.name}'`;
      }
    }
    checkFailPercentage(env);
  }
  return failed;
}

/** Ansible checks max_fail_percentage after every task, against the batch's size. */
function checkFailPercentage(env: PlayEnv): void {
  const max = env.play.maxFailPercentage;
  if (max === undefined || env.aborted) return;
  const failed = env.batch.filter((h) => {
    const s = env.hosts.get(h)!;
    return (s.failed || s.unreachable) && !s.rescuing;
  }).length;
  if (exceedsFailPercentage(failed, env.batch.length, max)) {
    env.aborted = `max_fail_percentage ${max}% exceeded (${failed} of ${env.batch.length} hosts of the batch failed)`;
  }
}

async function runBlock(env: PlayEnv, block: BlockTask, hosts: string[], rescuable: boolean): Promise<Set<string>> {
  const { pass: entering } = whenSplit(env, block, hosts);
  if (entering.length === 0) return new Set();
  // as Ansible 2.14: a failure inside a block with a rescue or an always section neither ends
  // the play (any_errors_fatal) nor counts towards max_fail_percentage until that section ran
  const failed = await runList(env, block.block, entering, rescuable || block.rescue.length > 0 || block.always.length > 0);
  let stillFailed = failed;
  if (block.rescue.length && failed.size) {
    const toRescue = [...failed].filter((h) => !env.hosts.get(h)!.unreachable);
    for (const h of toRescue) {
      const s = env.hosts.get(h)!;
      s.failed = false;
      s.rescuing = false;
      s.counts.failed--;
      s.counts.rescued++;
    }
    const rescueFailed = await runList(env, block.rescue, toRescue, rescuable);
    stillFailed = new Set([...failed].filter((h) => env.hosts.get(h)!.unreachable || rescueFailed.has(h)));
  }
  // always runs on every host that entered, failed or not (not on unreachable ones)
  const always = entering.filter((h) => !env.hosts.get(h)!.unreachable);
  if (block.always.length) {
    const wasFailed = always.filter((h) => env.hosts.get(h)!.failed);
    for (const h of wasFailed) env.hosts.get(h)!.failed = false;
    const alwaysFailed = await runList(env, block.always, always, rescuable);
    for (const h of wasFailed) {
      env.hosts.get(h)!.failed = true;
      env.hosts.get(h)!.rescuing = rescuable;
    }
    for (const h of alwaysFailed) stillFailed.add(h);
  }
  return stillFailed;
}

/** Splits hosts by a task's `when`; a condition that cannot be evaluated fails that host. */
export function whenSplit(env: PlayEnv, task: Task, hosts: string[]): { pass: string[]; skip: string[] } {
  if (task.when.length === 0) return { pass: hosts, skip: [] };
  const pass: string[] = [];
  const skip: string[] = [];
  for (const host of hosts) {
    try {
      (evaluateCondition(task.when, env.varsFor(host, task), task.pos) ? pass : skip).push(host);
    } catch (e) {
      if (!(e instanceof HapError)) throw e;
      env.ctx.emit({ event: 'host_result', host, task: task.name, status: 'failed', msg: e.toString() });
      account(env.hosts.get(host)!, { status: 'failed', msg: e.toString(), changes: [], diff: [], data: {} });
    }
  }
  return { pass, skip };
}

async function runMeta(env: PlayEnv, task: MetaTask, hosts: string[]): Promise<void> {
  const when = whenSplit(env, task, hosts).pass;
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

