import { selectHosts } from '../../../inventory/index.ts';
import type { QuorumSpec } from '../../../playbook/types.ts';
import { UnreachableError } from '../../../transport/types.ts';
import type { HostState } from '../../host.ts';
import type { PlayEnv } from '../../play-env.ts';
import type { Gate } from '../gate.ts';
import { measure, moveLeader, type ProbeTarget } from './probe.ts';
import { checkBatch, leaderLast, settled, type ClusterStatus, type Member } from './status.ts';

const POLL_MS = 500;

/**
 * The engine's quorum guard for a play with `quorum:`. Before each batch it measures the
 * cluster and refuses a batch that would leave fewer healthy voting members than quorum;
 * it moves leadership off a member before that member's tasks run; after each batch it waits
 * until every member is healthy, voting and caught up. Roles do not do this themselves.
 */
export class QuorumGuard implements Gate {
  readonly name = 'quorum';
  private last?: ClusterStatus;

  constructor(
    private readonly env: PlayEnv,
    private readonly spec: QuorumSpec,
    private readonly stateOf: (host: string) => HostState,
  ) {}

  private note(msg: string): void {
    this.env.ctx.emit({ event: 'quorum', msg });
  }

  private probeTarget?: ProbeTarget;

  /** The member hosts and where etcd listens on them; fixed for the play, so built once. */
  private target(): ProbeTarget {
    this.probeTarget ??= {
      spec: this.spec,
      hosts: selectHosts(this.env.ctx.inventory, this.spec.group).map((name) => {
        const vars = this.env.varsFor(name, undefined, {}, false);
        return { name, address: String(vars.ansible_host ?? name) };
      }),
    };
    return this.probeTarget;
  }

  /** Measures from the first member host that answers, preferring hosts outside `avoid`. */
  async measure(avoid: string[] = []): Promise<ClusterStatus> {
    const target = this.target();
    const order = [...target.hosts.filter((h) => !avoid.includes(h.name)), ...target.hosts.filter((h) => avoid.includes(h.name))];
    for (const h of order) {
      const state = this.stateOf(h.name);
      if (state.unreachable) continue;
      try {
        const t = await state.open(this.env.ctx);
        const s = await measure(t, target);
        // etcdctl ran and asked every endpoint: another runner would see the same
        if (!s.down || s.ran) return this.measured(s);
      } catch (e) {
        if (!(e instanceof UnreachableError)) throw e;
      }
    }
    return this.measured({ members: [], down: true });
  }

  /** Keeps the newest measurement and reports it as an event (the run journal keeps the series). */
  private measured(s: ClusterStatus): ClusterStatus {
    this.last = s;
    const healthy = s.members.filter((m) => m.healthy && !m.learner).length;
    this.env.ctx.emit({ event: 'cluster_health', group: this.spec.group, healthy, members: s.members.length, leader: s.leader?.host ?? s.leader?.name });
    return s;
  }

  /**
   * Orders the play's hosts (leader last) and picks the batches' serial: one batch to
   * bootstrap a cluster that is not running yet, else one member at a time unless the play
   * sets serial itself.
   */
  async plan(hosts: string[], serial: Array<number | string>): Promise<{ hosts: string[]; serial: Array<number | string> }> {
    const s = await this.measure();
    if (s.down) {
      this.note(`no member of group '${this.spec.group}' answers: bootstrapping, all members start together`);
      return { hosts, serial };
    }
    const ordered = leaderLast(hosts, s);
    const picked = serial.length ? serial : [1];
    this.note(`cluster up: leader ${s.leader?.host ?? s.leader?.name ?? 'none'}; order ${ordered.join(', ')}; serial ${picked.join(', ')}`);
    return { hosts: ordered, serial: picked };
  }

  /** Refuses an unsafe batch (returns why), else moves leadership off it. */
  async before(batch: string[], index: number): Promise<string | undefined> {
    const check = this.env.ctx.options.check;
    // the plan's measurement serves the first batch; later batches measure again
    const s = (check || index === 0) && this.last ? this.last : await this.measure(batch);
    if (s.down) {
      this.note(`batch ${index + 1} [${batch.join(', ')}]: no running cluster to protect`);
      return undefined;
    }
    const c = checkBatch(s, batch);
    this.note(`batch ${index + 1} [${batch.join(', ')}]: ${c.message}${c.ok ? '' : ' — REFUSED'}`);
    if (!c.ok) return `quorum guard refused batch ${index + 1} [${batch.join(', ')}]: ${c.message}`;
    const leader = s.leader;
    if (!leader?.host || !batch.includes(leader.host) || this.spec.move_leader === false) return undefined;
    const to = pickTransferee(s, batch);
    if (!to) return undefined; // a one-member cluster has nobody to hand over to
    if (check) {
      this.note(`would move leadership ${leader.host} → ${to.host ?? to.name}`);
      return undefined;
    }
    const runner = this.stateOf(to.host ?? leader.host);
    const moved = await moveLeader(await runner.open(this.env.ctx), this.target(), leader, to);
    if (!moved.ok) return `could not move etcd leadership from ${leader.host} to ${to.host ?? to.name}: ${moved.output}`;
    const after = await this.waitFor((x) => !!x.leader && x.leader.id !== leader.id, 15_000, batch);
    if (!after.ok) return `leadership did not leave ${leader.host}: ${after.why.join('; ')}`;
    this.note(`moved leadership ${leader.host} → ${this.last?.leader?.host ?? to.host}`);
    return undefined;
  }

  /** Waits until the cluster has settled after a batch; a timeout names what is missing. */
  async after(batch: string[], index: number): Promise<string | undefined> {
    if (this.env.ctx.options.check) return undefined;
    const t0 = this.env.ctx.now();
    let target: number | undefined;
    const r = await this.waitFor((s) => {
      target ??= s.leader?.raftIndex;
      return settled(s, target).ok;
    }, ((this.spec.timeout as number | undefined) ?? 120) * 1000);
    if (!r.ok) return `cluster did not settle after batch ${index + 1} [${batch.join(', ')}] within ${this.spec.timeout ?? 120} s: ${r.why.join('; ')}`;
    this.note(`batch ${index + 1}: cluster settled in ${((this.env.ctx.now() - t0) / 1000).toFixed(1)} s (all healthy, no learner, indexes caught up)`);
    return undefined;
  }

  private async waitFor(cond: (s: ClusterStatus) => boolean, timeoutMs: number, avoid: string[] = []): Promise<{ ok: boolean; why: string[] }> {
    const deadline = this.env.ctx.now() + timeoutMs;
    let why: string[] = [];
    for (;;) {
      const s = await this.measure(avoid);
      if (cond(s)) return { ok: true, why: [] };
      why = settled(s, undefined).why;
      if (this.env.ctx.now() >= deadline) return { ok: false, why: why.length ? why : ['condition not met'] };
      await this.env.ctx.sleep(POLL_MS, this.env.ctx.signal);
    }
  }
}

/** The healthy voting member outside the batch that has applied the most. */
function pickTransferee(s: ClusterStatus, batch: string[]): Member | undefined {
  return s.members
    .filter((m) => m.healthy && !m.learner && !m.leader && !(m.host && batch.includes(m.host)))
    .sort((a, b) => (b.appliedIndex ?? 0) - (a.appliedIndex ?? 0))[0];
}
