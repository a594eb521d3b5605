import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { ResumeState } from '../executor/run-control.ts';
import type { JournalLine, RunEnd, RunStart } from './journal.ts';

/** Where journals go: --runs-dir, else $HAP_RUNS_DIR, else `.hap/runs` beside the inventory. */
export async function runsDir(inventory: string, override?: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (override) return resolve(override);
  if (env.HAP_RUNS_DIR) return resolve(env.HAP_RUNS_DIR);
  const inv = resolve(inventory);
  const isDir = (await stat(inv).catch(() => undefined))?.isDirectory();
  return join(isDir ? inv : dirname(inv), '.hap', 'runs');
}

export interface RunInfo {
  id: string;
  path: string;
  start: RunStart;
  end?: RunEnd;
  lines: JournalLine[];
  /** Milliseconds from start to the last line written. */
  lastT: number;
}

/** Reads one journal; a line cut short by a kill is ignored. */
export async function readRun(path: string): Promise<RunInfo | undefined> {
  const lines: JournalLine[] = [];
  for (const l of (await readFile(path, 'utf8')).split('\n')) {
    if (!l.trim()) continue;
    try {
      lines.push(JSON.parse(l) as JournalLine);
    } catch {
      // the last line of a killed run may be partial
    }
  }
  const start = lines[0];
  if (!start || start.event !== 'run_start') return undefined;
  const end = lines.find((l): l is RunEnd => l.event === 'run_end');
  return { id: start.run, path, start, end, lines, lastT: lines.at(-1)?.t ?? 0 };
}

/** Every run in `dir`, oldest first (ids sort by start time). */
export async function listRuns(dir: string): Promise<RunInfo[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.jsonl')).sort();
  const out: RunInfo[] = [];
  for (const n of names) {
    const r = await readRun(join(dir, n));
    if (r) out.push(r);
  }
  return out.sort((x, y) => x.start.started.localeCompare(y.start.started) || x.id.localeCompare(y.id));
}

/** A run that did not get to its end: killed (no end line) or interrupted by Ctrl-C. */
export const unfinished = (r: RunInfo): boolean => !r.end || r.end.outcome === 'interrupted';

/** How a run ended, for listings. */
export const outcomeOf = (r: RunInfo): string => r.end?.outcome ?? 'unfinished (no end: killed?)';

/**
 * The last run of this playbook and inventory that changed hosts (not --check, not refused),
 * when it is unfinished. A later finished run means there is nothing to resume.
 */
export function lastUnfinished(runs: RunInfo[], playbook: string, inventory: string): RunInfo | undefined {
  const same = runs.filter((r) => r.start.playbook === playbook && r.start.inventory === inventory && !r.start.check && r.end?.outcome !== 'refused');
  const last = same.at(-1);
  return last && unfinished(last) ? last : undefined;
}

/** What a run finished (with what it had inherited from the run it resumed). */
export function resumeState(r: RunInfo): ResumeState {
  const playsDone = new Set<number>(r.start.playsDone ?? []);
  const hostsDone = new Map<number, Set<string>>();
  const add = (play: number, hosts: string[]) => {
    const s = hostsDone.get(play) ?? new Set<string>();
    for (const h of hosts) s.add(h);
    hostsDone.set(play, s);
  };
  for (const [p, hosts] of Object.entries(r.start.hostsDone ?? {})) add(Number(p), hosts);
  for (const l of r.lines) {
    if (l.event === 'batch_end') add(l.play, l.hosts);
    if (l.event === 'play_end' && l.play !== undefined) playsDone.add(l.play);
  }
  return { of: r.id, playsDone, hostsDone };
}

/** ResumeState as plain JSON for the next journal's first line. */
export function resumeRecord(s: ResumeState): Pick<RunStart, 'resumes' | 'playsDone' | 'hostsDone'> {
  return {
    resumes: s.of,
    playsDone: [...s.playsDone],
    hostsDone: Object.fromEntries([...s.hostsDone].map(([p, h]) => [String(p), [...h]])),
  };
}

/** How many batches a run completed (for messages). */
export const batchesDone = (r: RunInfo): number => r.lines.filter((l) => l.event === 'batch_end').length;
