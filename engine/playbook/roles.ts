import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { validate } from '../schemas/ajv.ts';
import type { SourcePos } from '../source/errors.ts';
import { keyPosOf, posOf } from '../source/yaml.ts';
import type { LoadContext } from './context.ts';
import { ROLE_META_SCHEMA } from './schema.ts';
import { loadTaskFile, parseTasks, type Scope } from './tasks.ts';
import type { Handler, RoleEntry, RoleInfo, Task } from './types.ts';
import { argumentSpecSchema } from './argspec.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const p of paths) if (await exists(p)) return p;
  return undefined;
}

/** A role's `main.yml` (or `main.yaml`, or `<name>.yml`) in one of its folders. */
function roleFile(role: string, folder: string, name = 'main'): Promise<string | undefined> {
  return firstExisting([join(role, folder, `${name}.yml`), join(role, folder, `${name}.yaml`)]);
}

async function mapFile(ctx: LoadContext, file: string | undefined, what: string): Promise<[Record<string, unknown>, Record<string, SourcePos>]> {
  if (!file) return [{}, {}];
  const raw = await ctx.yaml(file);
  if (raw === null) return [{}, {}];
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    ctx.error(`${what} must be a mapping of variables`, posOf(raw) ?? { file, line: 1, col: 1 });
    return [{}, {}];
  }
  const pos: Record<string, SourcePos> = {};
  for (const k of Object.keys(raw)) pos[k] = keyPosOf(raw, k) ?? { file, line: 1, col: 1 };
  return [raw as Record<string, unknown>, pos];
}

/** Finds and reads a role's defaults, vars and meta (cached per load). Null when missing. */
export async function loadRoleInfo(ctx: LoadContext, name: string, pos: SourcePos | undefined): Promise<RoleInfo | null> {
  if (ctx.roles.has(name)) return ctx.roles.get(name)!;
  const candidates = name.includes('/') ? [resolve(ctx.playbookDir, name)] : ctx.roleDirs.map((d) => join(d, name));
  const path = await firstExisting(candidates);
  if (!path) {
    ctx.error(`role '${name}' not found (looked in ${candidates.join(', ')})`, pos);
    ctx.roles.set(name, null);
    return null;
  }
  const [defaults, defaultsPos] = await mapFile(ctx, await roleFile(path, 'defaults'), 'defaults/main.yml');
  const [vars, varsPos] = await mapFile(ctx, await roleFile(path, 'vars'), 'vars/main.yml');
  const info: RoleInfo = { name: name.split('/').pop()!, path, defaults, defaultsPos, vars, varsPos };
  const metaFile = await roleFile(path, 'meta');
  if (metaFile) {
    const meta = (await ctx.yaml(metaFile)) as Record<string, unknown> | null;
    if (meta) {
      ctx.add(validate(ROLE_META_SCHEMA, meta, 'role meta'));
      (info as RoleInfo & { meta?: Record<string, unknown> }).meta = meta;
    }
  }
  const specFile = await roleFile(path, 'meta', 'argument_specs');
  const meta = (info as RoleInfo & { meta?: Record<string, unknown> }).meta;
  const specs = specFile ? ((await ctx.yaml(specFile)) as Record<string, unknown> | null)?.argument_specs : meta?.argument_specs;
  for (const [entry, spec] of Object.entries((specs as Record<string, unknown> | undefined) ?? {})) {
    const r = argumentSpecSchema(spec, specFile ?? metaFile ?? path);
    ctx.add(r.errors);
    if (r.schema) info.argSchemas = { ...info.argSchemas, [entry]: r.schema };
  }
  ctx.roles.set(name, info);
  return info;
}

/** Expands a role use into tasks: its dependencies first, then tasks/main.yml (or tasks_from). */
export async function expandRole(
  ctx: LoadContext,
  name: string,
  params: Record<string, unknown>,
  pos: SourcePos | undefined,
  scope: Scope,
  handlers: Handler[],
  entries: RoleEntry[],
  tasksFromName = 'main',
  isPrivate = false,
  /** `roles:` and dependencies run a role once per play; import_role/include_role each time. */
  once = false,
): Promise<Task[]> {
  // `tasks_from: debian` and `tasks_from: debian.yml` name one file, as in Ansible
  const tasksFrom = tasksFromName.replace(/\.ya?ml$/, '');
  const role = await loadRoleInfo(ctx, name, pos);
  if (!role) return [];
  if (ctx.stack.includes(`role:${name}`)) {
    ctx.error(`role dependency cycle: ${[...ctx.stack.filter((s) => s.startsWith('role:')), `role:${name}`].join(' → ')}`, pos);
    return [];
  }
  const key = `${role.path}:${tasksFrom}:${JSON.stringify(params)}`;
  const entry: RoleEntry = { role, params, key, entryPoint: tasksFrom, ...(isPrivate ? { private: true } : {}) };
  // like Ansible: a role in `roles:` or a dependency, used twice with the same params, runs
  // once per play (unless its meta says allow_duplicates)
  const meta = (role as RoleInfo & { meta?: Record<string, unknown> }).meta;
  if (once && meta?.allow_duplicates !== true && entries.some((e) => e.key === key && e.once)) return [];
  if (once) entry.once = true;
  entries.push(entry);
  ctx.stack.push(`role:${name}`);
  try {
    const out: Task[] = [];
    const deps = (meta?.dependencies as unknown[] | undefined) ?? [];
    for (let i = 0; i < deps.length; i++) {
      const d = deps[i];
      const depName = typeof d === 'string' ? d : String((d as Record<string, unknown>).role);
      const { role: _r, ...depParams } = typeof d === 'string' ? { role: d } : (d as Record<string, unknown>);
      const depVars = (depParams.vars as Record<string, unknown>) ?? depParams;
      // dependencies stay public: the role's own tasks read their defaults (hap has no per-role scope for them)
      out.push(...(await expandRole(ctx, depName, depVars, posOf(deps, i), scope, handlers, entries, 'main', false, true)));
    }
    const roleScope: Scope = { ...scope, origin: { file: join(role.path, 'tasks', `${tasksFrom}.yml`), role }, roleEntry: entry };
    const tasksFile = await roleFile(role.path, 'tasks', tasksFrom);
    if (!tasksFile) {
      if (tasksFrom !== 'main') ctx.error(`role '${name}' has no tasks/${tasksFrom}.yml`, pos);
    } else out.push(...(await loadTaskFile(ctx, tasksFile, pos, roleScope)));
    const handlersFile = await roleFile(role.path, 'handlers');
    if (handlersFile && !handlers.some((h) => h.task.origin.role?.path === role.path)) {
      const raw = await ctx.yaml(handlersFile);
      const hTasks = await parseTasks(ctx, raw, { ...roleScope, origin: { file: handlersFile, role } });
      handlers.push(...toHandlers(hTasks, raw, role.name));
    }
    return out;
  } finally {
    ctx.stack.pop();
  }
}

/** Handler tasks with their names and `listen` topics (role handlers also answer to "role : name"). */
export function toHandlers(tasks: Task[], raw: unknown, roleName?: string): Handler[] {
  const rawList = Array.isArray(raw) ? (raw as Array<Record<string, unknown>>) : [];
  return tasks.map((task, i) => {
    const r = rawList[i] ?? {};
    const listen = r.listen === undefined ? [] : Array.isArray(r.listen) ? r.listen.map(String) : [String(r.listen)];
    if (roleName) listen.push(`${roleName} : ${task.name}`);
    return { id: task.id, name: task.name, listen, task };
  });
}
