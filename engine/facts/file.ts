import { quote } from '../transport/quote.ts';
import type { ExecResult } from '../transport/types.ts';
import type { Fact } from './types.ts';

export type FileType = 'file' | 'directory' | 'link' | 'other';
export type ChecksumAlgorithm = 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** One path on a host, as `stat` (without following links) sees it. */
export type FileStat =
  | { exists: false }
  | {
      exists: true;
      type: FileType;
      /** Permission bits, e.g. 0o644. */
      mode: number;
      uid: number;
      gid: number;
      owner: string;
      group: string;
      size: number;
      mtime: number;
      /** Target of a symbolic link. */
      target?: string;
      /** Checksum of a regular file's content (of the link target for a link to a file). */
      checksum?: string;
    };

/** `stat` of one path plus a checksum of its content, in one command. */
export function fileFact(path: string, checksum: ChecksumAlgorithm | false = 'sha256'): Fact<FileStat> {
  const p = quote(path);
  const sum = checksum
    ? `[ -f ${p} ] && [ -r ${p} ] && printf 'sum %s\\n' "$(${checksum}sum < ${p} | cut -d' ' -f1)"; `
    : '';
  const command =
    `if [ -e ${p} ] || [ -L ${p} ]; then ` +
    `stat -c 'stat %F|%a|%u|%g|%U|%G|%s|%Y' -- ${p} || exit 1; ` +
    `[ -L ${p} ] && printf 'link %s\\n' "$(readlink -- ${p})"; ${sum}true; ` +
    `else echo absent; fi`;
  return { name: `file:${checksum || 'nosum'}`, command, parse: (r) => parseFileStat(r, path) };
}

export function parseFileStat(r: ExecResult, path: string): FileStat {
  if (r.rc !== 0) throw new Error(`stat ${path} failed: ${r.stderr.trim() || `rc ${r.rc}`}`);
  const lines = r.stdout.split('\n');
  if (lines[0] === 'absent') return { exists: false };
  const statLine = lines.find((l) => l.startsWith('stat '));
  if (!statLine) throw new Error(`stat ${path}: unexpected output ${JSON.stringify(r.stdout)}`);
  const [kind = '', mode = '', uid = '', gid = '', owner = '', group = '', size = '', mtime = ''] = statLine
    .slice(5)
    .split('|');
  const link = lines.find((l) => l.startsWith('link '));
  const sum = lines.find((l) => l.startsWith('sum '));
  return {
    exists: true,
    type: kind.includes('regular') ? 'file' : kind === 'directory' ? 'directory' : kind === 'symbolic link' ? 'link' : 'other',
    mode: parseInt(mode, 8),
    uid: Number(uid),
    gid: Number(gid),
    owner,
    group,
    size: Number(size),
    mtime: Number(mtime),
    ...(link ? { target: link.slice(5) } : {}),
    ...(sum ? { checksum: sum.slice(4) } : {}),
  };
}

/** Mode bits as Ansible prints them: '0644'. */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
