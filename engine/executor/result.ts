import type { HostStatus } from '../output/events.ts';
import type { FileDiff } from '../modules/types.ts';

/** The outcome of one task (or one loop item) on one host: a value, never an exception. */
export interface TaskResult {
  status: HostStatus;
  msg?: string;
  changes: string[];
  diff: FileDiff[];
  /** Registered fields (rc, stdout, stat, …) plus changed/failed/skipped flags. */
  data: Record<string, unknown>;
  checkMode?: boolean;
}

export function result(status: HostStatus, msg?: string, data: Record<string, unknown> = {}): TaskResult {
  return { status, msg, changes: [], diff: [], data };
}

/** What `register:` stores: Ansible's keys (changed, failed, skipped, msg) plus module fields. */
export function registered(r: TaskResult): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...r.data,
    changed: r.status === 'changed',
    // an ignored failure is still a failure to whoever reads the result (`x is failed`)
    failed: r.status === 'failed' || r.status === 'ignored',
    skipped: r.status === 'skipped',
  };
  // a skipped result carries skip_reason, not a message (as Ansible registers it)
  if (r.msg !== undefined && out.msg === undefined && r.status !== 'skipped') out.msg = r.msg;
  if (r.status === 'unreachable') out.unreachable = true;
  return out;
}

/** Combines loop item results into one task result (`results:` list, worst status wins). */
export function combineLoop(items: TaskResult[]): TaskResult {
  const rank: HostStatus[] = ['skipped', 'ok', 'changed', 'ignored', 'failed', 'unreachable'];
  let status: HostStatus = items.length ? 'skipped' : 'skipped';
  for (const i of items) if (rank.indexOf(i.status) > rank.indexOf(status)) status = i.status;
  if (status === 'ignored') status = 'ignored';
  const failed = items.find((i) => i.status === 'failed' || i.status === 'unreachable');
  return {
    status,
    msg: failed?.msg ?? (items.length === 0 ? 'no items' : undefined),
    changes: items.flatMap((i) => i.changes),
    diff: items.flatMap((i) => i.diff),
    data: { results: items.map(registered) },
    checkMode: items.some((i) => i.checkMode),
  };
}
