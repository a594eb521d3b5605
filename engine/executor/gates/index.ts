import type { Play } from '../../playbook/types.ts';
import { HapErrors, type HapError } from '../../source/errors.ts';
import { UnreachableError } from '../../transport/types.ts';
import type { HostState } from '../host.ts';
import type { PlayEnv } from '../play-env.ts';
import type { Gate, GatePlan } from './gate.ts';
import { QuorumGuard } from './quorum/guard.ts';
import { VipGate } from './vip/gate.ts';

export type { Gate, GatePlan } from './gate.ts';

/** The gates a play declares, in a fixed order (quorum first: etcd before the VIP). */
export function gatesOf(env: PlayEnv, play: Play, stateOf: (host: string) => HostState): Gate[] {
  const gates: Gate[] = [];
  if (play.quorum) gates.push(new QuorumGuard(env, play.quorum, stateOf));
  if (play.vip) gates.push(new VipGate(env, play.vip, stateOf));
  return gates;
}

/** Every gate's static problems; errors are thrown together, warnings returned. */
export async function checkGates(gates: Gate[]): Promise<string[]> {
  const errors: HapError[] = [];
  const warnings: string[] = [];
  for (const g of gates) {
    const r = await g.check?.();
    if (!r) continue;
    errors.push(...r.errors);
    warnings.push(...r.warnings);
  }
  if (errors.length) throw new HapErrors(errors);
  return warnings;
}

/** Each gate plans on the previous one's order and serial. */
export async function planGates(gates: Gate[], hosts: string[], serial: Array<number | string>): Promise<GatePlan> {
  let plan: GatePlan = { hosts, serial };
  for (const g of gates) plan = await g.plan(plan.hosts, plan.serial);
  return plan;
}

/** Runs one hook of every gate in order; the first refusal wins. A host lost mid-probe stops the play. */
export async function runGates(gates: Gate[], hook: 'before' | 'after', batch: string[], index: number): Promise<string | undefined> {
  for (const g of gates) {
    try {
      const refused = await g[hook](batch, index);
      if (refused) return refused;
    } catch (e) {
      if (e instanceof UnreachableError) return `${g.name} gate lost a host while measuring: ${e.message}`;
      throw e;
    }
  }
  return undefined;
}

/** A batch failed: gates undo what they prepared (best effort, never throws a host error). */
export async function abortGates(gates: Gate[], batch: string[], index: number): Promise<void> {
  for (const g of gates) {
    try {
      await g.abort?.(batch, index);
    } catch (e) {
      if (!(e instanceof UnreachableError)) throw e;
    }
  }
}
