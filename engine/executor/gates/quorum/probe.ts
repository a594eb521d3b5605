import type { QuorumSpec } from '../../../playbook/types.ts';
import { shellJoin } from '../../../transport/quote.ts';
import type { Transport } from '../../../transport/types.ts';
import { combine, parseEndpointStatus, parseHealth, parseMemberList, type ClusterStatus, type Member } from './status.ts';

/** How to reach the cluster: endpoints of the member group and the client certificate. */
export interface ProbeTarget {
  /** Inventory hosts of the member group, with the address etcd listens on. */
  hosts: Array<{ name: string; address: string }>;
  spec: QuorumSpec;
}

const PKI = '/etc/kubernetes/pki/etcd';

export function endpointOf(address: string, spec: QuorumSpec): string {
  const scheme = (spec.scheme as string | undefined) ?? 'https';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${scheme}://${host}:${(spec.endpoint_port as number | undefined) ?? 2379}`;
}

function etcdctl(spec: QuorumSpec, endpoints: string[], args: string[]): string {
  const tls =
    ((spec.scheme as string | undefined) ?? 'https') === 'https'
      ? [`--cacert=${(spec.ca as string) ?? `${PKI}/ca.crt`}`, `--cert=${(spec.cert as string) ?? `${PKI}/healthcheck-client.crt`}`, `--key=${(spec.key as string) ?? `${PKI}/healthcheck-client.key`}`]
      : [];
  return `ETCDCTL_API=3 ${shellJoin(['etcdctl', `--endpoints=${endpoints.join(',')}`, ...tls, '--dial-timeout=2s', '--command-timeout=3s', ...args])}`;
}

/**
 * Measures the cluster from one member host: member list, endpoint status and endpoint
 * health, run side by side on the kept-open connection (one round trip of ~the slowest).
 */
export async function measure(t: Transport, target: ProbeTarget): Promise<ClusterStatus> {
  const { spec } = target;
  const guess = target.hosts.map((h) => endpointOf(h.address, spec));
  const list = await t.exec(etcdctl(spec, guess, ['member', 'list', '-w', 'simple']));
  const members = parseMemberList(list.stdout);
  // 127: no etcdctl on this host; other errors come from etcdctl after trying every endpoint
  if (list.rc !== 0 || members.length === 0) return { members: [], down: true, ran: list.rc !== 127 && list.rc !== 126 };
  const urls = [...new Set(members.flatMap((m) => m.clientUrls))].filter((u) => !u.includes('127.0.0.1') && !u.includes('localhost'));
  const [status, health] = await Promise.all([
    t.exec(etcdctl(spec, urls, ['endpoint', 'status', '-w', 'simple'])),
    t.exec(etcdctl(spec, urls, ['endpoint', 'health', '-w', 'json'])),
  ]);
  const byAddress = new Map(target.hosts.map((h) => [endpointOf(h.address, spec), h.name]));
  const hostOf = (m: { name: string; clientUrls: string[] }) =>
    target.hosts.find((h) => h.name === m.name)?.name ?? m.clientUrls.map((u) => byAddress.get(u)).find(Boolean);
  return combine(members, parseEndpointStatus(status.stdout), parseHealth(health.stdout), hostOf);
}

/** Asks the leader to hand leadership to `to` (etcdctl move-leader must reach the leader). */
export async function moveLeader(t: Transport, target: ProbeTarget, leader: Member, to: Member): Promise<{ ok: boolean; output: string }> {
  const r = await t.exec(etcdctl(target.spec, leader.clientUrls.filter((u) => !u.includes('127.0.0.1')), ['move-leader', to.id]));
  return { ok: r.rc === 0, output: (r.stdout + r.stderr).trim() };
}
