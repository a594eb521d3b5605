import { selectHosts } from '../inventory/index.ts';
import type { RunContext } from '../executor/context.ts';
import { measure, type ProbeTarget } from '../executor/gates/quorum/probe.ts';
import type { Reporter } from '../output/events.ts';
import type { Play, Playbook } from '../playbook/types.ts';
import type { Transport } from '../transport/types.ts';
import { inventoryVars, lockTargets } from './cluster-lock.ts';

const INTERVAL_MS = 500;

/**
 * Measures the etcd cluster twice a second while a batch of a `quorum:` play runs, so
 * the journal (and the report) show who was down when, not only what the guard saw between
 * batches. It uses its own connection to a member outside the batch and lives exactly as
 * long as the run: close() ends it.
 */
export class HealthSampler {
  private play?: Play;
  private batch?: string[];
  private loop?: Promise<void>;
  private closed = false;
  private readonly conns = new Map<string, Promise<Transport>>();
  private readonly targets = new Map<string, ProbeTarget>();

  constructor(
    private readonly ctx: RunContext,
    private readonly playbook: Playbook,
    private readonly emit: Reporter,
  ) {}

  /** Follows the run's events: a batch of a quorum play starts or ends sampling. */
  readonly reporter: Reporter = (e) => {
    if (e.event === 'play_start') this.play = e.play === undefined ? undefined : this.playbook.plays[e.play];
    else if (e.event === 'batch_start' && this.play?.quorum && !this.ctx.options.check) this.start(e.hosts);
    else if (e.event === 'batch_end' || e.event === 'play_end' || e.event === 'recap' || e.event === 'stopped') this.batch = undefined;
  };

  private target(play: Play): ProbeTarget {
    const spec = play.quorum!;
    let t = this.targets.get(spec.group);
    if (!t) {
      const hosts = selectHosts(this.ctx.inventory, spec.group).map((name) => {
        const v = inventoryVars(this.ctx.inventory, this.ctx.options.extra, name);
        return { name, address: String(v.etcd_address ?? v.ansible_host ?? name) };
      });
      t = { spec, hosts };
      this.targets.set(spec.group, t);
    }
    return t;
  }

  private conn(host: string): Promise<Transport> {
    let c = this.conns.get(host);
    if (!c) {
      c = lockTargets(this.ctx, [host])[0]!.open();
      c.catch(() => this.conns.delete(host));
      this.conns.set(host, c);
    }
    return c;
  }

  private start(batch: string[]): void {
    this.batch = batch;
    this.loop ??= this.run().finally(() => (this.loop = undefined));
  }

  private async run(): Promise<void> {
    while (this.batch && !this.closed && !this.ctx.signal.aborted) {
      const batch = this.batch;
      const play = this.play!;
      const target = this.target(play);
      const from = target.hosts.find((h) => !batch.includes(h.name)) ?? target.hosts[0];
      if (from) {
        try {
          const s = await measure(await this.conn(from.name), target);
          if (this.batch && !this.closed) {
            const healthy = s.members.filter((m) => m.healthy && !m.learner).length;
            this.emit({ event: 'cluster_health', group: target.spec.group, healthy, members: s.members.length, leader: s.leader?.host ?? s.leader?.name });
          }
        } catch {
          // a sample that fails is only a missing point; the guard decides, not the sampler
        }
      }
      await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.loop;
    await Promise.all([...this.conns.values()].map((c) => c.then((t) => t.close()).catch(() => {})));
  }
}
