/**
 * `haproxy_server`: one server of an haproxy backend put in maintenance, drained or made ready
 * through haproxy's runtime API (the admin socket), on the LB host it runs on (delegate_to each
 * LB). Planned from `show stat`; with `wait` the change ends only when it took effect: for
 * maint/drain no session is left on the server (after `timeout` s the remaining ones are shut
 * down and counted; maint drains first, so no request in flight is cut), for ready haproxy's
 * own health check says UP.
 * The runtime state does not survive an haproxy reload: it is meant for the time of one
 * node's maintenance, not as configuration.
 */
import { parseStatsCsv, type Backend } from '../executor/gates/vip/status.ts';
import { shellJoin } from '../transport/quote.ts';
import type { ModuleContext, ModuleDef, Plan } from './types.ts';

export interface HaproxyServerArgs {
  server: string;
  backend?: string;
  state: 'ready' | 'drain' | 'maint';
  socket?: string;
  wait?: boolean;
  timeout?: number;
}

// python3 is on every Debian host (as for Ansible); socat is not in a minimal install.
const SEND = [
  'import socket, sys',
  's = socket.socket(socket.AF_UNIX)',
  's.settimeout(5)',
  's.connect(sys.argv[1])',
  "s.sendall(sys.argv[2].encode() + b'\\n')",
  "out = b''",
  'while True:',
  '    b = s.recv(65536)',
  '    if not b: break',
  '    out += b',
  'sys.stdout.write(out.decode())',
].join('\n');

async function runtime(a: HaproxyServerArgs, ctx: ModuleContext, cmd: string): Promise<{ ok: boolean; out: string }> {
  const r = await ctx.transport.exec(shellJoin(['python3', '-c', SEND, a.socket ?? '/run/haproxy/admin.sock', cmd]), { become: ctx.become });
  return { ok: r.rc === 0, out: r.rc === 0 ? r.stdout : (r.stderr || r.stdout).trim() };
}

type Seen = { servers: Backend[]; server?: Backend } | string;

async function read(a: HaproxyServerArgs, ctx: ModuleContext): Promise<Seen> {
  const backend = a.backend ?? 'kube-apiserver';
  const r = await runtime(a, ctx, 'show stat');
  if (!r.ok) return `haproxy's runtime API did not answer on ${a.socket ?? '/run/haproxy/admin.sock'}: ${r.out}`;
  const servers = parseStatsCsv(r.out.split('\n'), backend);
  if (!servers) return `haproxy's runtime API answered no statistics: ${r.out.trim().slice(0, 200)}`;
  return { servers, server: servers.find((s) => s.name === a.server) };
}

/** Where a server stands for the state asked: done, or the runtime command that gets it there. */
export function decide(state: HaproxyServerArgs['state'], s: Backend): 'done' | 'set' {
  const admin = s.status.startsWith('MAINT') ? 'maint' : s.status.startsWith('DRAIN') ? 'drain' : 'ready';
  return admin === state ? 'done' : 'set';
}

/** The server has reached the state asked: no sessions left (maint/drain), or UP (ready). */
export function reached(state: HaproxyServerArgs['state'], s: Backend): boolean {
  if (state === 'ready') return s.status === 'UP' || s.status === 'no check';
  // drained: no new request goes to it (a DOWN server, e.g. a dead node, gets none either)
  // and no session is left
  const settled = state === 'drain' ? /^(DRAIN|MAINT|DOWN)/.test(s.status) : decide(state, s) === 'done';
  return settled && (s.sessions ?? 0) === 0;
}

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Polls `show stat` until the server reached the state; on timeout, what it looked like last. */
async function settle(a: HaproxyServerArgs, ctx: ModuleContext): Promise<{ ok: boolean; last?: Backend; error?: string; waited: number }> {
  const start = Date.now();
  const deadline = start + (a.timeout ?? 30) * 1000;
  for (;;) {
    const seen = await read(a, ctx);
    if (typeof seen === 'string') return { ok: false, error: seen, waited: (Date.now() - start) / 1000 };
    const last = seen.server;
    if (last && reached(a.state, last)) return { ok: true, last, waited: (Date.now() - start) / 1000 };
    if (Date.now() > deadline || ctx.signal.aborted) return { ok: false, last, waited: (Date.now() - start) / 1000 };
    await pause(250);
  }
}

/** After a maint/drain wait ran out: the sessions still open are shut down, as a hard drain. */
async function finish(a: HaproxyServerArgs, ctx: ModuleContext, id: string) {
  const waited = await settle(a, ctx);
  const result = { server: a.server, state: a.state, waited_s: +waited.waited.toFixed(2), status: waited.last?.status };
  if (waited.ok) return { result: { ...result, sessions_cut: 0 } };
  if (waited.error) return { failed: waited.error };
  if (a.state === 'ready') {
    return { failed: `${id} did not come UP within ${a.timeout ?? 30} s (haproxy says ${waited.last?.status ?? 'nothing'}): its health check fails` };
  }
  const cut = waited.last?.sessions ?? 0;
  const r = await runtime(a, ctx, `shutdown sessions server ${id}`);
  if (!r.ok || r.out.trim()) return { failed: `shutdown sessions server ${id}: ${r.out.trim()}` };
  return { result: { ...result, sessions_cut: cut } };
}

export const haproxyServer: ModuleDef<HaproxyServerArgs> = {
  name: 'haproxy_server',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['server', 'state'],
    properties: {
      server: { type: 'string', minLength: 1 },
      backend: { type: 'string', minLength: 1 },
      state: { enum: ['ready', 'drain', 'maint'] },
      socket: { type: 'string', minLength: 1 },
      wait: { type: 'boolean' },
      timeout: { type: 'number', minimum: 0 },
    },
  },
  async plan(a, ctx): Promise<Plan> {
    const backend = a.backend ?? 'kube-apiserver';
    const id = `${backend}/${a.server}`;
    const seen = await read(a, ctx);
    if (typeof seen === 'string') return { status: 'failed', msg: seen };
    const { server } = seen;
    if (!server) {
      const names = seen.servers.map((s) => s.name).join(', ') || 'none';
      // a server not in the configuration receives nothing: out of the backend already
      if (a.state !== 'ready') return { status: 'ok', msg: `${id} is not configured (servers: ${names}): nothing routes to it`, result: { server: a.server, state: 'absent' } };
      return { status: 'failed', msg: `backend ${backend} has no server ${a.server} (servers: ${names})` };
    }
    const wait = a.wait ?? true;
    if (decide(a.state, server) === 'done') {
      if (!wait || reached(a.state, server)) return { status: 'ok', msg: `${id} is ${server.status}`, result: { server: a.server, state: a.state, status: server.status } };
      // already set but not settled (sessions open, or not UP yet): waiting is a read, not a change
      const out = await finish(a, ctx, id);
      if (out.failed) return { status: 'failed', msg: out.failed };
      return { status: 'ok', msg: `${id} is ${a.state}`, result: out.result };
    }
    const set = async (state: HaproxyServerArgs['state']): Promise<string | undefined> => {
      const r = await runtime(a, ctx, `set server ${id} state ${state}`);
      return !r.ok || r.out.trim() ? `set server ${id} state ${state}: ${r.out.trim()}` : undefined;
    };
    // maint straight away would cut the requests in flight (the backend's on-marked-down
    // shutdown-sessions): with `wait`, drain first, then maint once no session is left
    const drainFirst = a.state === 'maint' && wait && !server.status.startsWith('DRAIN');
    const was = `was ${server.status}${server.sessions ? `, ${server.sessions} sessions` : ''}`;
    return {
      status: 'change',
      changes: [
        {
          summary: `set server ${id} state ${a.state} (${drainFirst ? 'drained first; ' : ''}${was})`,
          apply: async () => {
            if (a.state === 'maint' && wait) {
              const failed = drainFirst ? await set('drain') : undefined;
              if (failed) return { failed };
              const drained = await finish({ ...a, state: 'drain' }, ctx, id);
              if (drained.failed) return drained;
              const last = await set('maint');
              if (last) return { failed: last };
              return { result: { ...drained.result, state: 'maint', status: 'MAINT' } };
            }
            const failed = await set(a.state);
            if (failed) return { failed };
            return wait ? finish(a, ctx, id) : { result: { server: a.server, state: a.state } };
          },
        },
      ],
    };
  },
};
