import { HapError } from '../source/errors.ts';

/** One serial value as a batch size for `total` hosts (int, or "30%" rounded down, at least 1). */
function size(value: number | string, total: number): number {
  if (typeof value === 'number') return Math.max(1, Math.floor(value));
  const s = value.trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(s);
  if (pct) return Math.max(1, Math.floor((total * Number(pct[1])) / 100));
  if (/^\d+$/.test(s)) return Math.max(1, Number(s));
  throw new HapError(`serial: '${value}' is neither a number nor a percentage`);
}

/**
 * Splits hosts into batches with Ansible's `serial` semantics: a list gives successive batch
 * sizes and its last value repeats; no serial (or 0) means one batch of all hosts.
 */
export function batches<T>(hosts: T[], serial: Array<number | string>): T[][] {
  if (hosts.length === 0) return [];
  if (serial.length === 0 || (serial.length === 1 && (serial[0] === 0 || serial[0] === '0'))) return [hosts];
  const out: T[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const n = size(serial[Math.min(k, serial.length - 1)]!, hosts.length);
    out.push(hosts.slice(i, i + n));
    i += n;
    k++;
  }
  return out;
}

/** Ansible's max_fail_percentage: the batch aborts when failures exceed (not reach) it. */
export function exceedsFailPercentage(failed: number, batchSize: number, max: number | undefined): boolean {
  if (max === undefined) return false;
  if (batchSize === 0) return false;
  return (failed / batchSize) * 100 > max;
}
