import type { SourcePos } from '../source/errors.ts';
import type { FileDiff } from '../modules/types.ts';

export type HostStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable' | 'rescued' | 'ignored';

export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** Everything a run reports, as typed events; reporters subscribe. */
export type HapEvent =
  | { event: 'playbook_start'; playbook: string; check: boolean }
  | { event: 'play_start'; name: string; hosts: string[]; /** position in the playbook */ play?: number }
  | { event: 'batch_start'; index: number; hosts: string[] }
  /** A batch finished (its tasks, handlers and the gates after it); resume skips its hosts. */
  | { event: 'batch_end'; play: number; index: number; hosts: string[] }
  /** A quorum gate's measurement of the cluster (the report draws healthy members over time). */
  | { event: 'cluster_health'; group: string; healthy: number; members: number; leader?: string }
  /** The run stopped early on request (Ctrl-C / SIGTERM): what was left undone. */
  | { event: 'stopped'; reason: string; undone: Array<{ play: string; hosts: string[] }> }
  | { event: 'task_start'; name: string; role?: string; handler?: boolean; pos?: SourcePos }
  | {
      event: 'host_result';
      host: string;
      task: string;
      status: HostStatus;
      msg?: string;
      /** Set on the per-item results of a loop; the task's summary result has `loop: true`. */
      item?: string;
      loop?: boolean;
      delegatedTo?: string;
      /** What changed or would change (check mode), one line each. */
      changes?: string[];
      diff?: FileDiff[];
      /** The registered result; replaced by a notice when the task has no_log. */
      result?: Record<string, unknown>;
      /** True when the task ran in check mode and changes were not applied. */
      checkMode?: boolean;
      /** A debug task's result: its message follows as a `debug` event. */
      debug?: boolean;
    }
  | { event: 'debug'; host: string; msg: unknown }
  | { event: 'warning'; msg: string; host?: string }
  | { event: 'info'; msg: string }
  /** The quorum guard's measurements, arithmetic and decisions. */
  | { event: 'quorum'; msg: string }
  /** The vip gate's measurements, decisions and hand-overs. */
  | { event: 'vip'; msg: string }
  | { event: 'play_end'; name: string; play?: number }
  | { event: 'recap'; hosts: Record<string, RecapCounts> };

export type Reporter = (e: HapEvent) => void;
