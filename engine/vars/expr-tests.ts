// Jinja/Ansible tests: `x is defined`, `result is failed`, `v is version('3.5', '>=')`.
import {
  ExprError,
  compare,
  deepEqual,
  isMapping,
  pyRegex,
  pyStr,
  toList,
  truthy,
  typeName,
  versionTest,
} from './expr-values.ts';

export type TestFn = (value: unknown, args: unknown[], kw: Record<string, unknown>) => boolean;

/** Tests that accept an undefined left side instead of failing on it. */
export const LENIENT_TESTS = new Set(['defined', 'undefined']);

/** Ansible's registered-result tests need a mapping (what `register:` stores). */
function result(v: unknown, test: string): Record<string, unknown> {
  if (!isMapping(v)) throw new ExprError(`the '${test}' test expects a registered result, got ${typeName(v)}`);
  return v;
}

function contains(container: unknown, item: unknown): boolean {
  if (typeof container === 'string') return container.includes(pyStr(item));
  if (Array.isArray(container)) return container.some((x) => deepEqual(x, item));
  if (isMapping(container)) return Object.hasOwn(container, pyStr(item));
  throw new ExprError(`argument of type '${typeName(container)}' is not a container`);
}

function regexTest(v: unknown, args: unknown[], kw: Record<string, unknown>, anchored: boolean): boolean {
  if (typeof v !== 'string') throw new ExprError(`match/search expects a string, got ${typeName(v)}`);
  const re = pyRegex(args[0], kw);
  if (!anchored) return re.test(v);
  // Python's re.match anchors at the start only; the sticky flag does the same
  return new RegExp(re.source, `${re.flags}y`).test(v);
}

const failed = (v: unknown, name: string): boolean => truthy(result(v, name).failed);
const changed = (v: unknown, name: string): boolean => truthy(result(v, name).changed);
const skipped = (v: unknown, name: string): boolean => truthy(result(v, name).skipped);

export const TESTS: Record<string, TestFn> = {
  defined: (v) => v !== undefined,
  undefined: (v) => v === undefined,
  none: (v) => v === null,
  true: (v) => v === true,
  false: (v) => v === false,
  truthy: (v) => truthy(v),
  falsy: (v) => !truthy(v),
  boolean: (v) => typeof v === 'boolean',
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  string: (v) => typeof v === 'string',
  mapping: (v) => isMapping(v),
  // as in Jinja, strings and mappings are sequences too; use `is not string` to tell them apart
  sequence: (v) => typeof v === 'string' || (v !== null && typeof v === 'object'),
  iterable: (v) => typeof v === 'string' || (v !== null && typeof v === 'object'),
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  eq: (v, [x]) => deepEqual(v, x),
  ne: (v, [x]) => !deepEqual(v, x),
  lt: (v, [x]) => compare(v, x) < 0,
  le: (v, [x]) => compare(v, x) <= 0,
  gt: (v, [x]) => compare(v, x) > 0,
  ge: (v, [x]) => compare(v, x) >= 0,
  in: (v, [c]) => contains(c, v),
  contains: (v, [x]) => contains(v, x),
  subset: (v, [x]) => toList(v).every((i) => contains(toList(x), i)),
  superset: (v, [x]) => toList(x).every((i) => contains(toList(v), i)),
  divisibleby: (v, [n]) => Number(v) % Number(n) === 0,
  even: (v) => Number(v) % 2 === 0,
  odd: (v) => Math.abs(Number(v) % 2) === 1,
  match: (v, args, kw) => regexTest(v, args, kw, true),
  search: (v, args, kw) => regexTest(v, args, kw, false),
  regex: (v, args, kw) => regexTest(v, args, kw, kw.match_type === 'match'),
  version: (v, [other, op], kw) => versionTest(v, other, op ?? kw.operator ?? 'eq'),
  failed: (v) => failed(v, 'failed'),
  succeeded: (v) => !failed(v, 'succeeded'),
  changed: (v) => changed(v, 'changed'),
  skipped: (v) => skipped(v, 'skipped'),
};

// the operator spellings and Ansible's older names
const ALIASES: Record<string, string> = {
  '==': 'eq', equalto: 'eq', sameas: 'eq', '!=': 'ne', '<': 'lt', lessthan: 'lt', '<=': 'le',
  '>': 'gt', greaterthan: 'gt', '>=': 'ge', version_compare: 'version', success: 'succeeded',
  failure: 'failed', change: 'changed', skip: 'skipped',
};
for (const [alias, name] of Object.entries(ALIASES)) {
  const fn = TESTS[name];
  if (fn) TESTS[alias] = fn;
}

export function hasTest(name: string): boolean {
  return Object.hasOwn(TESTS, name);
}

export function runTest(name: string, value: unknown, args: unknown[] = [], kw: Record<string, unknown> = {}): boolean {
  const fn = Object.hasOwn(TESTS, name) ? TESTS[name] : undefined;
  if (!fn) throw new ExprError(`unknown test '${name}'`);
  if (value === undefined && !LENIENT_TESTS.has(name)) throw new ExprError(`the '${name}' test got an undefined value`);
  return fn(value, args, kw);
}
