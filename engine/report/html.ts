import type { HostStatus } from '../output/events.ts';
import type { RunInfo } from '../ops/runs.ts';
import { secs, timeline, type Timeline } from './model.ts';

const COLOUR: Record<HostStatus, string> = {
  ok: '#3a9d5d',
  changed: '#e0a100',
  skipped: '#8fb8c9',
  failed: '#d23c3c',
  unreachable: '#8b1e1e',
  rescued: '#a04fb5',
  ignored: '#5b7fd6',
};

const LEFT = 160;
const WIDTH = 1000;
const LANE = 24;
const TOP = 72;
const HEALTH = 90;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A tick step of 1, 2 or 5 × 10^n seconds giving about ten ticks. */
function tickStep(ms: number): number {
  const raw = ms / 10;
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

function svg(tl: Timeline): string {
  const end = Math.max(tl.end, 1);
  const x = (t: number) => (LEFT + (t / end) * WIDTH).toFixed(1);
  const w = (a: number, b: number) => Math.max(1.5, ((b - a) / end) * WIDTH).toFixed(1);
  const lanesBottom = TOP + tl.hosts.length * LANE;
  const groups = [...new Set(tl.health.map((h) => h.group))];
  const height = lanesBottom + 40 + groups.length * (HEALTH + 30) + 30;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" id="timeline" width="${LEFT + WIDTH + 40}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="11">`);
  o.push('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#7a6fb0" opacity="0.35"/></pattern></defs>');
  // plays: a labelled line above their batches
  tl.plays.forEach((p, i) => {
    const pEnd = p.end ?? tl.end;
    // consecutive plays alternate between two rows so short ones do not overprint
    const y = TOP - 38 - (i % 2) * 16;
    o.push(`<g class="play"><line x1="${x(p.start)}" x2="${x(pEnd)}" y1="${y}" y2="${y}" stroke="#4a5a70" stroke-width="2"/><text x="${x(p.start)}" y="${y - 4}" fill="#1d2733">play: ${esc(p.name.length > 60 ? `${p.name.slice(0, 57)}…` : p.name)}</text><title>play ${esc(p.name)}: ${secs(p.start)} → ${secs(pEnd)}</title></g>`);
  });
  // batches: shaded columns across every lane, guard waits hatched
  tl.batches.forEach((b, i) => {
    const bEnd = b.end ?? tl.end;
    o.push(`<rect class="batch" data-batch="${b.index + 1}" x="${x(b.start)}" y="${TOP - 14}" width="${w(b.start, bEnd)}" height="${lanesBottom - TOP + 14}" fill="${i % 2 ? '#eef2f7' : '#f6f8fb'}" stroke="#c5cfdb"><title>batch ${b.index + 1}: ${esc(b.hosts.join(', '))} (${secs(b.start)} → ${b.end !== undefined ? secs(b.end) : 'unfinished'})</title></rect>`);
    if (Number(w(b.start, bEnd)) > 50) o.push(`<text x="${x(b.start)}" y="${TOP - 18}" fill="#4a5a70">batch ${b.index + 1}</text>`);
    for (const [kind, span] of [['before', b.before], ['settle', b.settle]] as const) {
      if (!span) continue;
      o.push(`<rect class="guard-wait" data-kind="${kind}" x="${x(span[0])}" y="${TOP - 4}" width="${w(span[0], span[1])}" height="${lanesBottom - TOP + 4}" fill="url(#hatch)"><title>quorum guard ${kind === 'before' ? 'check before the batch' : 'wait for the cluster to settle'}: ${secs(span[1] - span[0])}</title></rect>`);
    }
  });
  // time axis
  const step = tickStep(end);
  for (let t = 0; t <= end; t += step) {
    o.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${TOP - 4}" y2="${lanesBottom}" stroke="#dde3ea" stroke-width="0.5"/><text class="tick" x="${x(t)}" y="${lanesBottom + 14}" text-anchor="middle" fill="#555">${(t / 1000).toFixed(step < 1000 ? 1 : 0)} s</text>`);
  }
  // one lane per host, one bar per task
  tl.hosts.forEach((h, i) => {
    const y = TOP + i * LANE;
    o.push(`<g class="lane" data-host="${esc(h)}"><text x="${LEFT - 8}" y="${y + LANE / 2 + 4}" text-anchor="end" font-weight="bold">${esc(h)}</text>`);
    o.push(`<line x1="${LEFT}" x2="${LEFT + WIDTH}" y1="${y + LANE}" y2="${y + LANE}" stroke="#e3e7ec"/>`);
    for (const b of tl.bars.filter((x) => x.host === h)) {
      const name = `${b.role ? `${b.role} : ` : ''}${b.task}`;
      const tip = `${h} — ${name}: ${b.status}, ${secs(b.end - b.start)} (from ${secs(b.start)})${b.changes.length ? `\n${b.changes.join('\n')}` : ''}${b.status === 'failed' && b.msg ? `\n${b.msg}` : ''}`;
      o.push(`<rect class="bar" data-status="${b.status}" data-task="${esc(name)}" x="${x(b.start)}" y="${y + 4}" width="${w(b.start, b.end)}" height="${LANE - 8}" fill="${COLOUR[b.status]}" rx="2"><title>${esc(tip)}</title></rect>`);
    }
    o.push('</g>');
  });
  if (!tl.run.end) o.push(`<line class="killed" x1="${x(tl.end)}" x2="${x(tl.end)}" y1="${TOP - 14}" y2="${lanesBottom}" stroke="#d23c3c" stroke-width="2" stroke-dasharray="4 3"><title>the journal ends here: the run was killed</title></line>`);
  // healthy members over time, per quorum group
  groups.forEach((g, gi) => {
    const pts = tl.health.filter((p) => p.group === g);
    const n = Math.max(...pts.map((p) => p.members), 1);
    const top = lanesBottom + 40 + gi * (HEALTH + 30);
    const y = (v: number) => (top + HEALTH - (v / n) * HEALTH).toFixed(1);
    let d = `M${x(pts[0]!.t)},${y(pts[0]!.healthy)}`;
    for (const p of pts.slice(1)) d += ` H${x(p.t)} V${y(p.healthy)}`;
    d += ` H${x(tl.end)}`;
    const quorum = Math.floor(n / 2) + 1;
    o.push(`<g class="health" data-group="${esc(g)}"><text x="${LEFT - 8}" y="${top + HEALTH / 2}" text-anchor="end" font-weight="bold">etcd '${esc(g)}'</text><text x="${LEFT - 8}" y="${top + HEALTH / 2 + 14}" text-anchor="end" fill="#555">healthy members</text>`);
    o.push(`<rect x="${LEFT}" y="${top}" width="${WIDTH}" height="${HEALTH}" fill="#fafbfc" stroke="#dde3ea"/>`);
    for (let v = 0; v <= n; v++) o.push(`<text x="${LEFT + WIDTH + 6}" y="${Number(y(v)) + 4}" fill="#555">${v}</text>`);
    o.push(`<line class="quorum-line" x1="${LEFT}" x2="${LEFT + WIDTH}" y1="${y(quorum)}" y2="${y(quorum)}" stroke="#d23c3c" stroke-dasharray="5 4"><title>quorum: ${quorum} of ${n}</title></line>`);
    o.push(`<path class="health-line" d="${d}" fill="none" stroke="#2f6db5" stroke-width="2"/>`);
    for (const p of pts) o.push(`<circle class="measure" cx="${x(p.t)}" cy="${y(p.healthy)}" r="2.5" fill="#2f6db5"><title>${secs(p.t)}: ${p.healthy}/${p.members} healthy${p.leader ? `, leader ${esc(p.leader)}` : ''}</title></circle>`);
    o.push('</g>');
  });
  // legend
  const ly = height - 14;
  let lx = LEFT;
  for (const [st, c] of Object.entries(COLOUR)) {
    o.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${c}"/><text x="${lx + 16}" y="${ly}">${st}</text>`);
    lx += 90;
  }
  o.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="url(#hatch)" stroke="#7a6fb0"/><text x="${lx + 16}" y="${ly}">quorum guard</text>`);
  o.push('</svg>');
  return o.join('\n');
}

/** `hap report --html`: one self-contained page (inline CSS and SVG, no scripts, no fetches). */
export function htmlReport(run: RunInfo): string {
  const tl = timeline(run);
  const s = run.start;
  const name = s.playbook.split('/').pop() ?? s.playbook;
  const rows = [
    ['playbook', s.playbook],
    ['inventory', `${s.inventory}${s.limit ? ` --limit ${s.limit}` : ''}`],
    ['started', `${s.started} by ${s.user}@${s.controller} (pid ${s.pid})`],
    ['outcome', `${tl.outcome}${run.end ? ` (exit ${run.end.exit})` : ''} after ${secs(tl.end)}`],
    ...(s.resumes ? [['resumes', s.resumes]] : []),
    ...(tl.stopped ? [['left undone', tl.stopped.undone.map((u) => `${u.play}: ${u.hosts.join(', ')}`).join('; ')]] : []),
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hap run ${esc(run.id)} — ${esc(name)}</title>
<style>body{font-family:"DejaVu Sans",sans-serif;margin:16px;color:#1d2733}h1{font-size:18px;margin:0 0 8px}table{border-collapse:collapse;margin-bottom:12px;font-size:12px}td{padding:1px 10px 1px 0}td:first-child{color:#667}</style>
</head><body>
<h1>hap run ${esc(run.id)} — ${esc(name)}${s.check ? ' (check mode)' : ''}</h1>
<table>${rows.map(([k, v]) => `<tr><td>${esc(k!)}</td><td>${esc(v!)}</td></tr>`).join('')}</table>
${svg(tl)}
</body></html>
`;
}
