import { quote } from '../transport/quote.ts';
import type { ModuleDef } from './types.ts';

export interface WaitForArgs {
  host?: string;
  port?: number;
  path?: string;
  state?: 'started' | 'stopped' | 'present' | 'absent' | 'drained';
  timeout?: number;
  delay?: number;
  sleep?: number;
  connect_timeout?: number;
  search_regex?: string;
  msg?: string;
}

type Mode = 'port-open' | 'port-closed' | 'drained' | 'path-present' | 'path-absent' | 'sleep';

function modeOf(a: WaitForArgs): Mode | string {
  const state = a.state ?? 'started';
  if (a.port !== undefined && a.path !== undefined) return 'port and path are mutually exclusive';
  if (a.port !== undefined) {
    if (state === 'drained') return 'drained';
    return state === 'started' || state === 'present' ? 'port-open' : 'port-closed';
  }
  if (a.path !== undefined) {
    if (state === 'drained') return 'state: drained needs port';
    return state === 'started' || state === 'present' ? 'path-present' : 'path-absent';
  }
  return state === 'started' || state === 'present' ? 'sleep' : `state: ${state} needs port or path`;
}

/** The bash test for one try; variables h, p, f, re, ct are set by the script. */
const CHECKS: Record<Mode, (regex: boolean) => string> = {
  'port-open': (regex) =>
    regex
      ? `timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$1/$2" && timeout "$3" cat <&3' _ "$h" "$p" "$ct" 2>/dev/null | grep -Eq -- "$re"`
      : `timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$h" "$p" 2>/dev/null`,
  'port-closed': () => `! timeout "$ct" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$h" "$p" 2>/dev/null`,
  drained: () => `[ -z "$(ss -Htn state connected "( sport = :$p )" 2>/dev/null)" ]`,
  'path-present': (regex) => (regex ? `grep -Eq -- "$re" "$f" 2>/dev/null` : `[ -e "$f" ]`),
  'path-absent': () => `[ ! -e "$f" ]`,
  sleep: () => 'false',
};

/** One bash script that polls on the host until the condition holds or the timeout passes. */
export function waitScript(a: WaitForArgs, mode: Mode): string {
  const vars = {
    h: a.host ?? '127.0.0.1',
    p: a.port ?? 0,
    f: a.path ?? '',
    re: a.search_regex ?? '',
    ct: a.connect_timeout ?? 5,
    limit: Math.round((a.timeout ?? 300) * 1000),
    delay: a.delay ?? 0,
    nap: a.sleep ?? 1,
  };
  const assign = Object.entries(vars).map(([k, v]) => `${k}=${quote(v)}`);
  return [
    ...assign,
    'start=$(date +%s%N)',
    'ms() { echo $(( ($(date +%s%N) - start) / 1000000 )); }',
    '[ "$delay" != 0 ] && sleep "$delay"',
    'while :; do',
    `  if ${CHECKS[mode](a.search_regex !== undefined)}; then echo "ok $(ms)"; exit 0; fi`,
    '  if [ "$(ms)" -ge "$limit" ]; then echo "timeout $(ms)"; exit 0; fi',
    '  sleep "$nap"',
    'done',
  ].join('\n');
}

export const waitFor: ModuleDef<WaitForArgs> = {
  name: 'wait_for',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', minLength: 1 },
      port: { type: 'integer', minimum: 1, maximum: 65535 },
      path: { type: 'string', minLength: 1 },
      state: { enum: ['started', 'stopped', 'present', 'absent', 'drained'] },
      timeout: { type: 'number', minimum: 0 },
      delay: { type: 'number', minimum: 0 },
      sleep: { type: 'number', exclusiveMinimum: 0 },
      connect_timeout: { type: 'number', exclusiveMinimum: 0 },
      search_regex: { type: 'string', minLength: 1 },
      msg: { type: 'string' },
    },
  },
  async plan(args, ctx) {
    const mode = modeOf(args);
    if (!(mode in CHECKS)) return { status: 'failed', msg: mode };
    const m = mode as Mode;
    const limitMs = ((args.timeout ?? 300) + (args.delay ?? 0) + (args.connect_timeout ?? 5) + 30) * 1000;
    const r = await ctx.transport.exec(`bash -c ${quote(waitScript(args, m))}`, { become: ctx.become, timeoutMs: limitMs });
    const [word, ms] = r.stdout.trim().split(' ');
    if (r.rc !== 0 || (word !== 'ok' && word !== 'timeout')) {
      return { status: 'failed', msg: `wait_for could not run on ${ctx.host}: ${r.stderr.trim() || `rc ${r.rc}`}` };
    }
    const elapsed = Math.round(Number(ms) / 100) / 10;
    const result = { elapsed, ...(args.port !== undefined ? { port: args.port } : {}), ...(args.path !== undefined ? { path: args.path } : {}) };
    if (word === 'ok' || m === 'sleep') return { status: 'ok', result };
    const what = args.port !== undefined ? `${args.host ?? '127.0.0.1'}:${args.port}` : `file ${args.path}`;
    const suffix = m === 'port-closed' || m === 'path-absent' ? ' to stop' : m === 'drained' ? ' to drain' : args.search_regex ? ` to contain ${args.search_regex}` : '';
    return { status: 'failed', msg: args.msg ?? `Timeout when waiting for ${what}${suffix}`, result };
  },
};
