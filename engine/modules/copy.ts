import { readFile, stat as lstatController } from 'node:fs/promises';
import { decryptIfVaulted } from '../vault/controller-files.ts';
import { basename, isAbsolute } from 'node:path';
import { fileFact, type FileStat } from '../facts/file.ts';
import { gather } from '../facts/gather.ts';
import { attrSchemas, attrsOf } from './file-attrs.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';
import { planWrite } from './write-file.ts';

export interface CopyArgs {
  content?: string;
  src?: string;
  remote_src?: boolean;
  dest: string;
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  validate?: string;
  force?: boolean;
}

/** Arguments copy and template share. */
export const writeArgSchemas = {
  dest: { type: 'string', minLength: 1 },
  ...attrSchemas,
  backup: { type: 'boolean' },
  validate: { type: 'string', minLength: 1 },
  force: { type: 'boolean' },
};

/** dest, or dest/<name> when dest is a directory (or ends with '/'). */
export async function resolveDest(
  ctx: ModuleContext,
  dest: string,
  name: string,
): Promise<{ dest: string; stat?: FileStat }> {
  if (dest.endsWith('/')) return { dest: `${dest}${name}` };
  const stat = await gather(ctx, fileFact(dest));
  if (stat.exists && stat.type === 'directory') return { dest: `${dest.replace(/\/+$/, '')}/${name}` };
  return { dest, stat };
}

/** Reads a controller file; a directory or a missing file is a user error. */
export async function readControllerFile(path: string): Promise<Buffer> {
  const st = await lstatController(path);
  if (st.isDirectory()) throw new Error(`${path} is a directory (copying directories is not supported)`);
  // hundreds of hosts copy the same file at once: they share one Buffer while any holds it
  // (a cache, not state: keyed by the file's identity, and it never outlives its users)
  const key = `${path}\0${st.ino}\0${st.mtimeMs}\0${st.size}`;
  const held = sharedReads.get(key)?.deref();
  if (held) return held;
  const data = await readFile(path);
  sharedReads.set(key, new WeakRef(data));
  return data;
}

const sharedReads = new Map<string, WeakRef<Buffer>>();

export const copy: ModuleDef<CopyArgs> = {
  name: 'copy',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['dest'],
    properties: {
      content: { type: 'string' },
      src: { type: 'string', minLength: 1 },
      remote_src: { type: 'boolean' },
      ...writeArgSchemas,
    },
  },
  async plan(args, ctx): Promise<Plan> {
    if ((args.content === undefined) === (args.src === undefined)) {
      return { status: 'failed', msg: 'copy needs exactly one of src or content' };
    }
    let data: Buffer;
    let secret = false;
    let target: { dest: string; stat?: FileStat };
    try {
      const attrs = attrsOf(args);
      if (args.src === undefined) {
        if (args.dest.endsWith('/')) return { status: 'failed', msg: `dest ${args.dest} must be a file when content is used` };
        data = Buffer.from(args.content ?? '', 'utf8');
        target = { dest: args.dest };
      } else if (args.remote_src) {
        const remote = await ctx.transport.readFile(args.src, { become: ctx.become });
        if (remote === null) return { status: 'failed', msg: `source ${args.src} not found on ${ctx.host}` };
        data = remote;
        target = await resolveDest(ctx, args.dest, basename(args.src));
      } else {
        let path: string;
        try {
          path = await ctx.findFile('files', args.src);
        } catch (e) {
          // a controller file an earlier task only planned (--check) is not there yet: say
          // what would be copied; a real run fails here if it is still missing
          const src = args.src;
          if (!isAbsolute(src)) throw e;
          return {
            status: 'change',
            changes: [{ summary: `copy ${src} to ${args.dest} (the source does not exist yet)`, apply: async () => ({ failed: `source ${src} not found on the controller` }) }],
          };
        }
        const read = decryptIfVaulted(await readControllerFile(path), path, ctx.vault);
        data = read.data;
        secret = read.vaulted;
        target = await resolveDest(ctx, args.dest, basename(args.src));
      }
      const plan = await planWrite(ctx, { ...target, content: data, attrs, backup: args.backup, validate: args.validate, force: args.force });
      // a decrypted vault file is never shown in a diff
      return secret && plan.status === 'change' ? { ...plan, changes: plan.changes.map((c) => ({ ...c, diff: undefined })) } : plan;
    } catch (e) {
      return { status: 'failed', msg: (e as Error).message };
    }
  },
};
