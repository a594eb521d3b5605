// A client loop through the VIP, run on the controller around one action (a fault, a nested
// hap run); shared by the scenarios that prove "0 failed requests through the VIP". One HTTPS GET at a time on a new connection (so haproxy balances each), every
// --interval-ms; prints one JSON line with what it saw. Like client-go, a GET whose connection
// was reset (it was open on the LB that just gave the VIP away) is retried once at once and
// counted in `resets_retried`; a request fails when it times out, is refused, or fails again.
//   node vip-client.mjs --url URL --ca FILE [--cert FILE --key FILE] [--interval-ms 50]
//                       [--timeout-ms 3000] [--warmup 1] [--settle 3] [--max 90] [--action-log FILE] -- ACTION ARGS…
// With --cert/--key it authenticates as that client (e.g. an admin certificate), so a URL such
// as /api/v1/namespaces/kube-system/configmaps/kubeadm-config reads through to etcd.
// The JSON holds the action's last 60 lines of output; --action-log FILE keeps all of it.
// The action starts after --warmup s; the loop ends --settle s after the action ended and the
// last failure, or --max s after the action started.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const action = dash >= 0 ? argv.slice(dash + 1) : [];
const flags = dash >= 0 ? argv.slice(0, dash) : argv;
const opts = {};
for (let i = 0; i < flags.length; i += 2) opts[flags[i].replace(/^--/, '')] = flags[i + 1];
const url = new URL(opts.url);
const ca = readFileSync(opts.ca);
const cert = opts.cert ? readFileSync(opts.cert) : undefined;
const key = opts.key ? readFileSync(opts.key) : undefined;
const every = Number(opts['interval-ms'] ?? 50);
const timeout = Number(opts['timeout-ms'] ?? 3000);
const warmup = Number(opts.warmup ?? 1) * 1000;
const settle = Number(opts.settle ?? 3) * 1000;
const max = Number(opts.max ?? 90) * 1000;

function request() {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, cert, key, agent: false, timeout }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({
        ok: res.statusCode === 200,
        status: res.statusCode,
        backend: /^ok (\S+)/.exec(body)?.[1],
        // what the server said when it did not answer 200 (an API Status' message, or the text)
        ...(res.statusCode === 200 ? {} : { said: (/"message":\s*"([^"]*)"/.exec(body)?.[1] ?? body).slice(0, 160) }),
      }));
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, error: e.code ?? e.message }));
  });
}

// A slow or failed request records what the controller's neighbour table says of the VIP at
// that moment (which MAC it sends to, in which state): the evidence for ARP-related stalls.
function neighbour() {
  try {
    return execFileSync('ip', ['neigh', 'show', 'to', url.hostname], { encoding: 'utf8', timeout: 1000 }).trim();
  } catch (e) {
    return `ip neigh: ${e.message}`;
  }
}

const RESET = new Set(['ECONNRESET', 'EPIPE']);
let resets = 0;
const resetsAt = [];
async function get() {
  const r = await request();
  if (r.ok || !RESET.has(r.error)) return r;
  resets++;
  resetsAt.push(Date.now());
  return request();
}

const t0 = Date.now();
const rows = [];
let actionStart;
let actionEnd;
let actionOut = '';
let actionRc;

function startAction() {
  actionStart = Date.now();
  if (!action.length) {
    actionEnd = actionStart;
    return;
  }
  const child = spawn(action[0], action.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => (actionOut += d));
  child.stderr.on('data', (d) => (actionOut += d));
  child.on('close', (code) => {
    actionRc = code;
    actionEnd = Date.now();
  });
}

setTimeout(startAction, warmup);
for (;;) {
  const start = Date.now();
  const r = await get();
  const took = Date.now() - start;
  rows.push({ t: Date.now(), took, ...r, ...(took > 1000 || !r.ok ? { neigh: neighbour() } : {}) });
  const now = Date.now();
  if (actionStart !== undefined && now - actionStart > max) break;
  const lastFail = rows.findLast((x) => !x.ok)?.t ?? 0;
  if (actionEnd !== undefined && now - actionEnd >= settle && now - lastFail >= settle) break;
  await new Promise((res) => setTimeout(res, Math.max(0, every - (Date.now() - start))));
}

if (opts['action-log']) writeFileSync(opts['action-log'], actionOut);
const since = (rs, t) => rs.filter((r) => r.t >= t);
const count = (rs) => rs.reduce((m, r) => (r.backend ? { ...m, [r.backend]: (m[r.backend] ?? 0) + 1 } : m), {});
let gap = 0;
let prev = t0;
for (const r of rows.filter((x) => x.ok)) {
  gap = Math.max(gap, r.t - prev);
  prev = r.t;
}
const failures = rows.filter((r) => !r.ok);
const lastFailure = failures.at(-1);
const end = rows.at(-1)?.t ?? Date.now();
console.log(JSON.stringify({
  requests: rows.length,
  failed: failures.length,
  resets_retried: resets,
  resets_at_s: resetsAt.slice(0, 10).map((t) => +((t - (actionStart ?? t0)) / 1000).toFixed(2)),
  longest_gap_s: +(gap / 1000).toFixed(2),
  first_failure_s: failures.length ? +((failures[0].t - actionStart) / 1000).toFixed(2) : null,
  last_failure_s: lastFailure ? +((lastFailure.t - actionStart) / 1000).toFixed(2) : null,
  errors: [...new Set(failures.map((f) => f.error ?? `HTTP ${f.status}${f.said ? `: ${f.said}` : ''}`))],
  slow: rows.filter((r) => r.neigh).slice(0, 10).map((r) => ({ at_s: +((r.t - (actionStart ?? t0)) / 1000).toFixed(2), took_ms: r.took, ok: r.ok, neigh: r.neigh })),
  backends: count(rows),
  backends_last_2s: count(since(rows, end - 2000)),
  action_rc: actionRc ?? null,
  action_s: actionEnd !== undefined ? +((actionEnd - actionStart) / 1000).toFixed(2) : null,
  action_output: actionOut.split('\n').slice(-60).join('\n'),
}));
