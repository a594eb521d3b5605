// Timings of a nested hap run, for the scenario's closing figures.
//   node timings.mjs run LOG -- CMD ARGS…   runs CMD, passes its stdout through, writes every
//                                           line with the controller's clock to LOG; exits as CMD
//   node timings.mjs report LOG [HOST=DOWNTIME_S …]   one JSON line: where the time went, per member
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [mode, log, ...rest] = process.argv.slice(2);

if (mode === 'run') {
  const cmd = rest[0] === '--' ? rest.slice(1) : rest;
  const out = createWriteStream(log);
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout }).on('line', (line) => {
    out.write(`${JSON.stringify({ t: Date.now(), line })}\n`);
    process.stdout.write(`${line}\n`);
  });
  child.on('close', (code) => out.end(() => process.exit(code ?? 99)));
} else if (mode === 'report') {
  const downtime = Object.fromEntries(rest.map((a) => a.split('=')).map(([h, s]) => [h, Number(s)]));
  const rows = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const events = rows.flatMap((r) => {
    try { return [{ t: r.t, e: JSON.parse(r.line) }]; } catch { return []; }
  });
  const members = new Map();
  const member = (h) => members.get(h) ?? members.set(h, { host: h, snapshot_s: 0, copy_s: 0, install_s: 0, wait_s: 0, guard_s: 0, other_s: 0 }).get(h);
  let host; let phase = 'other'; let checkPlay = 0; let plays = 0;
  const kind = (name) => (/^Snapshot|newest snapshots/.test(name) ? 'snapshot_s'
    : /packages from the \.debs/.test(name) ? 'install_s'
      : /\.debs, copied/.test(name) ? 'copy_s'
        : /healthy and runs the target|running version after/.test(name) ? 'wait_s' : 'other_s');
  for (let i = 0; i + 1 < events.length; i++) {
    const { t, e } = events[i];
    const next = events[i + 1];
    if (e.event === 'play_start') { plays++; host = undefined; phase = 'other_s'; }
    if (e.event === 'batch_start' && plays > 1) host = e.hosts[0];
    if (e.event === 'task_start') phase = kind(e.name);
    const dt = (next.t - t) / 1000;
    if (plays <= 1) { checkPlay += dt; continue; }
    // the guard works (measures, moves the leader, waits to settle) until it reports
    const p = next.e.event === 'quorum' ? 'guard_s' : phase;
    if (host) member(host)[p] += dt;
    else if (p === 'guard_s') member('(before the first batch)').guard_s += dt;
  }
  const total = (events.at(-1).t - events[0].t) / 1000;
  const list = [...members.values()].map((m) => {
    const r = Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v === 'number' ? +v.toFixed(2) : v]));
    if (downtime[m.host] !== undefined) r.downtime_s = +downtime[m.host].toFixed(2);
    return r;
  });
  // the package's postinst restarts etcd, so a member's downtime lies inside its install time
  const busy = list.reduce((a, m) => a + m.install_s + Math.max(0, (m.downtime_s ?? 0) - m.install_s), 0);
  const order = events.find((x) => x.e.event === 'quorum' && /order /.test(x.e.msg))?.e.msg;
  const m = /leader (\S+); order ([^;]*);/.exec(order ?? '');
  const leaderLast = !!m && m[2].split(', ').at(-1) === m[1];
  console.log(JSON.stringify({
    total_s: +total.toFixed(2),
    check_play_s: +checkPlay.toFixed(2),
    members: list,
    downtime_total_s: +list.reduce((a, m) => a + (m.downtime_s ?? 0), 0).toFixed(2),
    install_total_s: +list.reduce((a, m) => a + m.install_s, 0).toFixed(2),
    hap_overhead_s: +(total - busy).toFixed(2),
    order,
    leader_last: leaderLast,
  }));
} else {
  console.error('usage: timings.mjs run LOG -- CMD… | report LOG [HOST=SECONDS…]');
  process.exit(5);
}
