import { findModule } from '../modules/registry.ts';
import type { ModuleContext, Plan } from '../modules/types.ts';
import type { ModuleTask } from '../playbook/types.ts';
import { validate } from '../schemas/ajv.ts';
import { HapError, formatPos } from '../source/errors.ts';
import { UnreachableError, type Become, type ExecOptions, type Transport } from '../transport/types.ts';
import { evaluate, evaluateCondition } from '../vars/expr.ts';
import { renderString } from '../vars/template.ts';
import { renderValue } from '../vars/interpolate.ts';
import { findFile } from '../playbook/files.ts';
import { FactCache } from '../facts/types.ts';
import type { HostState } from './host.ts';
import type { PlayEnv } from './play-env.ts';
import { combineLoop, registered, result, type TaskResult } from './result.ts';

/** Where the task runs: its own host, or the `delegate_to` target (vars stay the host's). */
async function target(env: PlayEnv, task: ModuleTask, vars: Record<string, unknown>): Promise<{ transport: Transport; state: HostState; name?: string }> {
  const own = env.hosts.get(vars.inventory_hostname as string)!;
  if (!task.delegateTo) return { transport: await own.open(env.ctx), state: own };
  const name = String(renderValue(task.delegateTo, vars, { name: 'delegate_to', pos: task.pos }));
  if (!env.ctx.inventory.hosts.has(name)) throw new HapError(`delegate_to: host '${name}' is not in the inventory`, task.pos);
  const state = env.stateOf(name);
  return { transport: await state.open(env.ctx), state, name };
}

/** A controller-only module's host: never connected; its transport refuses to be used. */
function offHost(env: PlayEnv, vars: Record<string, unknown>): { transport: Transport; state: HostState } {
  const state = env.hosts.get(vars.inventory_hostname as string)!;
  const refuse = (): never => {
    throw new Error(`a controller-only module used the connection to ${state.name}`);
  };
  const transport = { connect: refuse, exec: refuse, readFile: refuse, writeFile: refuse, close: async () => {} } as unknown as Transport;
  return { transport, state: Object.assign(Object.create(state) as HostState, { facts: new FactCache(transport) }) };
}

function become(env: PlayEnv, task: ModuleTask, vars: Record<string, unknown>): Become | undefined {
  const on = task.become ?? env.play.become ?? (vars.ansible_become === true || vars.ansible_become === 'true');
  if (!on) return undefined;
  const user = task.becomeUser ?? env.play.becomeUser ?? (vars.ansible_become_user as string | undefined) ?? 'root';
  const pw = (vars.ansible_become_password ?? vars.ansible_become_pass) as string | undefined;
  return { user, method: 'sudo', ...(pw !== undefined ? { password: String(pw) } : {}) };
}

function taskEnvironment(env: PlayEnv, task: ModuleTask, vars: Record<string, unknown>): Record<string, string> | undefined {
  const raw = { ...(env.play.environment ?? {}), ...((task.environment as Record<string, unknown> | undefined) ?? {}) };
  if (Object.keys(raw).length === 0) return undefined;
  const rendered = renderValue(raw, vars, { name: 'environment', pos: task.pos }) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k, String(v)]));
}

/** Plans and (unless check mode) applies one module call: one attempt of one item. */
async function attempt(env: PlayEnv, task: ModuleTask, vars: Record<string, unknown>): Promise<TaskResult> {
  const mod = findModule(task.module)!;
  const args = renderValue(task.args, vars, { name: formatPos(task.pos), pos: task.pos }) as Record<string, unknown>;
  const errs = validate(mod.schema, args, task.module);
  if (errs.length) return result('failed', `invalid arguments for ${task.module} (${formatPos(task.pos)}): ${errs.map((e) => e.message).join('; ')}`);
  const { transport: raw, state } = mod.controllerOnly && !task.delegateTo ? offHost(env, vars) : await target(env, task, vars);
  const environment = taskEnvironment(env, task, vars);
  // `environment:` applies to every command the module runs on the host
  const transport: Transport = environment
    ? Object.assign(Object.create(raw) as Transport, { exec: (cmd: string, o: ExecOptions = {}) => raw.exec(cmd, { ...o, env: { ...environment, ...o.env } }) })
    : raw;
  const mctx: ModuleContext = {
    host: vars.inventory_hostname as string,
    transport,
    facts: state.facts!,
    become: become(env, task, vars),
    vars,
    evaluate: (expr) => evaluate(expr, vars, task.pos),
    render: (text, name) => renderString(text, vars, { name }),
    findFile: (kind, name) => findFile(kind, name, task.origin, env.playbook.dir),
    signal: env.ctx.signal,
    vault: env.ctx.vault,
  };
  const plan: Plan = await mod.plan(args, mctx);
  if (plan.status === 'ok') return result('ok', plan.msg, plan.result ?? {});
  if (plan.status === 'failed') return result('failed', plan.msg, plan.result ?? {});
  if (plan.status === 'skipped') return result('skipped', plan.msg, plan.result ?? {});
  const r: TaskResult = { status: 'changed', msg: plan.msg, changes: plan.changes.map((c) => c.summary), diff: [], data: { ...(plan.result ?? {}) } };
  if (env.ctx.options.diff) r.diff = plan.changes.flatMap((c) => (c.diff ? [c.diff] : []));
  const check = task.checkMode ?? env.ctx.options.check;
  if (check) {
    r.checkMode = true;
    // a command's outcome cannot be predicted: report it as skipped, like Ansible
    if (plan.changes.every((c) => c.opaque)) return { ...r, status: 'skipped', msg: `check mode: would ${r.changes.join('; ')}` };
    return r;
  }
  try {
    for (const c of plan.changes) {
      const out = await c.apply();
      if (out?.result) Object.assign(r.data, out.result);
      if (out?.failed) return { ...r, status: 'failed', msg: out.failed };
    }
  } finally {
    state.facts?.invalidate();
  }
  return r;
}

/** One item: when, then attempts with until/retries, then changed_when/failed_when. */
async function runItem(env: PlayEnv, task: ModuleTask, host: string, locals: Record<string, unknown>): Promise<TaskResult> {
  const vars = env.varsFor(host, task, locals);
  if (task.when.length && !evaluateCondition(task.when, vars, task.pos)) return result('skipped', 'conditional result was false', { skip_reason: 'Conditional result was False' });
  const tries = task.until ? Math.max(1, numberOf(task.retries, vars, task, 'retries') + 1) : 1;
  let r: TaskResult = result('failed', 'not run');
  for (let n = 1; n <= tries; n++) {
    r = await attempt(env, task, vars);
    if (r.status === 'skipped') return r;
    if (task.until) r.data.attempts = n;
    // the conditions see the result under its register name; the scope is built once, lazily
    let scope: Record<string, unknown> | undefined;
    const withResult = () => (scope ??= task.register ? env.varsFor(host, task, { ...locals, [task.register]: registered(r) }) : vars);
    // changed_when and failed_when both judge the result; a failure they forgive is only
    // "changed" when changed_when (or the module) says so
    const failed = task.failedWhen ? evaluateCondition(task.failedWhen, withResult(), task.pos) : r.status === 'failed';
    const changed = task.changedWhen ? evaluateCondition(task.changedWhen, withResult(), task.pos) : r.status === 'changed' || (r.status === 'failed' && r.changes.length > 0);
    const msg = failed && task.failedWhen && r.status !== 'failed' ? `failed_when: ${task.failedWhen.join(' and ')}` : r.msg;
    r = { ...r, status: failed ? 'failed' : changed ? 'changed' : 'ok', msg };
    scope = undefined; // `until` judges the result as changed_when/failed_when left it
    if (!task.until) break;
    // as in Ansible, `until` decides alone: a failed attempt whose condition holds stops (failed)
    if (evaluateCondition(task.until, withResult(), task.pos)) break;
    if (n < tries) await env.ctx.sleep(numberOf(task.delay, vars, task, 'delay') * 1000, env.ctx.signal);
    else r = { ...r, status: 'failed', msg: `until '${task.until.join(' and ')}' still false after ${tries} attempts${r.msg ? `: ${r.msg}` : ''}` };
  }
  return r;
}

/** A rendered loop as its items: `loop` must be a list; `with_items` flattens one level, as Ansible. */
export function loopItems(value: unknown, task: { loopFlatten?: boolean; pos: ModuleTask['pos'] }): unknown[] {
  if (task.loopFlatten) return (Array.isArray(value) ? value : [value]).flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (!Array.isArray(value)) throw new HapError(`loop must be a list, got ${typeof value}`, task.pos);
  return value;
}

/** retries/delay may be templates (`"{{ etcd_health_retries }}"`). */
function numberOf(v: number | string, vars: Record<string, unknown>, task: ModuleTask, what: string): number {
  const n = Number(typeof v === 'string' ? renderValue(v, vars, { name: what, pos: task.pos }) : v);
  if (!Number.isFinite(n) || n < 0) throw new HapError(`${what} must be a non-negative number, got '${String(v)}'`, task.pos);
  return n;
}

function label(task: ModuleTask, item: unknown, vars: Record<string, unknown>): string {
  if (task.loopLabel) return String(renderValue(task.loopLabel, vars, { name: 'loop_control.label', pos: task.pos }));
  return typeof item === 'object' ? JSON.stringify(item) : String(item);
}

/** Runs a module task on one host, emitting its results; returns the summary result. */
export async function runModuleTask(env: PlayEnv, task: ModuleTask, host: string): Promise<TaskResult> {
  // where each result ran, for the output; a loop's items may each go elsewhere (`{{ item }}`)
  const delegated = (locals: Record<string, unknown> = {}): string | undefined => {
    if (!task.delegateTo) return undefined;
    try {
      return String(renderValue(task.delegateTo, env.varsFor(host, task, locals), { name: 'delegate_to', pos: task.pos }));
    } catch {
      return task.delegateTo; // the task itself reports the error
    }
  };
  const emit = (r: TaskResult, item?: string, loop?: boolean, delegatedTo = loop ? undefined : delegated()) =>
    env.ctx.emit({
      event: 'host_result',
      host,
      task: task.name,
      status: r.status,
      msg: task.noLog && r.status !== 'skipped' ? 'output hidden by no_log' : r.msg,
      item: task.noLog && item !== undefined ? '(hidden by no_log)' : item,
      loop,
      changes: r.changes.length ? (task.noLog ? ['(change hidden by no_log)'] : r.changes) : undefined,
      diff: r.diff.length ? (task.noLog ? [] : r.diff) : undefined,
      result: task.noLog ? { censored: 'the output has been hidden due to the fact that no_log: true was specified for this result' } : r.data,
      checkMode: r.checkMode,
      ...(delegatedTo ? { delegatedTo } : {}),
      ...(task.module === 'debug' && !task.noLog ? { debug: true } : {}),
    });
  const guard = async (fn: () => Promise<TaskResult>): Promise<TaskResult> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof UnreachableError) return result('unreachable', e.message);
      if (e instanceof HapError) return result('failed', e.toString());
      // anything else a module throws fails this task on this host, not the whole run
      if (e instanceof Error && !env.ctx.signal.aborted) return result('failed', `${task.module} (${formatPos(task.pos)}): ${e.message}`);
      throw e;
    }
  };
  let final: TaskResult;
  if (task.loop === undefined) {
    final = await guard(() => runItem(env, task, host, {}));
  } else {
    const items = await guard(async () => {
      const vars = env.varsFor(host, task);
      const list = loopItems(renderValue(task.loop, vars, { name: 'loop', pos: task.pos }), task);
      const out: TaskResult[] = [];
      for (let i = 0; i < list.length; i++) {
        const locals = { [task.loopVar]: list[i], ansible_loop: { index: i + 1, index0: i, first: i === 0, last: i === list.length - 1, length: list.length } };
        const r = await guard(() => runItem(env, task, host, locals));
        emit(r, label(task, list[i], env.varsFor(host, task, locals)), undefined, delegated(locals));
        // as Ansible: each item's result holds the item under the loop variable's name
        out.push({ ...r, data: { ...r.data, [task.loopVar]: list[i], ansible_loop_var: task.loopVar } });
        if (r.status === 'unreachable') break;
      }
      return combineLoop(out);
    });
    final = items;
  }
  if (final.status === 'failed' && task.ignoreErrors) final = { ...final, status: 'ignored' };
  if (final.status === 'unreachable' && task.ignoreUnreachable) final = { ...final, status: 'ignored' };
  emit(final, undefined, task.loop !== undefined || undefined);
  return final;
}
