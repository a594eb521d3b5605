import { FactCache } from '../facts/types.ts';
import type { RecapCounts } from '../output/events.ts';
import { UnreachableError, type ConnectionInfo, type Transport } from '../transport/types.ts';
import type { RunContext } from './context.ts';

export const emptyCounts = (): RecapCounts => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });

/** One host's state for the whole run: its connection, facts, runtime vars and counts. */
export class HostState {
  private transport?: Transport;
  private connecting?: Promise<Transport>;
  facts?: FactCache;
  /** set_fact and register results (ladder layer 5). */
  runtime: Record<string, unknown> = {};
  /** Gathered facts (ansible_facts). */
  gathered: Record<string, unknown> = {};
  counts: RecapCounts = emptyCounts();
  /** Left the current play (failed or unreachable). */
  failed = false;
  unreachable = false;
  ended = false;
  /** Failed inside a block whose rescue has not run yet. */
  rescuing = false;
  /** Was in a batch that started (only those appear in the recap). */
  seen = false;
  notified = new Set<number>();

  constructor(
    readonly name: string,
    private readonly conn: () => ConnectionInfo,
  ) {}

  connection(): ConnectionInfo {
    return this.conn();
  }

  /** The kept-open transport; connects on first use. Throws UnreachableError. */
  async open(ctx: RunContext): Promise<Transport> {
    if (this.transport) return this.transport;
    if (!this.connecting) {
      const info = this.conn();
      const t = ctx.transports[info.connection](info);
      this.connecting = t.connect().then(
        () => {
          this.transport = t;
          this.facts = new FactCache(t);
          return t;
        },
        (e: unknown) => {
          this.connecting = undefined;
          throw e instanceof UnreachableError ? e : new UnreachableError(String((e as Error).message ?? e), this.name);
        },
      );
    }
    return this.connecting;
  }

  async close(): Promise<void> {
    const t = this.transport;
    this.transport = undefined;
    this.connecting = undefined;
    await t?.close().catch(() => {});
  }

  /** Still in the play: neither failed nor unreachable nor ended. */
  get active(): boolean {
    return !this.failed && !this.unreachable && !this.ended;
  }
}
