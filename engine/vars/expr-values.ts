// Python/Jinja value semantics shared by the expression evaluator, its filters and the
// handlebars helpers: truthiness, str(), equality, ordering, attribute access, versions.

/** A failure while evaluating (type mismatch, bad argument); the caller adds where. */
export class ExprError extends Error {}

/** A variable or attribute that does not exist; `path` names it as the user wrote it. */
export class UndefinedVar extends Error {
  constructor(readonly path: string) {
    super(`undefined variable '${path}'`);
  }
}

const FORBIDDEN = new Set(['constructor', '__proto__', 'prototype']);

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Python truthiness: '', [], {}, 0, None and false are false. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

/** Python repr(), used inside str() of containers. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isMapping(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return pyStr(v);
}

/** Python str(): what `~`, `| string` and templates print. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return pyRepr(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Python ordering: numbers with numbers, strings with strings, lists element-wise. */
export function compare(a: unknown, b: unknown): number {
  const num = (x: unknown) => (typeof x === 'boolean' ? Number(x) : x);
  const x = num(a);
  const y = num(b);
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  if (Array.isArray(x) && Array.isArray(y)) {
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      const c = compare(x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  throw new ExprError(`cannot compare ${typeName(a)} with ${typeName(b)}`);
}

/** Does `obj` (or a non-builtin prototype of it) hold `key`? Scopes may be prototype chains. */
function holds(obj: object, key: string): boolean {
  for (let o: object | null = obj; o && o !== Object.prototype && o !== Array.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.hasOwn(o, key)) return true;
  }
  return false;
}

/** Attribute/item access: own data of plain values only, never the prototype machinery. */
export function checkKey(key: unknown): void {
  if (typeof key === 'string' && FORBIDDEN.has(key)) throw new ExprError(`access to '${key}' is not allowed`);
}

export function getAttr(obj: unknown, key: unknown, path: string): unknown {
  checkKey(key);
  if (obj === null || obj === undefined) throw new UndefinedVar(path);
  if (Array.isArray(obj) || typeof obj === 'string') {
    const i = typeof key === 'string' && /^-?\d+$/.test(key) ? Number(key) : key;
    if (typeof i !== 'number' || !Number.isInteger(i)) throw new UndefinedVar(path);
    const at = i < 0 ? obj.length + i : i;
    if (at < 0 || at >= obj.length) throw new UndefinedVar(path);
    return obj[at];
  }
  if (typeof obj === 'object') {
    const k = String(key);
    if (!holds(obj, k)) throw new UndefinedVar(path);
    const v = (obj as Record<string, unknown>)[k];
    if (typeof v === 'function') throw new ExprError(`'${path}' is a function, not a value`);
    return v;
  }
  throw new UndefinedVar(path);
}

/** A top-level variable of a scope. */
export function getVar(vars: object, name: string): unknown {
  return getAttr(vars, name, name);
}

/** Length of a string, list or mapping (Jinja `length`/`count`). */
export function lengthOf(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (isMapping(v)) return Object.keys(v).length;
  throw new ExprError(`object of type '${typeName(v)}' has no length`);
}

/** Iterates what Python would: list items, string characters, mapping keys. */
export function toList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  if (isMapping(v)) return Object.keys(v);
  throw new ExprError(`'${typeName(v)}' object is not iterable`);
}

/** Splits a loose version ("v1.29.3", "3.5.0-rc1") into numbers and words. */
function versionParts(v: unknown): Array<number | string> {
  const s = pyStr(v).trim().replace(/^v(?=\d)/i, '');
  return (s.match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p.toLowerCase()));
}

/**
 * Compares loose versions part by part (numbers numerically). Unlike Python's LooseVersion, a
 * trailing word is a pre-release, as in semver: 3.5.0-rc1 < 3.5.0 < 3.5.0.1.
 */
export function versionCompare(a: unknown, b: unknown): number {
  const x = versionParts(a);
  const y = versionParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined) return typeof q === 'string' ? 1 : -1;
    if (q === undefined) return typeof p === 'string' ? -1 : 1;
    if (p === q) continue;
    if (typeof p === typeof q) return p < q ? -1 : 1;
    return typeof p === 'string' ? -1 : 1;
  }
  return 0;
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

export function versionTest(a: unknown, b: unknown, op: unknown = 'eq'): boolean {
  const f = VERSION_OPS[String(op)];
  if (!f) throw new ExprError(`unknown version operator '${String(op)}' (use <, <=, >, >=, ==, != or lt, le, gt, ge, eq, ne)`);
  return f(versionCompare(a, b));
}

/** Compiles a Python regular expression into a JavaScript one (named groups, \A, \Z, (?i)). */
export function pyRegex(pattern: unknown, opts: { ignorecase?: unknown; multiline?: unknown } = {}, global = false): RegExp {
  let src = pyStr(pattern);
  let flags = global ? 'g' : '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    src = src.slice(inline[0].length);
    for (const f of inline[1] ?? '') if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  if (truthy(opts.ignorecase) && !flags.includes('i')) flags += 'i';
  if (truthy(opts.multiline) && !flags.includes('m')) flags += 'm';
  src = src.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>').replace(/\\A/g, '^').replace(/\\Z/g, '$');
  try {
    return new RegExp(src, flags);
  } catch (e) {
    throw new ExprError(`bad regular expression '${pyStr(pattern)}': ${(e as Error).message}`);
  }
}
