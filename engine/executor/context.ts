import type { Inventory } from '../inventory/index.ts';
import type { HapEvent, Reporter } from '../output/events.ts';
import type { Transports } from '../transport/registry.ts';
import type { ExtraVars } from '../vars/ladder.ts';
import type { Keyring } from '../vault/keyring.ts';
import type { ResumeState } from './run-control.ts';

export interface RunOptions {
  check: boolean;
  diff: boolean;
  forks: number;
  tags: string[];
  skipTags: string[];
  limit?: string;
  extra: ExtraVars;
  verbosity: number;
}

/** Everything a run needs, passed explicitly (no globals), so tests swap any part. */
export interface RunContext {
  options: RunOptions;
  inventory: Inventory;
  /** Makes the transport for a host by its connection type. */
  /** The transport registry, by connection name. */
  transports: Transports;
  emit: Reporter;
  signal: AbortSignal;
  /** Waits (retries' delay, pause); tests may replace it. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  now: () => number;
  /** Aborted by the first Ctrl-C / SIGTERM: the running batch finishes, nothing new starts. */
  stop?: AbortSignal;
  /** Set by --resume: what an interrupted earlier run already finished. */
  resume?: ResumeState;
  /** Vault passwords, for modules that read vault-encrypted controller files. */
  vault?: Keyring;
}

export function defaultOptions(partial: Partial<RunOptions> = {}): RunOptions {
  return { check: false, diff: false, forks: 20, tags: [], skipTags: [], extra: { values: {}, sources: {} }, verbosity: 0, ...partial };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export type { HapEvent };
