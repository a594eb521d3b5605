import type { HapEvent, Reporter } from '../output/events.ts';

export const HIDDEN = '********';

/** `value` with every secret in it replaced; objects and arrays are copied, never changed in place. */
export function redactValue(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === 'string') {
    let out = value;
    for (const s of secrets) if (out.includes(s)) out = out.split(s).join(HIDDEN);
    return out;
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, secrets);
    return out;
  }
  return value;
}

/**
 * A reporter that hides every revealed vault value before `next` sees the event: the pretty
 * and JSON output and the run journal all go through it. The set is read live, so values
 * decrypted during the run are hidden too.
 */
export function redacting(next: Reporter, secrets: ReadonlySet<string>): Reporter {
  return (e: HapEvent) => next(secrets.size ? (redactValue(e, secrets) as HapEvent) : e);
}
