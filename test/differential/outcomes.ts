import type { RecapCounts } from '../../engine/output/events.ts';
import type { Ran } from './ansible.ts';

/** What a run amounts to, in terms both tools share. */
export type Exit = 'ok' | 'error' | 'failed' | 'unreachable' | 'bad-options' | `code ${number}`;

const ANSIBLE_EXIT: Record<number, Exit> = { 0: 'ok', 1: 'error', 2: 'failed', 3: 'unreachable', 4: 'error', 5: 'bad-options' };
// hap's 8 (the play stopped early) comes with failed hosts in every case Ansible also stops a play
const HAP_EXIT: Record<number, Exit> = { 0: 'ok', 1: 'error', 2: 'failed', 4: 'unreachable', 5: 'bad-options', 8: 'failed' };

export const ansibleExit = (code: number): Exit => ANSIBLE_EXIT[code] ?? `code ${code}`;
export const hapExit = (code: number): Exit => HAP_EXIT[code] ?? `code ${code}`;

/** A host's recap, as hap's events carry it (Ansible's PLAY RECAP is parsed into the same). */
export type Counts = RecapCounts;

/** A playbook run: exit, recap per host, and what each debug task printed on each host, in order. */
export interface PlayOutcome {
  exit: Exit;
  recap?: Record<string, Counts>;
  debug?: Record<string, unknown[]>;
}

const NOISE = new Set(['changed', 'failed', 'skipped', 'action', 'item', 'ansible_loop_var', 'ansible_loop', 'skip_reason', 'false_condition', 'attempts']);

/** A debug result without bookkeeping keys: `{msg}` or `{var: value}`, or `{results: [...]}` for a loop. */
export function payload(r: unknown): unknown {
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return { msg: r };
  const o = r as Record<string, unknown>;
  if (Array.isArray(o.results)) return { results: o.results.map(payload) };
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_ansible') && !NOISE.has(k)));
}

type AnsibleJson = {
  plays: Array<{ play: { name: string }; tasks: Array<{ hosts: Record<string, Record<string, unknown>> }> }>;
  stats: Record<string, { ok: number; changed: number; unreachable: number; failures: number; skipped: number; rescued: number; ignored: number }>;
};

function parseJson(ran: Ran): AnsibleJson | undefined {
  const start = ran.out.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(ran.out.slice(start)) as AnsibleJson;
  } catch {
    return undefined;
  }
}

export function ansiblePlay(ran: Ran): PlayOutcome {
  const exit = ansibleExit(ran.code);
  const json = parseJson(ran);
  if (exit === 'error' || !json) return { exit };
  const recap: Record<string, Counts> = {};
  for (const [h, s] of Object.entries(json.stats)) {
    recap[h] = { ok: s.ok, changed: s.changed, unreachable: s.unreachable, failed: s.failures, skipped: s.skipped, rescued: s.rescued, ignored: s.ignored };
  }
  const debug: Record<string, unknown[]> = {};
  for (const p of json.plays) {
    for (const t of p.tasks) {
      for (const [h, r] of Object.entries(t.hosts)) {
        if (r.action !== 'debug' && r.action !== 'ansible.builtin.debug') continue;
        if (r.skipped === true || r.failed === true) continue;
        (debug[h] ??= []).push(payload(r));
      }
    }
  }
  return { exit, recap, debug };
}

type HapEvent = { event: string; host?: string; msg?: unknown; hosts?: Record<string, Counts>; name?: string };

const events = (ran: Ran): HapEvent[] =>
  ran.out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as HapEvent);

export function hapPlay(ran: Ran): PlayOutcome {
  const exit = hapExit(ran.code);
  if (exit === 'error') return { exit };
  const evs = events(ran);
  const recap = evs.find((e) => e.event === 'recap')?.hosts ?? {};
  const debug: Record<string, unknown[]> = {};
  for (const e of evs) if (e.event === 'debug' && e.host) (debug[e.host] ??= []).push(payload(e.msg));
  return { exit, recap, debug };
}

/** Hosts each play of a pattern playbook ran on (`debug: var=ansible_play_hosts_all`, run_once), by play name. */
export function ansiblePatterns(ran: Ran): Record<string, unknown> {
  const json = parseJson(ran);
  const out: Record<string, unknown> = {};
  for (const p of json?.plays ?? []) {
    const r = Object.values(p.tasks[0]?.hosts ?? {})[0];
    out[p.play.name] = r?.ansible_play_hosts_all ?? [];
  }
  return out;
}

export function hapPatterns(ran: Ran): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let play = '';
  for (const e of events(ran)) {
    if (e.event === 'play_start') out[(play = e.name ?? '')] = [];
    if (e.event === 'debug') out[play] = (e.msg as Record<string, unknown>).ansible_play_hosts_all;
  }
  return out;
}
