import type { RunInfo } from '../ops/runs.ts';
import { secs, timeline } from './model.ts';

/** `hap report RUN`: per host, its batches and tasks with start, duration, result and changes. */
export function textReport(run: RunInfo): string {
  const tl = timeline(run);
  const s = run.start;
  const out = [
    `run ${run.id}${s.check ? ' (check mode)' : ''}${s.resumes ? ` (resumes ${s.resumes})` : ''}`,
    `  playbook  ${s.playbook}`,
    `  inventory ${s.inventory}${s.limit ? ` --limit ${s.limit}` : ''}`,
    `  started   ${s.started} by ${s.user}@${s.controller} (pid ${s.pid})`,
    `  outcome   ${tl.outcome}${run.end ? ` (exit ${run.end.exit})` : ''} after ${secs(tl.end)}`,
  ];
  for (const host of tl.hosts) {
    const bars = tl.bars.filter((b) => b.host === host);
    const changed = bars.filter((b) => b.status === 'changed').length;
    const failed = bars.filter((b) => b.status === 'failed' || b.status === 'unreachable').length;
    out.push('', `${host}: ${bars.length} tasks, ${changed} changed${failed ? `, ${failed} failed` : ''}`);
    let batch: string | undefined;
    for (const b of bars) {
      const span = tl.batches.find((x) => x.play === b.play && x.index === b.batch);
      const label = span ? `play '${tl.plays[b.play]?.name ?? b.play}' batch ${span.index + 1} [${span.hosts.join(', ')}] ${secs(span.start)} → ${span.end !== undefined ? secs(span.end) : 'unfinished'}` : undefined;
      if (label && label !== batch) out.push(`  ${label}`);
      batch = label;
      const name = `${b.handler ? 'handler ' : ''}${b.role ? `${b.role} : ` : ''}${b.task}`;
      out.push(`    ${secs(b.start).padStart(8)} ${secs(b.end - b.start).padStart(8)}  ${b.status.padEnd(11)} ${name}${b.status === 'failed' && b.msg ? ` — ${b.msg}` : ''}`);
      if (b.status === 'changed') for (const c of b.changes) out.push(`${' '.repeat(32)}${oneLine(c)}`);
    }
  }
  const groups = [...new Set(tl.health.map((h) => h.group))];
  for (const g of groups) {
    const pts = tl.health.filter((h) => h.group === g);
    const min = Math.min(...pts.map((p) => p.healthy));
    const low = pts.find((p) => p.healthy === min)!;
    out.push('', `etcd group '${g}': ${pts.length} measurements, fewest healthy ${min}/${low.members} at ${secs(low.t)}`);
  }
  if (tl.stopped) {
    out.push('', `stopped: ${tl.stopped.reason}`);
    for (const u of tl.stopped.undone) out.push(`  left undone in play '${u.play}': ${u.hosts.join(', ') || '(no hosts)'}`);
  }
  if (!run.end) out.push('', `the journal ends at ${secs(tl.end)} without an end line: the run was killed`);
  return out.join('\n');
}

/** A change summary on one line (a shell command's first line), at most 100 characters. */
function oneLine(s: string): string {
  const first = s.split('\n')[0] ?? '';
  const cut = first.length > 100 ? `${first.slice(0, 99)}…` : first;
  return cut !== s ? `${cut.replace(/…$/, '')}…` : s;
}
