/** Kept apart from ops.ts so `hap --help` loads nothing heavy. */
export const OPS_HELP = `hap runs -i INVENTORY | --runs-dir DIR          the run journals: start, playbook, outcome
hap report [RUN|FILE.jsonl] -i INV [--html FILE]  per-host timeline of a run (default: the last)
hap lock -i INVENTORY [--limit P]                 who holds the cluster lock on each host
hap unlock -i INVENTORY [--limit P]               remove a lock whose run is gone`;
