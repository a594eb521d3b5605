import type { HapError } from '../../source/errors.ts';

/** How a play's hosts are cut into batches after the gates had their say. */
export interface GatePlan {
  hosts: string[];
  serial: Array<number | string>;
}

/**
 * An engine-level guard around a play's batches (quorum, VIP). The play loop calls every gate
 * of the play in order; a gate reads its settings from its spec in the play, never from role
 * variables. A returned string stops the play with that message (exit 8).
 */
export interface Gate {
  readonly name: string;
  /** Problems in the spec and the inventory, found before any host is contacted. */
  check?(): Promise<{ errors: HapError[]; warnings: string[] }>;
  /** Orders the hosts and picks the serial (e.g. the member that matters most goes last). */
  plan(hosts: string[], serial: Array<number | string>): Promise<GatePlan>;
  /** Refuses an unsafe batch (returns why), else prepares it (moves leadership, the VIP). */
  before(batch: string[], index: number): Promise<string | undefined>;
  /** Waits until what the batch touched is healthy again; a timeout says what is missing. */
  after(batch: string[], index: number): Promise<string | undefined>;
  /** The batch failed and the play stops: undo what before() did that health does not cover. */
  abort?(batch: string[], index: number): Promise<void>;
}
