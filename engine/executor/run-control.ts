import type { RunContext } from './context.ts';

/** Work a run skips because an interrupted earlier run finished it (`hap run --resume`). */
export interface ResumeState {
  /** The earlier run's id. */
  of: string;
  /** Plays (by position) that ended, and hosts of each play whose batch completed. */
  playsDone: ReadonlySet<number>;
  hostsDone: ReadonlyMap<number, ReadonlySet<string>>;
}

/** Hosts of play `index` still to run; a finished play has none. */
export function toRun(ctx: RunContext, index: number, hosts: string[]): string[] {
  const r = ctx.resume;
  if (!r) return hosts;
  if (r.playsDone.has(index)) return [];
  const done = r.hostsDone.get(index);
  return done ? hosts.filter((h) => !done.has(h)) : hosts;
}

/** True once a stop was asked for (first Ctrl-C / SIGTERM): no new batch or play starts. */
export const stopping = (ctx: RunContext): boolean => ctx.stop?.aborted === true;

export const STOP_REASON = 'interrupted: the running batch finished, no further batch was started';
