import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from '../schemas/ajv.ts';
import type { SourcePos } from '../source/errors.ts';
import { keyPosOf, posOf } from '../source/yaml.ts';
import { isTemplated } from '../vars/interpolate.ts';
import { HapErrors } from '../source/errors.ts';
import { LoadContext } from './context.ts';
import { expandRole, toHandlers } from './roles.ts';
import { IMPORT_PLAYBOOK_SCHEMA, PLAY_SCHEMA } from './schema.ts';
import { checkTemplates, conditions, exists, parseTasks, prependWhen, pushWhenDown, type PendingNotify, type Scope } from './tasks.ts';
import type { Handler, Play, Playbook, QuorumSpec, RoleEntry, Task, VipSpec } from './types.ts';

/** hap's own roles/ folder (the roles it ships), searched after the playbook's. */
export const BUILTIN_ROLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../roles');

const list = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * Loads a playbook with its imports, roles and task files, validating everything.
 * Throws HapErrors listing every problem found (file:line:col), before any host is touched.
 */
export async function loadPlaybook(file: string): Promise<Playbook> {
  const path = resolve(file);
  const dir = dirname(path);
  const ctx = new LoadContext(dir, [join(dir, 'roles'), resolve(dir, '../roles'), BUILTIN_ROLES]);
  if (!(await exists(path))) {
    ctx.error(`playbook not found: ${file}`);
    ctx.throwIfErrors();
  }
  const plays = await loadPlays(ctx, path);
  ctx.throwIfErrors();
  return { file: path, dir, plays };
}

async function loadPlays(ctx: LoadContext, path: string): Promise<Play[]> {
  const raw = await ctx.yaml(path);
  if (raw === null) {
    if (ctx.errors.length === 0) ctx.error('playbook is empty', { file: path, line: 1, col: 1 });
    return [];
  }
  if (!Array.isArray(raw)) {
    ctx.error('a playbook must be a YAML list of plays', posOf(raw) ?? { file: path, line: 1, col: 1 });
    return [];
  }
  const plays: Play[] = [];
  for (let i = 0; i < raw.length; i++) {
    const item = raw[i] as Record<string, unknown>;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      ctx.error('a play must be a mapping', posOf(raw, i));
      continue;
    }
    if ('import_playbook' in item) {
      ctx.add(validate(IMPORT_PLAYBOOK_SCHEMA, item, 'import_playbook'));
      const target = resolve(dirname(path), String(item.import_playbook));
      if (ctx.stack.includes(target)) {
        ctx.error(`import_playbook cycle: ${[...ctx.stack, target].join(' → ')}`, posOf(item, 'import_playbook'));
        continue;
      }
      if (!(await exists(target))) {
        ctx.error(`imported playbook not found: ${target}`, posOf(item, 'import_playbook'));
        continue;
      }
      ctx.stack.push(target);
      const imported = await loadPlays(ctx, target);
      ctx.stack.pop();
      // like Ansible, the import's vars apply to each of its plays, over the plays' own vars
      const vars = (item.vars as Record<string, unknown> | undefined) ?? {};
      if (Object.keys(vars).length) checkTemplates(ctx, vars, item, 'vars');
      // and its `when` to each task of them, evaluated per host and task like an import's
      const when = conditions(ctx, item.when, posOf(item, 'when'));
      for (const play of imported) {
        for (const k of Object.keys(vars)) play.varsPos[k] = keyPosOf(item.vars, k) ?? posOf(item) ?? play.pos;
        play.vars = { ...play.vars, ...vars };
        if (when.length) for (const t of [...play.preTasks, ...play.tasks, ...play.postTasks]) prependWhen(t, when);
      }
      plays.push(...imported);
      continue;
    }
    const play = await loadPlay(ctx, item, path);
    if (play) plays.push(play);
  }
  return plays;
}

async function loadPlay(ctx: LoadContext, raw: Record<string, unknown>, file: string): Promise<Play | undefined> {
  const errorsBefore = ctx.errors.length;
  ctx.add(validate(PLAY_SCHEMA, raw, 'play'));
  if (ctx.errors.length > errorsBefore && (typeof raw.hosts !== 'string' && !Array.isArray(raw.hosts))) return undefined;
  const pos = posOf(raw) ?? { file, line: 1, col: 1 };
  const playTags = list(raw.tags);
  const notifies: PendingNotify[] = [];
  const handlers: Handler[] = [];
  const entries: RoleEntry[] = [];
  const scope: Scope = {
    origin: { file },
    tags: playTags,
    vars: {},
    notifies,
    loadRole: (name, params, p, s, tasksFrom, isPrivate) => expandRole(ctx, name, params, p, s, handlers, entries, tasksFrom, isPrivate),
    loadLater: async (load) => {
      const errorsBefore = ctx.errors.length;
      const notifiesBefore = notifies.length;
      const tasks = await load();
      resolveNotifies(ctx, notifies.slice(notifiesBefore), handlers);
      const errors = ctx.errors.splice(errorsBefore);
      if (errors.length) throw new HapErrors(errors);
      return tasks;
    },
  };
  if (raw.vars) checkTemplates(ctx, raw.vars, raw, 'vars');
  const varsFiles: Record<string, unknown> = {};
  const varsFilesPos: Record<string, SourcePos> = {};
  const vf = (raw.vars_files as unknown[]) ?? [];
  for (let i = 0; i < vf.length; i++) {
    const name = String(vf[i]);
    if (isTemplated(name)) {
      ctx.error('vars_files: templated file names are not supported', posOf(vf, i));
      continue;
    }
    const p = resolve(dirname(file), name);
    if (!(await exists(p))) {
      ctx.error(`vars file not found: ${p}`, posOf(vf, i));
      continue;
    }
    const data = await ctx.yaml(p);
    if (data === null) continue;
    if (typeof data !== 'object' || Array.isArray(data)) {
      ctx.error('a vars file must be a mapping', posOf(data) ?? { file: p, line: 1, col: 1 });
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      const kp = keyPosOf(data, k) ?? { file: p, line: 1, col: 1 };
      if (k in varsFiles && JSON.stringify(varsFiles[k]) !== JSON.stringify(v)) {
        const prev = varsFilesPos[k]!;
        ctx.error(`'${k}' is defined in two vars_files with different values (also at ${prev.file}:${prev.line}:${prev.col})`, kp);
      }
      varsFiles[k] = v;
      varsFilesPos[k] = kp;
    }
    checkTemplates(ctx, data, undefined, undefined);
  }
  const preTasks = await parseTasks(ctx, raw.pre_tasks, scope);
  const roleTasks: Task[] = [];
  const roles = (raw.roles as unknown[]) ?? [];
  for (let i = 0; i < roles.length; i++) {
    const r = roles[i];
    const spec = (typeof r === 'string' ? { role: r } : (r as Record<string, unknown>)) ?? {};
    const name = String(spec.role ?? spec.name);
    const { role: _a, name: _b, tags, when, vars, ...rest } = spec;
    const params = { ...rest, ...((vars as Record<string, unknown>) ?? {}) };
    const rolePos = posOf(roles, i);
    const tasks = await expandRole(ctx, name, params, rolePos, { ...scope, tags: [...playTags, ...list(tags)] }, handlers, entries, 'main', false, true);
    if (when !== undefined) {
      // `when:` on a role applies to each of its tasks, like a block around them
      roleTasks.push(pushWhenDown({
        id: ctx.id(), name: `role ${name}`, pos: rolePos ?? pos, origin: { file }, when: list(when), tags: [...playTags, ...list(tags)],
        vars: {}, runOnce: false, noLog: false, ignoreErrors: false, ignoreUnreachable: false,
        kind: 'block', block: tasks, rescue: [], always: [],
      }));
    } else roleTasks.push(...tasks);
  }
  const tasks = await parseTasks(ctx, raw.tasks, scope);
  const postTasks = await parseTasks(ctx, raw.post_tasks, scope);
  const playHandlerTasks = await parseTasks(ctx, raw.handlers, scope);
  handlers.push(...toHandlers(playHandlerTasks, raw.handlers));
  resolveNotifies(ctx, notifies, handlers);
  const serial = raw.serial === undefined ? [] : Array.isArray(raw.serial) ? (raw.serial as Array<number | string>) : [raw.serial as number | string];
  const varsPos: Record<string, SourcePos> = {};
  for (const k of Object.keys((raw.vars as object) ?? {})) varsPos[k] = keyPosOf(raw.vars, k) ?? pos;
  let quorum: QuorumSpec | undefined;
  if (raw.quorum) quorum = { probe: 'etcd', ...(raw.quorum as object), pos: posOf(raw, 'quorum') ?? pos } as QuorumSpec;
  const vip = raw.vip ? ({ ...(raw.vip as object), pos: posOf(raw, 'vip') ?? pos } as VipSpec) : undefined;
  return {
    name: String(raw.name ?? list(raw.hosts).join(',')),
    pos,
    file,
    hosts: list(raw.hosts).join(':'),
    vars: (raw.vars as Record<string, unknown>) ?? {},
    varsPos,
    varsFiles,
    varsFilesPos,
    preTasks,
    tasks: [...roleTasks, ...tasks],
    postTasks,
    handlers,
    serial,
    maxFailPercentage: raw.max_fail_percentage === undefined ? undefined : Number(String(raw.max_fail_percentage).replace('%', '')),
    anyErrorsFatal: raw.any_errors_fatal === true,
    gatherFacts: raw.gather_facts !== false,
    become: raw.become as boolean | undefined,
    becomeUser: raw.become_user as string | undefined,
    tags: playTags,
    connection: raw.connection as 'local' | 'ssh' | undefined,
    environment: raw.environment as Record<string, unknown> | undefined,
    quorum,
    vip,
    roles: entries,
  };
}

/** Handlers are matched by name or listen topic when the playbook loads, not at run time. */
function resolveNotifies(ctx: LoadContext, notifies: PendingNotify[], handlers: Handler[]): void {
  for (const n of notifies) {
    const matched = handlers.filter((h) => h.name === n.name || h.listen.includes(n.name));
    if (matched.length === 0) {
      ctx.error(`notify: no handler named or listening to '${n.name}'`, n.pos);
      continue;
    }
    for (const h of matched) if (!n.task.notify.includes(h)) n.task.notify.push(h);
  }
}
