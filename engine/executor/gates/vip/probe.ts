import { dirname } from 'node:path';
import { quote, shellJoin } from '../../../transport/quote.ts';
import type { Become, Transport } from '../../../transport/types.ts';
import { marker, parseProbe, type LbState } from './status.ts';

/** Where the gate looks on each LB host (from the play's `vip:` spec). */
export interface VipTarget {
  address: string;
  /** haproxy backend whose servers must be UP. */
  backend: string;
  statsPort: number;
  maintenanceFile: string;
  stateFile: string;
}

/**
 * One round trip per LB: its addresses, keepalived and haproxy unit states, the hand-over
 * flag, the VRRP state the notify script wrote, and haproxy's stats as CSV.
 */
export function probeCommand(t: VipTarget): string {
  return [
    `echo ${marker('addr')}`,
    'ip -o addr show 2>&1',
    `echo ${marker('active')}`,
    'systemctl is-active keepalived haproxy 2>&1',
    `echo ${marker('maint')}`,
    `cat ${quote(t.maintenanceFile)} 2>/dev/null`,
    `echo ${marker('state')}`,
    `cat ${quote(t.stateFile)} 2>/dev/null`,
    `echo ${marker('stats')}`,
    `${shellJoin(['curl', '-fsS', '-m', '2', `http://127.0.0.1:${t.statsPort}/stats;csv`])} 2>&1`,
    'true',
  ].join('; ');
}

export async function probe(tr: Transport, host: string, t: VipTarget, become?: Become): Promise<LbState> {
  const r = await tr.exec(probeCommand(t), { become });
  return parseProbe(host, t.address, t.backend, r.stdout);
}

/**
 * Sets (1) or clears (0) the hand-over flag: keepalived's track_file puts the instance in
 * FAULT while it holds a non-zero number, so the VIP moves to a peer and stays away while
 * the host's own tasks run (even if they restart keepalived).
 */
export async function setMaintenance(tr: Transport, t: VipTarget, on: boolean, become?: Become): Promise<{ ok: boolean; output: string }> {
  const file = t.maintenanceFile;
  const r = await tr.exec(`mkdir -p ${quote(dirname(file))} && echo ${on ? 1 : 0} > ${quote(file)}`, { become });
  return { ok: r.rc === 0, output: (r.stdout + r.stderr).trim() };
}
