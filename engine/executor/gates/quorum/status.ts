/** What the quorum guard knows about an etcd cluster at one moment. Pure parsing and arithmetic. */

export interface Member {
  id: string; // hex, as etcdctl prints it
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  learner: boolean;
  started: boolean;
  /** Inventory host of this member (matched by name or client URL), if any. */
  host?: string;
  healthy: boolean;
  leader: boolean;
  raftIndex?: number;
  appliedIndex?: number;
  version?: string;
  error?: string;
}

export interface ClusterStatus {
  members: Member[];
  leader?: Member;
  /** No member answered at all: nothing is running yet (bootstrap) or everything is down. */
  down: boolean;
  /** etcdctl itself ran on the probing host (it exists there and got to try every endpoint). */
  ran?: boolean;
}

/** `etcdctl member list -w simple`: "id, started, name, peer-urls, client-urls, is-learner". */
export function parseMemberList(text: string): Array<Pick<Member, 'id' | 'name' | 'peerUrls' | 'clientUrls' | 'learner' | 'started'>> {
  const out = [];
  for (const line of text.split('\n')) {
    const f = line.split(', ').map((s) => s.trim());
    if (f.length < 5 || !/^[0-9a-f]+$/.test(f[0]!)) continue;
    out.push({
      id: f[0]!,
      started: f[1] === 'started',
      name: f[2] ?? '',
      peerUrls: (f[3] ?? '').split(',').filter(Boolean),
      clientUrls: (f[4] ?? '').split(',').filter(Boolean),
      learner: f[5] === 'true',
    });
  }
  return out;
}

export interface EndpointStatus {
  endpoint: string;
  id: string;
  version: string;
  leader: boolean;
  learner: boolean;
  raftIndex: number;
  appliedIndex: number;
}

/**
 * `etcdctl endpoint status -w simple`: "endpoint, id, version, db size, is-leader,
 * is-learner, raft term, raft index, raft applied index, errors" (3.4 and 3.5).
 */
export function parseEndpointStatus(text: string): EndpointStatus[] {
  const out: EndpointStatus[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(', ').map((s) => s.trim());
    if (f.length < 9 || !/^[0-9a-f]+$/.test(f[1] ?? '')) continue;
    out.push({
      endpoint: f[0]!,
      id: f[1]!,
      version: f[2]!,
      leader: f[4] === 'true',
      learner: f[5] === 'true',
      raftIndex: Number(f[7]),
      appliedIndex: Number(f[8]),
    });
  }
  return out;
}

/** `etcdctl endpoint health -w json`: [{endpoint, health, error?}]. */
export function parseHealth(text: string): Map<string, { health: boolean; error?: string }> {
  const out = new Map<string, { health: boolean; error?: string }>();
  const start = text.indexOf('[');
  if (start < 0) return out;
  try {
    const arr = JSON.parse(text.slice(start, text.lastIndexOf(']') + 1)) as Array<{ endpoint: string; health: boolean; error?: string }>;
    for (const e of arr) out.set(e.endpoint, { health: e.health, error: e.error });
  } catch {
    // partial output: members without an entry count as unhealthy
  }
  return out;
}

/** Joins the three views into one status; `hostOf` maps a member to its inventory host. */
export function combine(
  members: ReturnType<typeof parseMemberList>,
  statuses: EndpointStatus[],
  health: Map<string, { health: boolean; error?: string }>,
  hostOf: (m: { name: string; clientUrls: string[] }) => string | undefined,
): ClusterStatus {
  const byId = new Map(statuses.map((s) => [s.id, s]));
  const out: Member[] = members.map((m) => {
    const st = byId.get(m.id);
    const h = m.clientUrls.map((u) => health.get(u)).find(Boolean);
    return {
      ...m,
      host: hostOf(m),
      healthy: !!h?.health && !!st,
      leader: !!st?.leader,
      raftIndex: st?.raftIndex,
      appliedIndex: st?.appliedIndex,
      version: st?.version,
      error: h?.error ?? (st ? undefined : 'no status (unreachable)'),
      learner: st?.learner ?? m.learner,
    };
  });
  return { members: out, leader: out.find((m) => m.leader), down: members.length === 0 };
}

const label = (m: Member) => m.host ?? m.name;

export interface BatchCheck {
  ok: boolean;
  /** The quorum arithmetic, spelled out, for the user and --check. */
  message: string;
}

/**
 * Would taking `batch` down keep quorum? Voting members V (learners excluded), quorum
 * Q = floor(V/2)+1, healthy voting members H; the batch takes down B of the healthy ones;
 * the batch is allowed only when H - B >= Q.
 */
export function checkBatch(status: ClusterStatus, batch: string[]): BatchCheck {
  const voting = status.members.filter((m) => !m.learner);
  const quorum = Math.floor(voting.length / 2) + 1;
  const healthy = voting.filter((m) => m.healthy);
  const unhealthy = voting.filter((m) => !m.healthy);
  const down = healthy.filter((m) => m.host !== undefined && batch.includes(m.host));
  const left = healthy.length - down.length;
  const ok = left >= quorum;
  const message =
    `${voting.length} voting members, quorum ${quorum}; healthy ${healthy.length} (${healthy.map(label).join(', ') || 'none'})` +
    (unhealthy.length ? `, unhealthy ${unhealthy.length} (${unhealthy.map((m) => `${label(m)}: ${m.error ?? 'unhealthy'}`).join('; ')})` : '') +
    `; this batch takes down ${down.length} healthy (${down.map(label).join(', ') || 'none'}) → ${left} healthy ${ok ? '>=' : '<'} quorum ${quorum}`;
  return { ok, message };
}

/** Hosts reordered so the current leader's host comes last (members of other batches keep order). */
export function leaderLast(hosts: string[], status: ClusterStatus): string[] {
  const leader = status.leader?.host;
  if (!leader || !hosts.includes(leader)) return hosts;
  return [...hosts.filter((h) => h !== leader), leader];
}

/**
 * Settled after a batch: every member started, healthy and voting (no learner left), and
 * every member has applied at least `target` (the leader's raft index when waiting began).
 */
export function settled(status: ClusterStatus, target: number | undefined): { ok: boolean; why: string[] } {
  const why: string[] = [];
  if (status.down) why.push('no member answers');
  for (const m of status.members) {
    if (!m.healthy) why.push(`${label(m)} unhealthy (${m.error ?? 'no answer'})`);
    else if (m.learner) why.push(`${label(m)} is still a learner`);
    else if (target !== undefined && (m.appliedIndex ?? 0) < target) why.push(`${label(m)} applied ${m.appliedIndex} < ${target}`);
  }
  if (!status.down && !status.leader) why.push('no leader');
  return { ok: why.length === 0, why };
}
