/**
 * Pure parts of the benchmark: reading recaps and `time -v` output, checking a run, and
 * formatting the table. run.ts does the IO.
 */

export interface Counts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
}

export type Recap = Record<string, Counts>;

export type Phase = 'first' | 'second';

export interface Measure {
  wallS: number;
  /** `time -v`'s "Maximum resident set size", in KiB; undefined when not measured. */
  maxRssKb?: number;
  recap: Recap;
  /** Problems found by checkRun; empty when the run is valid. */
  problems: string[];
}

export interface Row {
  hosts: number;
  forks: number;
  phase: Phase;
  hap: Measure;
  ansible?: Measure;
  ansibleForks?: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0));

/** The recap of `hap run --output json`: the last `{"event":"recap"}` line. */
export function parseHapRecap(stdout: string): Recap | undefined {
  const lines = stdout.split('\n').filter((l) => l.startsWith('{"event":"recap"'));
  const last = lines.at(-1);
  if (!last) return undefined;
  const hosts = (JSON.parse(last) as { hosts?: Record<string, Record<string, unknown>> }).hosts ?? {};
  const out: Recap = {};
  for (const [h, c] of Object.entries(hosts)) {
    out[h] = { ok: num(c.ok), changed: num(c.changed), unreachable: num(c.unreachable), failed: num(c.failed), skipped: num(c.skipped) };
  }
  return out;
}

/** The PLAY RECAP lines of ansible-playbook's default output (`h001 : ok=20 changed=13 …`). */
export function parseAnsibleRecap(stdout: string): Recap | undefined {
  const at = stdout.lastIndexOf('PLAY RECAP');
  if (at < 0) return undefined;
  const out: Recap = {};
  for (const line of stdout.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s*:\s*(.*)$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    const kv = Object.fromEntries([...m[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])]));
    out[m[1]] = { ok: num(kv.ok), changed: num(kv.changed), unreachable: num(kv.unreachable), failed: num(kv.failed), skipped: num(kv.skipped) };
  }
  return out;
}

/** "Maximum resident set size (kbytes): 123" from GNU time -v. */
export function parseMaxRssKb(timeOutput: string): number | undefined {
  const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(timeOutput);
  return m?.[1] ? Number(m[1]) : undefined;
}

/**
 * What is wrong with a run: a missing host, a failure or unreachable host, no change on a host
 * in the first run, any change in the second run, a non-zero exit code.
 */
export function checkRun(recap: Recap | undefined, hosts: string[], phase: Phase, rc: number | null): string[] {
  const problems: string[] = [];
  if (rc !== 0) problems.push(`exit code ${rc}`);
  if (!recap) return [...problems, 'no recap in the output'];
  for (const h of hosts) {
    const c = recap[h];
    if (!c) problems.push(`${h}: missing from the recap`);
    else if (c.failed || c.unreachable) problems.push(`${h}: failed=${c.failed} unreachable=${c.unreachable}`);
    else if (phase === 'first' && c.changed === 0) problems.push(`${h}: first run changed nothing`);
    else if (phase === 'second' && c.changed !== 0) problems.push(`${h}: second run changed=${c.changed}`);
  }
  return problems;
}

export const totalChanged = (recap: Recap): number => Object.values(recap).reduce((s, c) => s + c.changed, 0);

const fmt = (n: number | undefined, digits: number): string => (n === undefined ? '-' : n.toFixed(digits));

/** Markdown table: one line per N and run. */
export function formatTable(rows: Row[]): string {
  const out = [
    '| N | forks (hap/ansible) | run | hap wall s | hap peak RSS MiB | hap changed | ansible wall s | ansible peak RSS MiB | ansible changed | ratio | valid |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const a = r.ansible;
    const valid = r.hap.problems.length === 0 && (!a || a.problems.length === 0);
    out.push(
      `| ${r.hosts} | ${r.forks}/${r.ansibleForks ?? '-'} | ${r.phase === 'first' ? '1st (changes)' : '2nd (no change)'} ` +
        `| **${fmt(r.hap.wallS, 2)}** | ${fmt(r.hap.maxRssKb === undefined ? undefined : r.hap.maxRssKb / 1024, 0)} | ${totalChanged(r.hap.recap)} ` +
        `| ${fmt(a?.wallS, 2)} | ${fmt(a?.maxRssKb === undefined ? undefined : a.maxRssKb / 1024, 0)} | ${a ? totalChanged(a.recap) : '-'} ` +
        `| ${a ? `${(a.wallS / r.hap.wallS).toFixed(1)}x` : '-'} | ${valid ? 'yes' : 'NO'} |`,
    );
  }
  return `${out.join('\n')}\n`;
}

/** `--hosts 10,50` → [10, 50]; rejects anything that is not a positive integer. */
export function parseHostCounts(v: string): number[] {
  const ns = v.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!ns.length || ns.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--hosts wants positive integers like 10,50,100, got '${v}'`);
  return ns;
}

/** The median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
