import type { HapEvent, Reporter } from './events.ts';

/** One JSON object per line; the last is `{"event":"recap","hosts":{…}}`. For CI and tests. */
export function jsonReporter(write: (s: string) => void): Reporter {
  return (e: HapEvent) => write(JSON.stringify(e));
}
