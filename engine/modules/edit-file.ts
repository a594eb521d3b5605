import { fileFact } from '../facts/file.ts';
import { gather } from '../facts/gather.ts';
import { attrSchemas, attrsOf } from './file-attrs.ts';
import { pathOf, pathSchemas } from './file.ts';
import type { ModuleContext, Plan } from './types.ts';
import { planWrite } from './write-file.ts';

/** Arguments lineinfile and blockinfile share. */
export const editArgSchemas = {
  ...pathSchemas,
  state: { enum: ['present', 'absent'] },
  create: { type: 'boolean' },
  backup: { type: 'boolean' },
  validate: { type: 'string', minLength: 1 },
  insertafter: { type: 'string', minLength: 1 },
  insertbefore: { type: 'string', minLength: 1 },
  ...attrSchemas,
};

export interface EditArgs {
  path?: string;
  dest?: string;
  name?: string;
  state?: 'present' | 'absent';
  create?: boolean;
  backup?: boolean;
  validate?: string;
  insertafter?: string;
  insertbefore?: string;
  mode?: string | number;
  owner?: string;
  group?: string;
}

/** The edit of a text: the new text (possibly unchanged) and what was done. */
export interface Edit {
  text: string;
  msg: string;
}

/** Reads the file, applies `edit` to its text, and plans writing the result. */
export async function planEdit(ctx: ModuleContext, args: EditArgs, edit: (text: string) => Edit): Promise<Plan> {
  const path = pathOf(args);
  try {
    if (args.insertafter !== undefined && args.insertbefore !== undefined) {
      return { status: 'failed', msg: 'insertafter and insertbefore are mutually exclusive' };
    }
    const attrs = attrsOf(args);
    const stat = await gather(ctx, fileFact(path));
    if (!stat.exists) {
      if (args.state === 'absent') return { status: 'ok', msg: `${path} does not exist`, result: { path } };
      if (!args.create) return { status: 'failed', msg: `${path} does not exist (set create: true to create it)` };
    } else if (stat.type === 'directory') {
      return { status: 'failed', msg: `${path} is a directory` };
    }
    const raw = stat.exists ? ((await ctx.transport.readFile(path, { become: ctx.become })) ?? Buffer.alloc(0)) : Buffer.alloc(0);
    const before = raw.toString('utf8');
    const { text, msg } = edit(before);
    if (stat.exists && text === before) {
      // the raw bytes, so a file that is not valid UTF-8 is not rewritten when nothing changed
      const plan = await planWrite(ctx, { dest: path, content: raw, attrs, stat });
      return { ...plan, msg: plan.status === 'change' ? 'ownership, perms or SE linux context changed' : msg };
    }
    const plan = await planWrite(ctx, { dest: path, content: Buffer.from(text, 'utf8'), attrs, stat, backup: args.backup, validate: args.validate });
    return plan.status === 'change' ? { ...plan, msg } : plan;
  } catch (e) {
    return { status: 'failed', msg: (e as Error).message };
  }
}

/** Lines with their endings (the last may lack one). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function stripEol(line: string): string {
  return line.replace(/\r?\n$/, '');
}

/** A regexp from the task, with a message naming the argument when it does not compile. */
export function regexpOf(arg: string, source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    throw new Error(`${arg}: invalid regular expression ${JSON.stringify(source)}: ${(e as Error).message}`);
  }
}
