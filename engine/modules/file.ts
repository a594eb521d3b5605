import { fileFact, formatMode, type FileStat } from '../facts/file.ts';
import { gather } from '../facts/gather.ts';
import { quote, sh } from '../transport/quote.ts';
import { attrChanges, attrSchemas, attrsOf, shellChange, type FileAttrs } from './file-attrs.ts';
import type { Change, ModuleContext, ModuleDef, Plan } from './types.ts';

export interface FileArgs {
  path?: string;
  dest?: string;
  name?: string;
  state?: 'file' | 'directory' | 'absent' | 'touch' | 'link';
  src?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  recurse?: boolean;
  force?: boolean;
  access_time?: 'preserve' | 'now';
  modification_time?: 'preserve' | 'now';
}

/** `path`, with Ansible's aliases `dest` and `name`; shared by the file-editing modules. */
export const pathSchemas = {
  path: { type: 'string', minLength: 1 },
  dest: { type: 'string', minLength: 1 },
  name: { type: 'string', minLength: 1 },
};
export const pathRequired = { anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }] };

export function pathOf(args: { path?: string; dest?: string; name?: string }): string {
  return args.path ?? args.dest ?? args.name ?? '';
}

/** Commands that set attributes of a path just created. */
function setAttrs(path: string, attrs: FileAttrs): string {
  const steps: string[] = [];
  if (attrs.mode !== undefined) steps.push(sh`chmod -- ${formatMode(attrs.mode)} ${path}`);
  if (attrs.owner !== undefined || attrs.group !== undefined) {
    steps.push(sh`chown -h -- ${`${attrs.owner ?? ''}${attrs.group !== undefined ? `:${attrs.group}` : ''}`} ${path}`);
  }
  return steps.map((s) => ` && ${s}`).join('');
}

function describe(attrs: FileAttrs): string {
  const parts = [
    attrs.mode !== undefined ? `mode ${formatMode(attrs.mode)}` : '',
    attrs.owner || attrs.group ? `owner ${attrs.owner ?? ''}${attrs.group ? `:${attrs.group}` : ''}` : '',
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** chmod -R / chown -R when anything under a directory differs (links excluded). */
async function recurseChanges(ctx: ModuleContext, path: string, attrs: FileAttrs): Promise<Change[] | string> {
  const checks: string[] = [];
  if (attrs.mode !== undefined) checks.push(`m=$(find ${quote(path)} ! -type l ! -perm ${formatMode(attrs.mode)} -print -quit) && [ -n "$m" ] && echo mode`);
  if (attrs.owner !== undefined) checks.push(`o=$(find ${quote(path)} ! -user ${quote(attrs.owner)} -print -quit) && [ -n "$o" ] && echo owner`);
  if (attrs.group !== undefined) checks.push(`g=$(find ${quote(path)} ! -group ${quote(attrs.group)} -print -quit) && [ -n "$g" ] && echo group`);
  if (!checks.length) return [];
  const r = await ctx.transport.exec(`${checks.join('; ')}; true`, { become: ctx.become });
  if (r.rc !== 0 || r.stderr.trim()) return `checking ${path} recursively failed: ${r.stderr.trim()}`;
  const found = new Set(r.stdout.split('\n'));
  const changes: Change[] = [];
  if (found.has('mode') && attrs.mode !== undefined) {
    const m = formatMode(attrs.mode);
    changes.push(shellChange(ctx, `chmod -R ${m} ${path}`, sh`chmod -R -- ${m} ${path}`));
  }
  if (found.has('owner') || found.has('group')) {
    const spec = `${attrs.owner ?? ''}${attrs.group !== undefined ? `:${attrs.group}` : ''}`;
    changes.push(shellChange(ctx, `chown -R ${spec} ${path}`, sh`chown -R -- ${spec} ${path}`));
  }
  return changes;
}

function typeName(stat: FileStat): string {
  return stat.exists ? (stat.type === 'other' ? 'special file' : stat.type) : 'absent';
}

export const file: ModuleDef<FileArgs> = {
  name: 'file',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...pathRequired,
    properties: {
      ...pathSchemas,
      state: { enum: ['file', 'directory', 'absent', 'touch', 'link'] },
      src: { type: 'string', minLength: 1 },
      ...attrSchemas,
      recurse: { type: 'boolean' },
      force: { type: 'boolean' },
      access_time: { enum: ['preserve', 'now'] },
      modification_time: { enum: ['preserve', 'now'] },
    },
  },
  async plan(args, ctx): Promise<Plan> {
    const path = pathOf(args);
    let attrs: FileAttrs;
    try {
      attrs = attrsOf(args);
    } catch (e) {
      return { status: 'failed', msg: (e as Error).message };
    }
    const stat = await gather(ctx, fileFact(path, false));
    const current = stat.exists ? (stat.type === 'other' ? 'file' : stat.type) : undefined;
    const state = args.state ?? (args.recurse ? 'directory' : args.src !== undefined ? 'link' : (current ?? 'file'));
    const result = { path, state };
    const done = (changes: Change[]): Plan => (changes.length ? { status: 'change', changes, result } : { status: 'ok', result });
    const exec = (summary: string, command: string): Change => shellChange(ctx, summary, command);

    switch (state) {
      case 'absent':
        return done(stat.exists ? [exec(`remove ${path} (${typeName(stat)})`, sh`rm -rf -- ${path}`)] : []);
      case 'file':
        if (!stat.exists) return { status: 'failed', msg: `file ${path} is absent, cannot continue (use state: touch to create it)`, result };
        if (stat.type === 'directory') return { status: 'failed', msg: `${path} is a directory, not a file`, result };
        return done(attrChanges(ctx, path, stat, attrs));
      case 'directory': {
        if (!stat.exists) return done([exec(`create directory ${path}${describe(attrs)}`, sh`mkdir -p -- ${path}` + setAttrs(path, attrs))]);
        if (stat.type !== 'directory') return { status: 'failed', msg: `${path} exists as a ${typeName(stat)}, not a directory`, result };
        if (!args.recurse) return done(attrChanges(ctx, path, stat, attrs));
        const rec = await recurseChanges(ctx, path, attrs);
        return typeof rec === 'string' ? { status: 'failed', msg: rec, result } : done(rec);
      }
      case 'touch': {
        if (!stat.exists) return done([exec(`create empty file ${path}${describe(attrs)}`, sh`touch -- ${path}` + setAttrs(path, attrs))]);
        const times = [args.access_time !== 'preserve' ? '-a' : '', args.modification_time !== 'preserve' ? '-m' : ''].filter(Boolean);
        // as in Ansible, touching an existing path updates its times and counts as a change
        const touch = times.length ? [exec(`touch ${path}`, `touch ${times.join(' ')} -- ${quote(path)}`)] : [];
        return done([...touch, ...attrChanges(ctx, path, stat, attrs)]);
      }
      case 'link': {
        if (args.src === undefined) return { status: 'failed', msg: 'state: link needs src (the link target)', result };
        if (stat.exists && stat.type === 'link' && stat.target === args.src) return done(attrChanges(ctx, path, stat, { ...attrs, mode: undefined }));
        if (stat.exists && stat.type !== 'link' && !args.force) {
          return { status: 'failed', msg: `refusing to convert ${path} from ${typeName(stat)} to a symlink (set force: true)`, result };
        }
        const clear = stat.exists && stat.type === 'directory' ? sh`rm -rf -- ${path} && ` : '';
        const was = stat.exists ? ` (was ${stat.type === 'link' ? `-> ${stat.target}` : typeName(stat)})` : '';
        return done([exec(`link ${path} -> ${args.src}${was}`, clear + sh`ln -sfn -- ${args.src} ${path}` + setAttrs(path, { ...attrs, mode: undefined }))]);
      }
    }
  },
};
