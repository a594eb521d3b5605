import { join } from 'node:path';
import type { Change, Plan } from '../modules/types.ts';
import { inspectCert } from './inspect.ts';

/** One revoked certificate: a line of `<pki dir>/revoked.jsonl`. */
export interface RevokedEntry {
  serial: string;
  subject: string;
  name: string;
  node: string;
  not_after: string;
  revoked_at: string;
  reason: string;
}

export interface RevokeIo {
  read(path: string): Promise<string | undefined>;
  write(path: string, data: string, mode: number): Promise<void>;
  remove(path: string): Promise<void>;
}

// JSON lines, appended; not `.json`, which an inventory directory holding the PKI would read
export const REVOKED_FILE = 'revoked.jsonl';

/** The certificates in the store that belong to one node alone (kubeadm layout). */
export function nodeLeaves(node: string): string[] {
  return [`etcd/server-${node}`, `etcd/peer-${node}`];
}

/**
 * Plans the revocation of a node's leaves: each one still in the store is recorded in
 * revoked.jsonl (serial, subject, node, time) and its certificate and key leave the store, so
 * no later run pushes them again. Nothing left for the node: no change.
 */
export async function planRevoke(dir: string, node: string, names: string[], reason: string, io: RevokeIo, now: Date): Promise<Plan> {
  const listPath = join(dir, REVOKED_FILE);
  const listText = await io.read(listPath);
  const list: RevokedEntry[] = [];
  for (const [i, line] of (listText ?? '').split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as RevokedEntry;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('not an object');
      list.push(entry);
    } catch (e) {
      return { status: 'failed', msg: `${listPath}:${i + 1}: not a revocation record (${(e as Error).message}); fix or move the file aside` };
    }
  }
  const found: RevokedEntry[] = [];
  for (const name of names) {
    const pem = await io.read(join(dir, `${name}.crt`));
    if (pem === undefined) continue;
    let info;
    try {
      info = inspectCert(pem);
    } catch (e) {
      return { status: 'failed', msg: `${join(dir, `${name}.crt`)}: ${(e as Error).message}` };
    }
    found.push({ serial: info.serial ?? '', subject: `CN=${info.cn}`, name, node, not_after: info.notAfter.toISOString(), revoked_at: now.toISOString(), reason });
  }
  const earlier = list.filter((e) => e.node === node);
  if (!found.length) {
    const msg = earlier.length
      ? `nothing to revoke for ${node}: already revoked ${earlier.map((e) => `${e.name} (serial ${e.serial})`).join(', ')}`
      : `nothing to revoke for ${node}: none of ${names.join(', ')} is in ${dir}`;
    return { status: 'ok', msg, result: { revoked: [], earlier } };
  }
  const changes: Change[] = [
    {
      summary: `record ${found.map((e) => `${e.name} (serial ${e.serial})`).join(', ')} as revoked in ${listPath}`,
      apply: async () => {
        await io.write(listPath, [...list, ...found].map((e) => `${JSON.stringify(e)}\n`).join(''), 0o644);
      },
    },
    ...found.map((e) => ({
      summary: `remove ${e.name}.crt and ${e.name}.key from ${dir}`,
      apply: async () => {
        await io.remove(join(dir, `${e.name}.crt`));
        await io.remove(join(dir, `${e.name}.key`));
      },
    })),
  ];
  return { status: 'change', changes, result: { revoked: found, earlier } };
}
