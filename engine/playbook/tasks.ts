import { access } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { validate } from '../schemas/ajv.ts';
import type { SourcePos } from '../source/errors.ts';
import { keyPosOf, posOf, setPos } from '../source/yaml.ts';
import { findModule } from '../modules/registry.ts';
import { parseExpr } from '../vars/expr.ts';
import { checkValue, isTemplated } from '../vars/interpolate.ts';
import type { LoadContext } from './context.ts';
import { searchPaths } from './files.ts';
import { templateFileErrors } from './template-file.ts';
import { TASK_KEYWORDS } from './schema.ts';
import type { BlockTask, DynamicInclude, IncludeTask, ModuleTask, Origin, RoleEntry, Task, TaskBase } from './types.ts';

const TASK_SCHEMA = { type: 'object', properties: TASK_KEYWORDS };
const INCLUDES = new Set(['include_tasks', 'import_tasks', 'include_role', 'import_role']);
const META_ACTIONS = new Set(['flush_handlers', 'end_play', 'end_host', 'noop', 'clear_facts', 'refresh_inventory', 'end_batch']);

/** A notify reference, resolved against the play's handlers once they are all loaded. */
export interface PendingNotify {
  task: ModuleTask;
  name: string;
  pos?: SourcePos;
}

/** What a task list inherits from where it is written. */
export interface Scope {
  origin: Origin;
  tags: string[];
  roleEntry?: RoleEntry;
  /** Vars of enclosing blocks/imports; a task's own vars win over them (lexical scope). */
  vars: Record<string, unknown>;
  notifies: PendingNotify[];
  /** Loads a role by name for include_role/import_role (set by the play loader). */
  loadRole: (name: string, params: Record<string, unknown>, pos: SourcePos | undefined, scope: Scope, tasksFrom?: string, isPrivate?: boolean) => Promise<Task[]>;
  /**
   * Runs a load after the playbook has loaded (a templated include, at run time): notifies are
   * resolved against the play's handlers and errors thrown as HapErrors.
   */
  loadLater: (load: () => Promise<Task[]>) => Promise<Task[]>;
}

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

export function conditions(ctx: LoadContext, raw: unknown, pos: SourcePos | undefined): string[] {
  const out: string[] = [];
  for (const c of raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) {
    const src = typeof c === 'boolean' ? (c ? 'true' : 'false') : String(c);
    try {
      parseExpr(src, pos);
      out.push(src);
    } catch (e) {
      ctx.add([e as never]);
    }
  }
  return out;
}

/**
 * A block's (or import's, or role's) `when` applies to each task inside it, evaluated per task
 * as Ansible does, so it is prepended to theirs and the block itself has none.
 */
export function pushWhenDown(b: BlockTask, conds: string[] = b.when): BlockTask {
  if (conds.length) for (const t of [...b.block, ...b.rescue, ...b.always]) prependWhen(t, conds);
  b.when = [];
  return b;
}

export function prependWhen(t: Task, conds: string[]): void {
  if (t.kind === 'block') for (const c of [...t.block, ...t.rescue, ...t.always]) prependWhen(c, conds);
  else t.when = [...conds, ...t.when];
}

/** `loop`, or `with_items` (flattened one level when it runs, as Ansible); never both. */
function loopOf(ctx: LoadContext, raw: Record<string, unknown>): { loop?: unknown; loopFlatten?: boolean } {
  if (raw.loop !== undefined && raw.with_items !== undefined) {
    ctx.error("a task takes either 'loop' or 'with_items', not both (Ansible: duplicate loop in task)", keyPosOf(raw, 'with_items'));
  }
  if (raw.loop !== undefined) return { loop: raw.loop };
  if (raw.with_items !== undefined) return { loop: raw.with_items, loopFlatten: true };
  return {};
}

/** Checks template syntax in every string of a value (load time; variables come later). */
export function checkTemplates(ctx: LoadContext, value: unknown, container: unknown, key: string | number | undefined): void {
  if (typeof value === 'string') {
    if (!isTemplated(value)) return;
    try {
      checkValue(value, { name: posOf(container, key)?.file ?? 'value', pos: posOf(container, key) });
    } catch (e) {
      ctx.add([e as never]);
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => checkTemplates(ctx, v, value, i));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkTemplates(ctx, v, value, k);
}

function base(ctx: LoadContext, raw: Record<string, unknown>, scope: Scope, name: string): TaskBase {
  const pos = posOf(raw) ?? { file: scope.origin.file, line: 0, col: 0 };
  const bool = (k: string) => raw[k] === true || raw[k] === 'true' || raw[k] === 'yes';
  if (raw.vars) checkTemplates(ctx, raw.vars, raw, 'vars');
  return {
    id: ctx.id(),
    name,
    pos,
    origin: scope.origin,
    when: conditions(ctx, raw.when, posOf(raw, 'when')),
    tags: [...new Set([...scope.tags, ...list(raw.tags)])],
    vars: { ...scope.vars, ...((raw.vars as Record<string, unknown>) ?? {}) },
    become: raw.become === undefined ? undefined : bool('become'),
    becomeUser: raw.become_user as string | undefined,
    delegateTo: raw.delegate_to as string | undefined,
    runOnce: bool('run_once'),
    noLog: bool('no_log'),
    ignoreErrors: bool('ignore_errors'),
    ignoreUnreachable: bool('ignore_unreachable'),
    checkMode: raw.check_mode === undefined ? undefined : bool('check_mode'),
    environment: raw.environment as Record<string, unknown> | undefined,
    anyErrorsFatal: raw.any_errors_fatal as boolean | undefined,
    roleEntry: scope.roleEntry,
  };
}

/** Parses a task list; every error goes to ctx (reported together), bad tasks are dropped. */
export async function parseTasks(ctx: LoadContext, raw: unknown, scope: Scope): Promise<Task[]> {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) {
    ctx.error('a task list must be a YAML list', posOf(raw));
    return [];
  }
  const out: Task[] = [];
  for (let i = 0; i < raw.length; i++) {
    const item = raw[i];
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      ctx.error('a task must be a mapping', posOf(raw, i));
      continue;
    }
    const task = await parseTask(ctx, item as Record<string, unknown>, scope);
    if (task) out.push(task);
  }
  return out;
}

async function parseTask(ctx: LoadContext, raw: Record<string, unknown>, scope: Scope): Promise<Task | undefined> {
  const actionKeys = Object.keys(raw).filter((k) => !(k in TASK_KEYWORDS));
  ctx.add(validate(TASK_SCHEMA, raw, 'task', (v) => typeof v === 'string' && isTemplated(v)));
  if ('block' in raw) {
    for (const k of actionKeys) ctx.error(`unknown key '${k}' in a block (a block holds tasks under block/rescue/always)`, keyPosOf(raw, k));
    const b: BlockTask = {
      ...base(ctx, raw, scope, String(raw.name ?? 'block')),
      kind: 'block',
      block: [],
      rescue: [],
      always: [],
    };
    const inner: Scope = { ...scope, tags: b.tags, vars: b.vars };
    b.block = await parseTasks(ctx, raw.block, inner);
    b.rescue = await parseTasks(ctx, raw.rescue, inner);
    b.always = await parseTasks(ctx, raw.always, inner);
    return pushWhenDown(b);
  }
  for (const k of ['rescue', 'always'] as const) if (k in raw) ctx.error(`'${k}' is only valid with 'block'`, keyPosOf(raw, k));
  if (actionKeys.length === 0) {
    ctx.error('task has no module (expected one key naming a module, e.g. `command:`)', posOf(raw));
    return undefined;
  }
  if (actionKeys.length > 1) {
    const unknown = actionKeys.filter((k) => !findModule(k) && !INCLUDES.has(k) && k !== 'meta');
    const bad = unknown[0] ?? actionKeys[1]!;
    ctx.error(
      unknown.length ? `unknown key '${bad}' (not a task keyword nor a module)` : `task names more than one module: ${actionKeys.join(', ')}`,
      keyPosOf(raw, bad),
    );
    return undefined;
  }
  const action = actionKeys[0]!;
  const actionPos = keyPosOf(raw, action);
  if (INCLUDES.has(action)) return parseInclude(ctx, raw, action, scope);
  if (action === 'meta') {
    const a = String(raw.meta);
    if (!META_ACTIONS.has(a)) ctx.error(`unknown meta action '${a}'`, posOf(raw, 'meta'));
    return { ...base(ctx, raw, scope, String(raw.name ?? `meta: ${a}`)), kind: 'meta', action: a as never };
  }
  const mod = findModule(action);
  if (!mod) {
    ctx.error(`unknown module '${action}'`, actionPos);
    return undefined;
  }
  let args: unknown = raw[action];
  if (typeof args === 'string' || args === null) {
    if (mod.freeForm) args = args === null ? {} : { [mod.freeForm]: args };
    else if (args === null) args = {};
    else args = parseKeyValues(args);
  }
  if (raw.args && typeof args === 'object') args = { ...(raw.args as object), ...(args as object) };
  if (args && typeof args === 'object' && args !== raw[action]) setPos(args, posOf(raw, action) ?? posOf(raw)!);
  if (typeof args !== 'object' || Array.isArray(args)) {
    ctx.error(`arguments of '${action}' must be a mapping`, posOf(raw, action));
    return undefined;
  }
  checkTemplates(ctx, args, raw, action);
  // load-time check: types of templated values are checked again after templating
  ctx.add(validate(mod.schema, args, action, (v) => typeof v === 'string' && isTemplated(v)).map((e) => withPos(e, posOf(raw, action))));
  await checkSrc(ctx, mod.name, args as Record<string, unknown>, scope, posOf(raw, action));
  const lc = (raw.loop_control ?? {}) as Record<string, unknown>;
  const t: ModuleTask = {
    ...base(ctx, raw, scope, String(raw.name ?? action)),
    kind: 'module',
    module: mod.name,
    args,
    ...loopOf(ctx, raw),
    loopVar: String(lc.loop_var ?? 'item'),
    loopLabel: lc.label as string | undefined,
    register: raw.register as string | undefined,
    notify: [],
    changedWhen: raw.changed_when === undefined ? undefined : conditions(ctx, raw.changed_when, posOf(raw, 'changed_when')),
    failedWhen: raw.failed_when === undefined ? undefined : conditions(ctx, raw.failed_when, posOf(raw, 'failed_when')),
    until: raw.until === undefined ? undefined : conditions(ctx, raw.until, posOf(raw, 'until')),
    retries: (raw.retries as number | string | undefined) ?? (raw.until ? 3 : 0),
    delay: (raw.delay as number | string | undefined) ?? 5,
  };
  if (t.loop !== undefined) checkTemplates(ctx, t.loop, raw, raw.loop !== undefined ? 'loop' : 'with_items');
  const notify = raw.notify;
  list(notify).forEach((name, i) => scope.notifies.push({ task: t, name, pos: Array.isArray(notify) ? posOf(notify, i) : posOf(raw, 'notify') }));
  return t;
}

/** A template or file named literally must exist when the playbook loads, not when it runs. */
async function checkSrc(ctx: LoadContext, module: string, args: Record<string, unknown>, scope: Scope, pos: SourcePos | undefined): Promise<void> {
  const kind = module === 'template' ? 'templates' : module === 'copy' ? 'files' : undefined;
  const src = args.src;
  if (!kind || typeof src !== 'string' || isTemplated(src)) return;
  const paths = searchPaths(kind, src, scope.origin, ctx.playbookDir);
  for (const p of paths) {
    if (!(await exists(p))) continue;
    if (kind === 'templates') ctx.add(await templateFileErrors(p));
    return;
  }
  ctx.error(`${module}: ${kind === 'templates' ? 'template' : 'file'} '${src}' not found (looked in ${paths.join(', ')})`, posOf(args, 'src') ?? pos);
}

function withPos<E extends { pos?: SourcePos }>(e: E, fallback: SourcePos | undefined): E {
  if (!e.pos && fallback) (e as { pos?: SourcePos }).pos = fallback;
  return e;
}

/** `copy: src=a dest=b` → { src: 'a', dest: 'b' } (Ansible's key=value form). */
export function parseKeyValues(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(\w+)=("([^"]*)"|'([^']*)'|(\S+))/g;
  for (const m of s.matchAll(re)) out[m[1]!] = m[3] ?? m[4] ?? m[5] ?? '';
  return out;
}

async function parseInclude(ctx: LoadContext, raw: Record<string, unknown>, action: string, scope: Scope): Promise<Task | undefined> {
  const arg = raw[action];
  const pos = posOf(raw, action);
  const isImport = action.startsWith('import_');
  const b = base(ctx, raw, scope, String(raw.name ?? action));
  let tasks: Task[] = [];
  let dynamic: DynamicInclude | undefined;
  // the included tasks inherit the include's vars and its parents' conditions only; an import's
  // tags reach its tasks, an include's tags select only the include itself (as Ansible), its
  // `apply: { tags }` reach the included tasks
  const apply = ((arg !== null && typeof arg === 'object' ? (arg as Record<string, unknown>).apply : undefined) ?? {}) as Record<string, unknown>;
  const applyOther = Object.keys(apply).filter((k) => k !== 'tags');
  if (applyOther.length) ctx.error(`${action}: apply supports tags only (got ${applyOther.join(', ')})`, posOf(arg, 'apply') ?? pos);
  const innerTags = isImport ? b.tags : [...new Set([...scope.tags, ...list(apply.tags)])];
  const inner: Scope = { ...scope, tags: innerTags, vars: b.vars };
  if (action.endsWith('_role')) {
    const spec = (typeof arg === 'string' ? { name: arg } : arg) as Record<string, unknown> | null;
    if (!spec || typeof spec.name !== 'string') {
      ctx.error(`${action} needs 'name:' naming a role`, pos);
      return undefined;
    }
    const params = (spec.vars as Record<string, unknown>) ?? {};
    const names: Record<string, string> = { name: spec.name, ...(typeof spec.tasks_from === 'string' ? { tasks_from: spec.tasks_from } : {}) };
    // as Ansible: an included role's defaults and vars stay its own unless `public: true`
    const isPrivate = !isImport && spec.public !== true;
    if (!isImport && Object.values(names).some(isTemplated)) {
      dynamic = { names, load: (n) => scope.loadLater(() => scope.loadRole(n.name!, params, pos, inner, n.tasks_from, isPrivate)) };
    } else tasks = await scope.loadRole(spec.name, params, pos, inner, spec.tasks_from as string | undefined, isPrivate);
  } else {
    const file = typeof arg === 'string' ? arg : ((arg as Record<string, unknown> | null)?.file as string | undefined);
    if (!file) {
      ctx.error(`${action} needs a file name`, pos);
      return undefined;
    }
    if (isTemplated(file)) {
      if (isImport) {
        ctx.error(`${action}: an import is read when the playbook loads, so its file name cannot be a template; use include_tasks`, pos);
        return undefined;
      }
      dynamic = { names: { file }, load: (n) => scope.loadLater(() => loadTaskFile(ctx, resolveTaskFile(n.file!, scope), pos, inner)) };
    } else tasks = await loadTaskFile(ctx, resolveTaskFile(file, scope), pos, inner);
  }
  const lc = (raw.loop_control ?? {}) as Record<string, unknown>;
  if (isImport) {
    // an import is its tasks inlined; when/tags/vars apply to each of them
    return pushWhenDown({ ...b, kind: 'block', block: tasks, rescue: [], always: [] });
  }
  const inc: IncludeTask = { ...b, kind: 'include', of: action.endsWith('_role') ? 'role' : 'tasks', tasks, ...(dynamic ? { dynamic } : {}), ...loopOf(ctx, raw), loopVar: String(lc.loop_var ?? 'item'), loopLabel: lc.label as string | undefined };
  return inc;
}

/** Task files are found relative to the including file, then the role's tasks/ folder. */
function resolveTaskFile(file: string, scope: Scope): string {
  if (isAbsolute(file)) return file;
  if (scope.origin.role && !file.includes('/')) return join(scope.origin.role.path, 'tasks', file);
  return resolve(dirname(scope.origin.file), file);
}

export async function loadTaskFile(ctx: LoadContext, file: string, pos: SourcePos | undefined, scope: Scope): Promise<Task[]> {
  if (ctx.stack.includes(file)) {
    ctx.error(`include cycle: ${[...ctx.stack.slice(ctx.stack.indexOf(file)), file].join(' → ')}`, pos);
    return [];
  }
  if (!(await exists(file))) {
    ctx.error(`task file not found: ${file}`, pos);
    return [];
  }
  const raw = await ctx.yaml(file);
  ctx.stack.push(file);
  try {
    return await parseTasks(ctx, raw, { ...scope, origin: { ...scope.origin, file } });
  } finally {
    ctx.stack.pop();
  }
}

export function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
