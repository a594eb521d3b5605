import type { HostStatus } from '../output/events.ts';
import type { RunInfo } from '../ops/runs.ts';
import { outcomeOf } from '../ops/runs.ts';

/** One task on one host: from the task's start to that host's result (ms since the run began). */
export interface Bar {
  host: string;
  task: string;
  role?: string;
  handler?: boolean;
  status: HostStatus;
  start: number;
  end: number;
  play: number;
  batch?: number;
  changes: string[];
  msg?: string;
}

export interface BatchSpan {
  play: number;
  index: number;
  hosts: string[];
  start: number;
  end?: number;
  /** Guard work before the batch (measuring, moving the leader) and the settle wait after it. */
  before?: [number, number];
  settle?: [number, number];
}

export interface HealthPoint {
  t: number;
  group: string;
  healthy: number;
  members: number;
  leader?: string;
}

export interface Timeline {
  run: RunInfo;
  hosts: string[];
  bars: Bar[];
  batches: BatchSpan[];
  health: HealthPoint[];
  plays: Array<{ name: string; start: number; end?: number }>;
  stopped?: { reason: string; undone: Array<{ play: string; hosts: string[] }> };
  warnings: Array<{ t: number; msg: string }>;
  outcome: string;
  /** Duration of the run (to its end line, or its last line when killed). */
  end: number;
}

/** The timeline of a run, from its journal lines alone (pure). */
export function timeline(run: RunInfo): Timeline {
  const hosts: string[] = [];
  const seen = (h: string) => !hosts.includes(h) && hosts.push(h);
  const bars: Bar[] = [];
  const batches: BatchSpan[] = [];
  const health: HealthPoint[] = [];
  const plays: Timeline['plays'] = [];
  const warnings: Timeline['warnings'] = [];
  let task: { name: string; role?: string; handler?: boolean; t: number } | undefined;
  let play = -1;
  let lastMark = 0; // end of the previous batch, or the play's start
  let lastResult = 0;
  let stopped: Timeline['stopped'];
  for (const l of run.lines) {
    switch (l.event) {
      case 'play_start':
        play = l.play ?? play + 1;
        plays.push({ name: l.name, start: l.t });
        lastMark = l.t;
        break;
      case 'play_end':
        if (plays.at(-1)) plays.at(-1)!.end = l.t;
        break;
      case 'batch_start':
        l.hosts.forEach(seen);
        batches.push({ play, index: l.index, hosts: l.hosts, start: l.t, before: l.t - lastMark > 50 ? [lastMark, l.t] : undefined });
        lastResult = l.t;
        break;
      case 'batch_end': {
        const b = [...batches].reverse().find((x) => x.play === l.play && x.index === l.index);
        if (b) {
          b.end = l.t;
          if (l.t - lastResult > 50) b.settle = [lastResult, l.t];
        }
        lastMark = l.t;
        break;
      }
      case 'task_start':
        task = { name: l.name, role: l.role, handler: l.handler, t: l.t };
        break;
      case 'host_result':
        if (l.item !== undefined || !task) break;
        seen(l.host);
        bars.push({
          host: l.host,
          task: l.task,
          role: task.role,
          handler: task.handler,
          status: l.status,
          start: task.t,
          end: l.t,
          play,
          batch: batches.at(-1)?.play === play ? batches.at(-1)!.index : undefined,
          changes: l.changes ?? [],
          msg: l.msg,
        });
        lastResult = Math.max(lastResult, l.t);
        break;
      case 'cluster_health':
        health.push({ t: l.t, group: l.group, healthy: l.healthy, members: l.members, leader: l.leader });
        break;
      case 'warning':
        warnings.push({ t: l.t, msg: l.msg });
        break;
      case 'stopped':
        stopped = { reason: l.reason, undone: l.undone };
        break;
    }
  }
  return { run, hosts, bars, batches, health, plays, stopped, warnings, outcome: outcomeOf(run), end: run.end?.t ?? run.lastT };
}

export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
