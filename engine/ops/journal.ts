import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { HapEvent, Reporter } from '../output/events.ts';

/** The first line of a journal: what ran, where from, and what it resumes. */
export interface RunStart {
  event: 'run_start';
  t: 0;
  run: string;
  /** Wall-clock start (ISO); `t` of every later line is monotonic milliseconds since it. */
  started: string;
  playbook: string;
  inventory: string;
  user: string;
  controller: string;
  pid: number;
  check: boolean;
  limit?: string;
  /** The run this one resumes and the work it inherited as done. */
  resumes?: string;
  playsDone?: number[];
  hostsDone?: Record<string, string[]>;
}

export type Outcome = 'ok' | 'failed' | 'unreachable' | 'aborted' | 'interrupted' | 'refused' | 'error';

export interface RunEnd {
  event: 'run_end';
  t: number;
  outcome: Outcome;
  exit: number;
}

export type JournalLine = RunStart | RunEnd | (HapEvent & { t: number });

/** A sortable run id: UTC time to the millisecond and 6 random hex digits. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '')}-${randomBytes(3).toString('hex')}`;
}

/** Drops what the journal does not keep: registered results and diffs (file contents). */
function slim(e: HapEvent): HapEvent {
  if (e.event !== 'host_result') return e;
  const { result: _r, diff: _d, ...rest } = e;
  return rest;
}

/**
 * Writes `<dir>/<run-id>.jsonl`, one line per event, each with `t`: monotonic milliseconds
 * since the run started. Lines are written synchronously so a SIGKILLed run still leaves
 * everything up to its last event on disk. Events reach it after no_log censoring and vault
 * redaction (the CLI wraps it with the redacting reporter).
 */
export class Journal {
  readonly path: string;
  private fd: number;
  private readonly t0 = performance.now();

  constructor(
    dir: string,
    readonly start: Omit<RunStart, 'event' | 't' | 'started' | 'user' | 'controller' | 'pid'>,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${start.run}.jsonl`);
    this.fd = openSync(this.path, 'wx', 0o600);
    this.line({ event: 'run_start', t: 0, started: new Date().toISOString(), user: userInfo().username, controller: hostname(), pid: process.pid, ...start });
  }

  private line(obj: object): void {
    if (this.fd >= 0) writeSync(this.fd, `${JSON.stringify(obj)}\n`);
  }

  private now(): number {
    return Math.round((performance.now() - this.t0) * 10) / 10;
  }

  readonly reporter: Reporter = (e) => this.line({ ...slim(e), t: this.now() });

  end(outcome: Outcome, exit: number): void {
    if (this.fd < 0) return;
    this.line({ event: 'run_end', t: this.now(), outcome, exit } satisfies RunEnd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
