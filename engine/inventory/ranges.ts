/** Ansible host ranges: `web[01:03].example`, `db-[a:c]`, `n[0:10:2]` (inclusive, optional step). */

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** True when the name holds a `[x:y]` range (a bracket with a colon inside). */
export function hasRange(name: string): boolean {
  const open = name.indexOf('[');
  const colon = name.indexOf(':', open);
  const close = name.indexOf(']', open);
  return open >= 0 && colon > open && close > colon;
}

/** Expands every range in a host name, left to right. Throws Error with the reason on a bad range. */
export function expandHostRange(name: string): string[] {
  if (!hasRange(name)) return [name];
  const open = name.indexOf('[');
  const close = name.indexOf(']', open);
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) throw new Error(`host range in '${name}' must be [begin:end] or [begin:end:step]`);
  const beg = bounds[0] || '0';
  const end = bounds[1] ?? '';
  const step = bounds.length === 3 ? Number(bounds[2]) : 1;
  if (!end) throw new Error(`host range in '${name}' must give an end value`);
  if (!Number.isInteger(step) || step < 1) throw new Error(`host range step in '${name}' must be a positive integer`);
  let values: string[];
  if (LETTERS.includes(beg) && beg.length === 1) {
    const i = LETTERS.indexOf(beg);
    const j = end.length === 1 ? LETTERS.indexOf(end) : -1;
    if (j < 0) throw new Error(`host range in '${name}' mixes a letter with '${end}'`);
    if (i > j) throw new Error(`host range in '${name}' must have begin <= end`);
    values = [];
    for (let k = i; k <= j; k += step) values.push(LETTERS[k] ?? '');
  } else {
    if (!/^\d+$/.test(beg) || !/^\d+$/.test(end)) throw new Error(`host range in '${name}' must use numbers or single letters`);
    // a leading zero asks for fixed-width numbers, as in web[01:10]
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width && end.length !== width) throw new Error(`host range in '${name}' must give begin and end with equal widths`);
    const a = Number(beg);
    const b = Number(end);
    if (a > b) throw new Error(`host range in '${name}' must have begin <= end`);
    values = [];
    for (let k = a; k <= b; k += step) values.push(width ? String(k).padStart(width, '0') : String(k));
  }
  return values.flatMap((v) => expandHostRange(head + v + tail));
}

/**
 * Splits `host:port` (one colon outside brackets, digits after it) as Ansible's YAML inventory does.
 * `[fe80::1]:2222` and `[fe80::1]` are an IPv6 address (with a port), not a range (`literal`);
 * a bare IPv6 address and ranges are left whole.
 */
export function splitHostPort(key: string): { host: string; port?: number; literal?: boolean } {
  const v6 = /^\[([0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:%[\w.]+)?)\](?::(\d+))?$/.exec(key);
  if (v6 && (v6[1]!.split(':').length > 2 || v6[2] !== undefined)) return { host: v6[1]!, literal: true, ...(v6[2] !== undefined ? { port: Number(v6[2]) } : {}) };
  let depth = 0;
  const colons: number[] = [];
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ':' && depth === 0) colons.push(i);
  }
  const at = colons[0];
  if (colons.length === 1 && at !== undefined && /^\d+$/.test(key.slice(at + 1))) {
    return { host: key.slice(0, at), port: Number(key.slice(at + 1)) };
  }
  return { host: key };
}
