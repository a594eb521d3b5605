import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import { fileFact, formatMode, type FileStat } from '../facts/file.ts';
import { gather } from '../facts/gather.ts';
import { quote, sh } from '../transport/quote.ts';
import { attrChanges, type FileAttrs } from './file-attrs.ts';
import type { Change, FileDiff, ModuleContext, Plan } from './types.ts';

/** What copy, template, lineinfile and blockinfile want a file on the host to be. */
export interface WriteSpec {
  dest: string;
  content: Buffer;
  attrs: FileAttrs;
  backup?: boolean;
  /** Command with `%s`, run on a temp copy before it replaces dest. */
  validate?: string;
  /** false: leave an existing dest alone. Default true. */
  force?: boolean;
  /** The dest's stat when the caller already has it. */
  stat?: FileStat;
}

const DIFF_LIMIT = 256 * 1024;

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Text for --diff, or undefined for binary or large content. */
function diffText(data: Buffer): string | undefined {
  if (data.length > DIFF_LIMIT || data.includes(0)) return undefined;
  const text = data.toString('utf8');
  return Buffer.from(text, 'utf8').equals(data) ? text : undefined;
}

/** Plans writing `spec.content` to `spec.dest`: one write with diff, or chmod/chown only. */
export async function planWrite(ctx: ModuleContext, spec: WriteSpec): Promise<Plan> {
  const { dest, content, attrs } = spec;
  if (spec.validate !== undefined && !spec.validate.includes('%s')) {
    return { status: 'failed', msg: `validate must contain %s (the file to check): ${spec.validate}` };
  }
  const stat = spec.stat ?? (await gather(ctx, fileFact(dest)));
  const checksum = sha256(content);
  const result = { dest, checksum, size: content.length };
  if (stat.exists && stat.type === 'directory') return { status: 'failed', msg: `${dest} is a directory`, result };
  if (stat.exists && spec.force === false) return { status: 'ok', msg: `${dest} exists and force is false`, result };

  if (stat.exists && stat.type === 'file' && stat.checksum === checksum) {
    const changes = attrChanges(ctx, dest, stat, attrs);
    return changes.length ? { status: 'change', changes, result } : { status: 'ok', result };
  }

  const before = stat.exists ? ((await ctx.transport.readFile(dest, { become: ctx.become })) ?? Buffer.alloc(0)) : Buffer.alloc(0);
  const beforeText = diffText(before);
  const afterText = diffText(content);
  const diff: FileDiff | undefined =
    beforeText !== undefined && afterText !== undefined ? { path: dest, before: beforeText, after: afterText } : undefined;
  // an existing file keeps its mode and ownership unless they are asked for
  const mode = attrs.mode ?? (stat.exists && stat.type === 'file' ? stat.mode : 0o644);
  const owner = attrs.owner ?? (stat.exists ? stat.owner : undefined);
  const group = attrs.group ?? (stat.exists ? stat.group : undefined);
  const write: Change = {
    summary: `${stat.exists ? 'write' : 'create'} ${dest} (${content.length} bytes, mode ${formatMode(mode)}${diff ? '' : ', binary'})`,
    ...(diff ? { diff } : {}),
    async apply() {
      const out: Record<string, unknown> = { ...result, mode: formatMode(mode) };
      if (spec.backup && stat.exists) {
        const backupFile = `${dest}.${timestamp()}~`;
        const r = await ctx.transport.exec(sh`cp -p -- ${dest} ${backupFile}`, { become: ctx.become });
        if (r.rc !== 0) return { failed: `backup of ${dest} failed: ${r.stderr.trim()}` };
        out.backup_file = backupFile;
      }
      const opts = { mode, owner, group, become: ctx.become };
      if (spec.validate === undefined) {
        await ctx.transport.writeFile(dest, content, opts);
        return { result: out };
      }
      const tmp = `${dirname(dest)}/.${basename(dest)}.hap-validate-${randomBytes(4).toString('hex')}`;
      await ctx.transport.writeFile(tmp, content, opts);
      const check = await ctx.transport.exec(spec.validate.replaceAll('%s', quote(tmp)), { become: ctx.become });
      if (check.rc !== 0) {
        await ctx.transport.exec(sh`rm -f -- ${tmp}`, { become: ctx.become });
        // the validator's own words (haproxy and keepalived print theirs on stderr, others on stdout)
        const said = [check.stdout.trim(), check.stderr.trim()].filter(Boolean).join('\n').split('\n').slice(0, 30).join('\n');
        return {
          failed: `validation failed (rc ${check.rc}): ${dest} left unchanged; '${spec.validate}' on the candidate ${tmp} said:\n${said || '(nothing)'}`,
          result: { ...out, validate_rc: check.rc },
        };
      }
      const mv = await ctx.transport.exec(sh`mv -f -- ${tmp} ${dest}`, { become: ctx.become });
      if (mv.rc !== 0) return { failed: `moving ${tmp} to ${dest} failed: ${mv.stderr.trim()}` };
      return { result: out };
    },
  };
  return { status: 'change', changes: [write], result };
}

function timestamp(): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
