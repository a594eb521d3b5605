import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import { fileFact } from '../facts/file.ts';
import { gather } from '../facts/gather.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';

export interface FetchArgs {
  src: string;
  dest: string;
  flat?: boolean;
  validate_checksum?: boolean;
  fail_on_missing?: boolean;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * Where Ansible's fetch puts a file on the controller: `dest/<host>/<src>` by default; with
 * `flat`, `dest` itself, or `dest/<basename>` when dest ends with '/'. A relative dest is
 * relative to the playbook's directory.
 */
export function fetchDest(args: Pick<FetchArgs, 'src' | 'dest' | 'flat'>, host: string, playbookDir?: string): string {
  const base = isAbsolute(args.dest) ? args.dest : playbookDir ? join(playbookDir, args.dest) : undefined;
  if (base === undefined) throw new Error(`dest ${args.dest} is relative and there is no playbook directory to resolve it against`);
  if (args.flat) return args.dest.endsWith('/') ? join(base, basename(args.src)) : base;
  const inside = normalize(args.src).replace(/^\/+/, '');
  if (inside.split('/').includes('..')) throw new Error(`src ${args.src} must not contain ..`);
  return join(base, host, inside);
}

async function controllerChecksum(path: string): Promise<string | undefined> {
  try {
    return sha256(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes beside the target, then renames: a reader never sees half a file. */
async function writeAtomic(path: string, data: Buffer, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.hap-fetch-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Copies a file from the host to the controller (Ansible's fetch). Planned from the host's
 * sha256 and the controller copy's: a file already fetched is left alone. The copy keeps the
 * host file's permission bits (a 0600 snapshot stays private). Files are read whole.
 */
export const fetchModule: ModuleDef<FetchArgs> = {
  name: 'fetch',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src', 'dest'],
    properties: {
      src: { type: 'string', minLength: 1 },
      dest: { type: 'string', minLength: 1 },
      flat: { type: 'boolean' },
      validate_checksum: { type: 'boolean' },
      fail_on_missing: { type: 'boolean' },
    },
  },
  async plan(args, ctx): Promise<Plan> {
    let dest: string;
    try {
      dest = fetchDest(args, ctx.host, typeof ctx.vars.playbook_dir === 'string' ? ctx.vars.playbook_dir : undefined);
    } catch (e) {
      return { status: 'failed', msg: (e as Error).message };
    }
    const remote = await gather(ctx, fileFact(args.src, 'sha256'));
    if (!remote.exists) {
      const msg = `file not found on ${ctx.host}: ${args.src}`;
      return args.fail_on_missing === false ? { status: 'ok', msg, result: { file: args.src, dest } } : { status: 'failed', msg };
    }
    if (remote.type !== 'file') return { status: 'failed', msg: `${args.src} on ${ctx.host} is not a regular file (fetch copies files)` };
    const checksum = remote.checksum;
    if (checksum === undefined) return { status: 'failed', msg: `${args.src} on ${ctx.host} is not readable` };
    const result = { dest, remote_checksum: checksum, checksum, size: remote.size };
    if ((await controllerChecksum(dest)) === checksum) return { status: 'ok', result };
    return {
      status: 'change',
      result,
      changes: [{ summary: `fetch ${ctx.host}:${args.src} to ${dest} (${remote.size} bytes)`, apply: () => pull(args, ctx, dest, { checksum, mode: remote.mode }) }],
    };
  },
};

async function pull(args: FetchArgs, ctx: ModuleContext, dest: string, planned: { checksum: string; mode: number }) {
  const data = await ctx.transport.readFile(args.src, { become: ctx.become });
  if (data === null) return { failed: `${args.src} disappeared from ${ctx.host} while fetching` };
  const sum = sha256(data);
  // as Ansible's validate_checksum: what arrived is what the host had when it was planned
  if (args.validate_checksum !== false && sum !== planned.checksum) {
    return { failed: `checksum mismatch for ${ctx.host}:${args.src}: the host had ${planned.checksum}, received ${sum} (the file changed while fetching?)` };
  }
  await writeAtomic(dest, data, planned.mode & 0o666);
  const written = await controllerChecksum(dest);
  if (args.validate_checksum !== false && written !== sum) return { failed: `checksum mismatch after writing ${dest}: ${written} != ${sum}` };
  return { result: { dest, checksum: sum, remote_checksum: sum, size: data.length } };
}
