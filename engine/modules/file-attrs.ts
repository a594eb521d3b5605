import { formatMode, type FileStat } from '../facts/file.ts';
import { sh } from '../transport/quote.ts';
import type { Change, ModuleContext } from './types.ts';

/** Schema of `mode`: '0644', '644', or a number of permission bits (YAML 1.1 reads 0644 as 420). */
export const modeSchema = {
  anyOf: [
    { type: 'string', pattern: '^0?[0-7]{3,4}$' },
    { type: 'integer', minimum: 0, maximum: 0o7777 },
  ],
  errorMessage: "an octal mode such as '0644' (quoted), or a number of permission bits up to 0o7777",
};

export const attrSchemas = {
  mode: modeSchema,
  owner: { type: 'string', minLength: 1 },
  group: { type: 'string', minLength: 1 },
};

export interface FileAttrs {
  mode?: number;
  owner?: string;
  group?: string;
}

/**
 * Permission bits from `mode`. A number is the bits themselves, as in Ansible: `mode: 0644`
 * (octal under YAML 1.1, so 420) and `mode: '0644'` mean the same thing.
 */
export function parseMode(mode: string | number | undefined): number | undefined {
  if (mode === undefined) return undefined;
  if (typeof mode === 'number') {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`mode ${mode} is out of range (write it as '0644')`);
    return mode;
  }
  const digits = String(mode);
  if (!/^[0-7]{1,5}$/.test(digits)) throw new Error(`mode ${JSON.stringify(mode)} is not octal (write it as '0644')`);
  const bits = parseInt(digits, 8);
  if (bits > 0o7777) throw new Error(`mode ${JSON.stringify(mode)} is out of range`);
  return bits;
}

/** Reads mode/owner/group args; throws with a user-facing message on a bad mode. */
export function attrsOf(args: { mode?: string | number; owner?: string; group?: string }): FileAttrs {
  return { mode: parseMode(args.mode), owner: args.owner, group: args.group };
}

/** Owner/group names or ids as the stat fact shows them. */
function sameId(want: string, name: string, id: number): boolean {
  return want === name || want === String(id);
}

/** chmod/chown changes that bring an existing path to the wanted attributes. */
export function attrChanges(ctx: ModuleContext, path: string, stat: FileStat, want: FileAttrs): Change[] {
  if (!stat.exists) return [];
  const changes: Change[] = [];
  if (want.mode !== undefined && stat.type !== 'link' && stat.mode !== want.mode) {
    const m = formatMode(want.mode);
    changes.push(
      shellChange(ctx, `chmod ${m} ${path} (was ${formatMode(stat.mode)})`, sh`chmod -- ${m} ${path}`),
    );
  }
  const owner = want.owner !== undefined && !sameId(want.owner, stat.owner, stat.uid) ? want.owner : undefined;
  const group = want.group !== undefined && !sameId(want.group, stat.group, stat.gid) ? want.group : undefined;
  if (owner !== undefined || group !== undefined) {
    const spec = `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`;
    changes.push(
      shellChange(ctx, `chown ${spec} ${path} (was ${stat.owner}:${stat.group})`, sh`chown -h -- ${spec} ${path}`),
    );
  }
  return changes;
}

/** A change that runs one command on the host (with become) and fails on a non-zero rc. */
export function shellChange(ctx: ModuleContext, summary: string, command: string): Change {
  return {
    summary,
    async apply() {
      const r = await ctx.transport.exec(command, { become: ctx.become });
      if (r.rc !== 0) return { failed: `${summary.split(' (')[0]}: ${r.stderr.trim() || `rc ${r.rc}`}` };
    },
  };
}
