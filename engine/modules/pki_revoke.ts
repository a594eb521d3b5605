import { nodeLeaves, planRevoke } from '../pki/revoke.ts';
import { sh } from '../transport/quote.ts';
import type { ModuleDef } from './types.ts';

export interface PkiRevokeArgs {
  dir: string;
  node: string;
  /** Store names to revoke (default: the node's own leaves, etcd/server-NODE and etcd/peer-NODE). */
  names?: string[];
  reason?: string;
}

/**
 * Revokes a removed node's certificates in the controller's PKI store (the pki role's
 * `pki_dir`; delegate it to localhost): serials recorded in revoked.jsonl, files removed.
 */
export const pkiRevoke: ModuleDef<PkiRevokeArgs> = {
  name: 'pki_revoke',
  schema: {
    type: 'object',
    required: ['dir', 'node'],
    additionalProperties: false,
    properties: {
      dir: { type: 'string', pattern: '^/' },
      node: { type: 'string', minLength: 1 },
      names: { type: 'array', items: { type: 'string', minLength: 1 } },
      reason: { type: 'string' },
    },
  },
  async plan(args, ctx) {
    const become = ctx.become;
    return planRevoke(args.dir, args.node, args.names ?? nodeLeaves(args.node), args.reason ?? 'node removed from the cluster', {
      async read(path) {
        const buf = await ctx.transport.readFile(path, { become });
        return buf === null ? undefined : buf.toString('utf8');
      },
      async write(path, data, mode) {
        await ctx.transport.writeFile(path, data, { mode, become });
      },
      async remove(path) {
        const r = await ctx.transport.exec(sh`rm -f -- ${path}`, { become });
        if (r.rc !== 0) throw new Error(`rm -f ${path} failed: ${r.stderr.trim()}`);
      },
    }, new Date());
  },
};
