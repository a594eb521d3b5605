/**
 * `etcd_member`: one member of an etcd cluster present (as a learner), promoted, or absent,
 * planned from `etcdctl member list` and `endpoint health` read on the host it runs on (the
 * host is a member; delegate_to one). Removing a voting member is refused when the members
 * left healthy would not reach the quorum of the smaller cluster; the refusal prints the
 * arithmetic, as the quorum guard does.
 */
import { shellJoin } from '../transport/quote.ts';
import { parseHealth, parseMemberList } from '../executor/gates/quorum/status.ts';
import type { ApplyOutcome, ModuleContext, ModuleDef, Plan } from './types.ts';

export interface EtcdMemberArgs {
  name: string;
  peer_url?: string;
  state?: 'present' | 'promoted' | 'absent';
  /** a member with this peer URL under another name (a replaced host) is removed first */
  replace_stale?: boolean;
  endpoints?: string[];
  /** holds ca.crt and healthcheck-client.{crt,key} (kubeadm's etcd layout); ca/cert/key override */
  pki_dir?: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** seconds to keep retrying while etcd refuses reconfiguration ("unhealthy cluster") */
  timeout?: number;
}

type Listed = ReturnType<typeof parseMemberList>[number];

const PKI = '/etc/kubernetes/pki/etcd';

function ctl(a: EtcdMemberArgs, args: string[], endpoints = a.endpoints ?? ['https://127.0.0.1:2379'], commandTimeout = '15s'): string {
  const dir = a.pki_dir ?? PKI;
  return `ETCDCTL_API=3 ${shellJoin([
    'etcdctl', `--endpoints=${endpoints.join(',')}`,
    `--cacert=${a.ca ?? `${dir}/ca.crt`}`, `--cert=${a.cert ?? `${dir}/healthcheck-client.crt`}`, `--key=${a.key ?? `${dir}/healthcheck-client.key`}`,
    '--dial-timeout=3s', `--command-timeout=${commandTimeout}`, ...args,
  ])}`;
}

/** What removing `leaving` does to quorum: pure arithmetic, spelled out. */
export function removalCheck(members: Listed[], healthyUrls: Set<string>, leaving: Listed): { ok: boolean; message: string } {
  if (leaving.learner) return { ok: true, message: `${leaving.name} is a learner: removing it does not change quorum` };
  const rest = members.filter((m) => m.id !== leaving.id && !m.learner);
  const quorum = Math.floor(rest.length / 2) + 1;
  const healthy = rest.filter((m) => m.clientUrls.some((u) => healthyUrls.has(u)));
  const ok = rest.length > 0 && healthy.length >= quorum;
  const names = healthy.map((m) => m.name).join(', ') || 'none';
  const message =
    `${rest.length + 1} voting members; removing ${leaving.name} leaves ${rest.length}, quorum ${quorum}; ` +
    `healthy remaining ${healthy.length} (${names}) ${ok ? '>=' : '<'} quorum ${quorum}${ok ? '' : ' — REFUSED: bring the unhealthy members back first'}`;
  return { ok, message };
}

/** `Member 8e9e05c52164694d added to cluster …` and `ETCD_INITIAL_CLUSTER="…"` of member add. */
export function parseMemberAdd(out: string): { id?: string; initialCluster?: string } {
  return {
    id: /^Member\s+([0-9a-f]+)\s+added/m.exec(out)?.[1],
    initialCluster: /^ETCD_INITIAL_CLUSTER="(.*)"$/m.exec(out)?.[1],
  };
}

const describe = (m: Listed) => ({ id: m.id, name: m.name, learner: m.learner, started: m.started, peer_urls: m.peerUrls, client_urls: m.clientUrls });

async function read(a: EtcdMemberArgs, ctx: ModuleContext): Promise<{ members: Listed[]; healthy: Set<string> } | string> {
  const list = await ctx.transport.exec(ctl(a, ['member', 'list', '-w', 'simple']), { become: ctx.become });
  if (list.rc !== 0) return `etcdctl member list failed: ${(list.stderr || list.stdout).trim()}`;
  const members = parseMemberList(list.stdout);
  const urls = [...new Set(members.flatMap((m) => m.clientUrls))];
  const health = urls.length ? await ctx.transport.exec(ctl(a, ['endpoint', 'health', '-w', 'json'], urls, '5s'), { become: ctx.become }) : undefined;
  const healthy = new Set([...parseHealth(health?.stdout ?? '')].filter(([, h]) => h.health).map(([u]) => u));
  return { members, healthy };
}

/** Runs a membership command, retrying while etcd refuses reconfiguration for a young member. */
async function change(a: EtcdMemberArgs, ctx: ModuleContext, args: string[]): Promise<{ ok: boolean; out: string }> {
  const deadline = Date.now() + (a.timeout ?? 60) * 1000;
  for (;;) {
    const r = await ctx.transport.exec(ctl(a, args), { become: ctx.become });
    const out = `${r.stdout}${r.stderr}`.trim();
    const young = /unhealthy cluster|can only promote a learner member which is in sync/.test(out);
    if (r.rc === 0 || !young || Date.now() > deadline || ctx.signal.aborted) return { ok: r.rc === 0, out };
    await new Promise((res) => setTimeout(res, 1000));
  }
}

function fails(msg: string): ApplyOutcome {
  return { failed: msg };
}

export const etcdMember: ModuleDef<EtcdMemberArgs> = {
  name: 'etcd_member',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1 },
      peer_url: { type: 'string', pattern: '^https?://' },
      state: { enum: ['present', 'promoted', 'absent'] },
      replace_stale: { type: 'boolean' },
      endpoints: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^https?://' } },
      pki_dir: { type: 'string', minLength: 1 },
      ca: { type: 'string', minLength: 1 },
      cert: { type: 'string', minLength: 1 },
      key: { type: 'string', minLength: 1 },
      timeout: { type: 'number', minimum: 0 },
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const state = a.state ?? 'present';
    const seen = await read(a, ctx);
    if (typeof seen === 'string') return { status: 'failed', msg: seen };
    const { members, healthy } = seen;
    const mine = members.find((m) => m.name === a.name || (a.peer_url !== undefined && m.peerUrls.includes(a.peer_url) && m.name === ''));
    const stale = a.peer_url ? members.find((m) => m !== mine && m.peerUrls.includes(a.peer_url!)) : undefined;
    const result = { members: members.map(describe), ...(mine ? { member: describe(mine) } : {}) };

    if (state === 'absent') {
      const leaving = [mine, stale].filter((m): m is Listed => !!m);
      if (!leaving.length) return { status: 'ok', msg: `${a.name} is not a member: nothing to remove`, result };
      const changes = [];
      for (const m of leaving) {
        const check = removalCheck(members, healthy, m);
        if (!check.ok) return { status: 'failed', msg: check.message, result };
        changes.push({
          summary: `remove member ${m.id} (${m.name || m.peerUrls.join(',')}): ${check.message}`,
          apply: async () => {
            const r = await change(a, ctx, ['member', 'remove', m.id]);
            return r.ok ? { result: { removed: m.id } } : fails(`member remove ${m.id} failed: ${r.out}`);
          },
        });
      }
      return { status: 'change', changes, result };
    }

    if (stale && !a.replace_stale) {
      return {
        status: 'failed',
        msg: `member ${stale.id} (${stale.name || 'unstarted'}) still holds ${a.peer_url}: set replace_stale to remove it and add ${a.name} afresh, or restore its data dir`,
        result,
      };
    }
    const changes = [];
    if (stale) {
      const check = removalCheck(members, healthy, stale);
      if (!check.ok) return { status: 'failed', msg: check.message, result };
      changes.push({
        summary: `remove stale member ${stale.id} holding ${a.peer_url}`,
        apply: async () => {
          const r = await change(a, ctx, ['member', 'remove', stale.id]);
          return r.ok ? undefined : fails(`member remove ${stale.id} failed: ${r.out}`);
        },
      });
    }
    if (!mine) {
      if (!a.peer_url) return { status: 'failed', msg: `adding ${a.name} needs peer_url`, result };
      if (state === 'promoted') return { status: 'failed', msg: `${a.name} is not a member: add it first (state: present)`, result };
      changes.push({
        summary: `add ${a.name} (${a.peer_url}) as a learner`,
        apply: async () => {
          const r = await change(a, ctx, ['member', 'add', a.name, `--peer-urls=${a.peer_url}`, '--learner']);
          if (!r.ok) return fails(`member add ${a.name} failed: ${r.out}`);
          const added = parseMemberAdd(r.out);
          return { result: { member: { id: added.id, name: a.name, learner: true }, initial_cluster: added.initialCluster } };
        },
      });
    } else if (state === 'promoted' && mine.learner) {
      changes.push({
        summary: `promote learner ${mine.id} (${a.name}) to a voting member`,
        apply: async () => {
          const r = await change(a, ctx, ['member', 'promote', mine.id]);
          return r.ok ? { result: { member: { ...describe(mine), learner: false } } } : fails(`member promote ${mine.id} failed: ${r.out}`);
        },
      });
    }
    if (!changes.length) return { status: 'ok', msg: `${a.name} is a ${mine?.learner ? 'learner' : 'voting member'}`, result };
    return { status: 'change', changes, result };
  },
};
