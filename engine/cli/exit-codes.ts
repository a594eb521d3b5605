import type { RecapCounts } from '../output/events.ts';

/** Exit codes, as ansible-playbook documents them; mapped here and nowhere else. */
export const EXIT = {
  ok: 0,
  error: 1, // bad input: YAML, schema, missing role/template, undefined variable at load
  hostFailed: 2,
  hostUnreachable: 4,
  badOptions: 5,
  locked: 7, // another run holds the cluster lock; refused before any change
  playAborted: 8, // any_errors_fatal, max_fail_percentage, a batch refused by the quorum guard
  interrupted: 99,
  unexpected: 250,
} as const;

/** The exit code for a finished run: failures win over unreachable hosts, as in Ansible. */
export function runExitCode(hosts: Record<string, RecapCounts>, aborted: boolean): number {
  const counts = Object.values(hosts);
  if (counts.some((c) => c.failed > 0)) return EXIT.hostFailed;
  if (counts.some((c) => c.unreachable > 0)) return EXIT.hostUnreachable;
  if (aborted) return EXIT.playAborted;
  return EXIT.ok;
}
