import type { IncludeTask, Task } from '../playbook/types.ts';
import { HapError, HapErrors } from '../source/errors.ts';
import { renderText, renderValue } from '../vars/interpolate.ts';
import { loopItems } from './module-task.ts';
import type { PlayEnv } from './play-env.ts';
import { result } from './result.ts';
import { account, runList, whenSplit } from './tasks.ts';

/**
 * include_tasks / include_role: the include itself counts ok ("included") or skipped on each
 * host, as in Ansible; then its tasks run, per loop item, on the hosts grouped by what their
 * (possibly templated) names resolve to.
 */
export async function runInclude(env: PlayEnv, inc: IncludeTask, hosts: string[], rescuable: boolean): Promise<Set<string>> {
  const { pass: entering, skip } = whenSplit(env, inc, hosts);
  const failed = new Set<string>(hosts.filter((h) => env.hosts.get(h)!.failed));
  env.ctx.emit({ event: 'task_start', name: inc.name, role: inc.origin.role?.name, pos: inc.pos });
  for (const h of skip) report(env, inc, h, result('skipped', 'conditional result was false'));
  const items = new Map<string, unknown[] | undefined>();
  for (const h of entering) {
    try {
      const list = inc.loop === undefined ? undefined : loopItems(renderValue(inc.loop, env.varsFor(h, inc), { name: 'loop', pos: inc.pos }), inc);
      items.set(h, list);
      // Ansible counts each included task file (each loop item) as one ok, an included role not;
      // a templated name counts once it resolved to a file
      if (inc.of === 'tasks' && !inc.dynamic) for (let i = 0; i < (list?.length ?? 1); i++) report(env, inc, h, result('ok', 'included'));
    } catch (e) {
      fail(env, inc, h, e, failed);
    }
  }
  const rounds = Math.max(inc.loop === undefined ? 1 : 0, ...[...items.values()].map((l) => l?.length ?? 0));
  for (let i = 0; i < rounds; i++) {
    const these = [...items.keys()].filter((h) => !failed.has(h) && env.hosts.get(h)!.active && (inc.loop === undefined || (items.get(h)?.length ?? 0) > i));
    const locals = (h: string) => (inc.loop === undefined ? {} : { [inc.loopVar]: items.get(h)![i] });
    // an include inside an included file keeps the outer loop's variables, and gives them back
    const outer = new Map(these.map((h) => [h, env.includeLocals.get(h)]));
    for (const h of these) env.includeLocals.set(h, { ...outer.get(h), ...locals(h) });
    try {
      for (const [tasks, group] of await groupByTasks(env, inc, these, failed)) {
        for (const h of await runList(env, tasks, group, rescuable)) failed.add(h);
      }
    } finally {
      for (const h of these) {
        const prev = outer.get(h);
        if (prev) env.includeLocals.set(h, prev);
        else env.includeLocals.delete(h);
      }
    }
  }
  return failed;
}

function report(env: PlayEnv, inc: IncludeTask, host: string, r: ReturnType<typeof result>): void {
  account(env.hosts.get(host)!, r);
  env.ctx.emit({ event: 'host_result', host, task: inc.name, status: r.status, msg: r.msg });
}

function fail(env: PlayEnv, inc: IncludeTask, host: string, e: unknown, failed: Set<string>): void {
  if (!(e instanceof HapError) && !(e instanceof HapErrors)) throw e;
  const msg = e instanceof HapErrors ? e.errors.map((x) => x.toString()).join('\n') : e.toString();
  report(env, inc, host, result('failed', msg));
  failed.add(host);
}

/** Hosts grouped by the task list their include resolves to (one group for a literal name). */
async function groupByTasks(env: PlayEnv, inc: IncludeTask, hosts: string[], failed: Set<string>): Promise<Map<Task[], string[]>> {
  const out = new Map<Task[], string[]>();
  const dyn = inc.dynamic;
  if (!dyn) {
    if (hosts.length) out.set(inc.tasks, hosts);
    return out;
  }
  for (const h of hosts) {
    try {
      const vars = env.varsFor(h, inc);
      const names = Object.fromEntries(Object.entries(dyn.names).map(([k, v]) => [k, String(renderText(v, vars, { name: `${inc.name} ${k}`, pos: inc.pos }))]));
      const key = `${inc.id}\0${JSON.stringify(names)}`;
      let tasks = env.includeCache.get(key);
      // loaded one at a time: the loader shares the playbook's load state
      if (!tasks) env.includeCache.set(key, (tasks = await dyn.load(names)));
      out.set(tasks, [...(out.get(tasks) ?? []), h]);
      if (inc.of === 'tasks') report(env, inc, h, result('ok', 'included'));
    } catch (e) {
      fail(env, inc, h, e, failed);
    }
  }
  return out;
}
