// Jinja/Ansible filters: `x | default(y)`, `hosts | map(attribute='ip') | join(',')`.
import { posix } from 'node:path';
import { parse as yamlParse, stringify as yamlStringify } from 'yaml';
import { quote } from '../transport/quote.ts';
import { runTest } from './expr-tests.ts';
import {
  ExprError,
  UndefinedVar,
  compare,
  deepEqual,
  getAttr,
  isMapping,
  lengthOf,
  pyRegex,
  pyStr,
  toList,
  truthy,
  typeName,
  versionTest,
} from './expr-values.ts';

export type FilterFn = (value: unknown, args: unknown[], kw: Record<string, unknown>) => unknown;

/** Filters that receive `undefined` for a missing variable instead of failing. */
export const LENIENT_FILTERS = new Set(['default', 'd']);

/** `item.a.b` for `attribute='a.b'`; undefined when missing. */
export function attrPath(item: unknown, path: unknown): unknown {
  let v = item;
  for (const part of pyStr(path).split('.')) {
    try {
      v = getAttr(v, part, part);
    } catch (e) {
      if (e instanceof UndefinedVar) return undefined;
      throw e;
    }
  }
  return v;
}

/** Python's json.dumps layout: `{"a": 1, "b": [1, 2]}`. */
export function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (isMapping(v)) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(', ')}}`;
  return JSON.stringify(v ?? null);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isMapping(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}

export function niceJson(v: unknown, indent = 4): string {
  return JSON.stringify(sortKeys(v), null, indent) ?? 'null';
}

export function toYaml(v: unknown, indent = 2): string {
  return yamlStringify(v, { indent, lineWidth: 0 });
}

function str(v: unknown, filter: string): string {
  if (typeof v !== 'string') throw new ExprError(`the '${filter}' filter expects a string, got ${typeName(v)}`);
  return v;
}

function list(v: unknown, filter: string): unknown[] {
  if (!Array.isArray(v)) throw new ExprError(`the '${filter}' filter expects a list, got ${typeName(v)}`);
  return v;
}

function mapping(v: unknown, filter: string): Record<string, unknown> {
  if (!isMapping(v)) throw new ExprError(`the '${filter}' filter expects a mapping, got ${typeName(v)}`);
  return v;
}

/** Python str.split: no separator splits on runs of whitespace. */
export function pySplit(s: string, sep?: unknown, maxsplit = -1): string[] {
  if (sep === undefined || sep === null) {
    const words = s.trim().split(/\s+/).filter((w) => w !== '');
    if (maxsplit < 0 || words.length <= maxsplit + 1) return words;
    const head: string[] = [];
    let rest = s.trimStart();
    for (let i = 0; i < maxsplit; i++) {
      const m = /^(\S+)\s+/.exec(rest);
      if (!m) break;
      head.push(m[1] ?? '');
      rest = rest.slice(m[0].length);
    }
    return [...head, rest];
  }
  const parts = s.split(pyStr(sep));
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(pyStr(sep))];
}

/** Python str.strip(chars). */
export function pyStrip(s: string, chars: unknown, side: 'both' | 'left' | 'right' = 'both'): string {
  if (chars === undefined || chars === null) return side === 'left' ? s.trimStart() : side === 'right' ? s.trimEnd() : s.trim();
  const set = new Set(pyStr(chars));
  let a = 0;
  let b = s.length;
  if (side !== 'right') while (a < b && set.has(s.charAt(a))) a++;
  if (side !== 'left') while (b > a && set.has(s.charAt(b - 1))) b--;
  return s.slice(a, b);
}

/** Python's `\1` / `\g<name>` replacement syntax to JavaScript's `$1` / `$<name>`. */
function pyReplacement(r: string): string {
  return r.replace(/\$/g, '$$$$').replace(/\\g<(\w+)>/g, (_, g: string) => (/^\d+$/.test(g) ? `$${g}` : `$<${g}>`)).replace(/\\(\d+)/g, '$$$1');
}

function toInt(v: unknown, fallback: unknown = 0, base: unknown = 10): unknown {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return Math.trunc(v);
  const s = pyStr(v).trim();
  const b = Number(base);
  if (b === 10 && /^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(s)) return Math.trunc(Number(s));
  if (b !== 10 && s !== '' && !Number.isNaN(parseInt(s, b))) return parseInt(s, b);
  return fallback;
}

function indent(s: unknown, width: unknown = 4, first: unknown = false, blank: unknown = false): string {
  const pad = typeof width === 'string' ? width : ' '.repeat(Number(width));
  return pyStr(s)
    .split('\n')
    .map((line, i) => ((i > 0 || truthy(first)) && (line !== '' || truthy(blank)) ? pad + line : line))
    .join('\n');
}

function unique(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of items) if (!out.some((y) => deepEqual(x, y))) out.push(x);
  return out;
}

function sortKey(kw: Record<string, unknown>): (x: unknown) => unknown {
  const key = (x: unknown) => (kw.attribute !== undefined ? attrPath(x, kw.attribute) : x);
  return truthy(kw.case_sensitive) ? key : (x) => {
    const k = key(x);
    return typeof k === 'string' ? k.toLowerCase() : k;
  };
}

function extreme(v: unknown, kw: Record<string, unknown>, sign: 1 | -1): unknown {
  const items = toList(v);
  const key = sortKey(kw);
  return items.reduce<unknown>((best, x) => (best === undefined || sign * compare(key(x), key(best)) > 0 ? x : best), undefined) ?? null;
}

function combine(dicts: unknown[], recursive: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of dicts) {
    for (const [k, v] of Object.entries(mapping(d, 'combine'))) {
      const prev = out[k];
      out[k] = recursive && isMapping(prev) && isMapping(v) ? combine([prev, v], true) : v;
    }
  }
  return out;
}

function flatten(v: unknown[], levels: number): unknown[] {
  return v.flatMap((x) => (Array.isArray(x) && levels !== 0 ? flatten(x, levels - 1) : [x]));
}

function applyFilter(name: unknown, value: unknown, args: unknown[], kw: Record<string, unknown>): unknown {
  const fn = Object.hasOwn(FILTERS, pyStr(name)) ? FILTERS[pyStr(name)] : undefined;
  if (!fn) throw new ExprError(`unknown filter '${pyStr(name)}'`);
  return fn(value, args, kw);
}

function selectAttr(v: unknown, [attr, test, ...rest]: unknown[], kw: Record<string, unknown>, keep: boolean): unknown[] {
  return toList(v).filter((item) => {
    const x = attrPath(item, attr);
    const hit = test === undefined ? truthy(x) : x === undefined && test !== 'defined' && test !== 'undefined' ? false : runTest(pyStr(test), x, rest, kw);
    return hit === keep;
  });
}

export const FILTERS: Record<string, FilterFn> = {
  default: (v, [fallback = '', boolean = false]) => (v === undefined || (truthy(boolean) && !truthy(v)) ? fallback : v),
  mandatory: (v, [msg]) => {
    if (v === undefined) throw new ExprError(msg === undefined ? 'mandatory variable not defined' : pyStr(msg));
    return v;
  },
  length: (v) => lengthOf(v),
  int: (v, [fallback = 0, base = 10], kw) => toInt(v, kw.default ?? fallback, kw.base ?? base),
  float: (v, [fallback = 0]) => {
    const n = typeof v === 'number' ? v : Number(pyStr(v).trim());
    return Number.isNaN(n) || (typeof v === 'string' && v.trim() === '') ? fallback : n;
  },
  bool: (v) => {
    if (typeof v === 'boolean') return v;
    if (v === null || v === undefined) return false;
    return ['yes', 'on', '1', 'true', 'y', 't'].includes(pyStr(v).toLowerCase());
  },
  string: (v) => pyStr(v),
  lower: (v) => pyStr(v).toLowerCase(),
  upper: (v) => pyStr(v).toUpperCase(),
  capitalize: (v) => pyStr(v).charAt(0).toUpperCase() + pyStr(v).slice(1).toLowerCase(),
  trim: (v, [chars]) => pyStrip(pyStr(v), chars),
  list: (v) => [...toList(v)],
  // Ansible's extract: `'h1' | extract(hostvars, 'ansible_host')` is hostvars['h1'].ansible_host
  // Ansible's extract: morekeys may be one key or a list of keys
  extract: (v, [container, ...keys]) => [v, ...keys.flat()].reduce((acc: unknown, k) => getAttr(acc, k, String(k)), container),
  first: (v) => {
    const l = typeof v === 'string' ? v : toList(v);
    if (l.length === 0) throw new UndefinedVar('(first of an empty sequence)'); // Jinja: undefined, so default() applies
    return l[0];
  },
  last: (v) => {
    const l = typeof v === 'string' ? v : toList(v);
    if (l.length === 0) throw new UndefinedVar('(last of an empty sequence)');
    return l[l.length - 1];
  },
  reverse: (v) => (typeof v === 'string' ? [...v].reverse().join('') : [...toList(v)].reverse()),
  join: (v, [sep = ''], kw) => toList(v).map((x) => pyStr(kw.attribute !== undefined ? attrPath(x, kw.attribute) : x)).join(pyStr(sep)),
  select: (v, [test, ...rest], kw) => toList(v).filter((x) => (test === undefined ? truthy(x) : runTest(pyStr(test), x, rest, kw))),
  reject: (v, [test, ...rest], kw) => toList(v).filter((x) => !(test === undefined ? truthy(x) : runTest(pyStr(test), x, rest, kw))),
  selectattr: (v, args, kw) => selectAttr(v, args, kw, true),
  rejectattr: (v, args, kw) => selectAttr(v, args, kw, false),
  map: (v, [filter, ...rest], kw) => {
    if (kw.attribute !== undefined) {
      return toList(v).map((x) => {
        const a = attrPath(x, kw.attribute);
        if (a === undefined && !('default' in kw)) throw new UndefinedVar(`item.${pyStr(kw.attribute)}`);
        return a === undefined ? kw.default : a;
      });
    }
    if (filter === undefined) throw new ExprError("map needs a filter name or attribute='…'");
    return toList(v).map((x) => applyFilter(filter, x, rest, kw));
  },
  dict2items: (v, _a, kw) =>
    Object.entries(mapping(v, 'dict2items')).map(([k, x]) => ({ [pyStr(kw.key_name ?? 'key')]: k, [pyStr(kw.value_name ?? 'value')]: x })),
  items2dict: (v, _a, kw) =>
    Object.fromEntries(list(v, 'items2dict').map((i) => [pyStr(attrPath(i, kw.key_name ?? 'key')), attrPath(i, kw.value_name ?? 'value')])),
  items: (v) => Object.entries(mapping(v, 'items')),
  zip: (v, others) => {
    const lists = [toList(v), ...others.map(toList)];
    const n = Math.min(...lists.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => lists.map((l) => l[i]));
  },
  combine: (v, args, kw) => combine([v, ...args], truthy(kw.recursive)),
  flatten: (v, [levels]) => flatten(list(v, 'flatten'), levels === undefined || levels === null ? -1 : Number(levels)),
  split: (v, [sep, maxsplit = -1]) => pySplit(str(v, 'split'), sep, Number(maxsplit)),
  replace: (v, [old, rep, count]) => {
    const parts = pyStr(v).split(pyStr(old));
    const n = count === undefined ? parts.length : Number(count) + 1;
    return [parts.slice(0, n).join(pyStr(rep)), ...parts.slice(n)].join(pyStr(old));
  },
  regex_search: (v, [re, ...groups], kw) => {
    const m = pyRegex(re, kw).exec(pyStr(v));
    if (!m) return null;
    if (groups.length === 0) return m[0];
    return groups.map((g) => {
      const s = pyStr(g);
      const name = /^\\g<(\w+)>$/.exec(s)?.[1] ?? /^\\(\d+)$/.exec(s)?.[1];
      if (name === undefined) throw new ExprError(`regex_search group '${s}' must look like '\\1' or '\\g<name>'`);
      return (/^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name]) ?? null;
    });
  },
  regex_findall: (v, [re], kw) => [...pyStr(v).matchAll(pyRegex(re, kw, true))].map((m) => (m.length > 2 ? m.slice(1) : (m[1] ?? m[0]))),
  regex_replace: (v, [re, rep = ''], kw) => pyStr(v).replace(pyRegex(re, kw, true), pyReplacement(pyStr(rep))),
  regex_escape: (v) => pyStr(v).replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'),
  from_json: (v) => {
    try {
      return JSON.parse(str(v, 'from_json'));
    } catch (e) {
      throw new ExprError(`from_json: ${(e as Error).message}`);
    }
  },
  to_json: (v) => pyJson(v),
  to_nice_json: (v, [ind = 4], kw) => niceJson(v, Number(kw.indent ?? ind)),
  from_yaml: (v) => yamlParse(str(v, 'from_yaml')) as unknown,
  to_yaml: (v) => toYaml(v),
  to_nice_yaml: (v, [ind = 4], kw) => toYaml(v, Number(kw.indent ?? ind)),
  b64encode: (v) => Buffer.from(pyStr(v), 'utf8').toString('base64'),
  b64decode: (v) => Buffer.from(str(v, 'b64decode'), 'base64').toString('utf8'),
  sort: (v, [reverse = false], kw) => {
    const key = sortKey(kw);
    const sign = truthy(kw.reverse ?? reverse) ? -1 : 1;
    return [...toList(v)].sort((a, b) => sign * compare(key(a), key(b)));
  },
  unique: (v) => unique(toList(v)),
  min: (v, _a, kw) => extreme(v, kw, -1),
  max: (v, _a, kw) => extreme(v, kw, 1),
  sum: (v, _a, kw) =>
    toList(v).reduce<number>((acc, x) => {
      const n = kw.attribute !== undefined ? attrPath(x, kw.attribute) : x;
      if (typeof n !== 'number') throw new ExprError(`sum: cannot add ${typeName(n)}`);
      return acc + n;
    }, Number(kw.start ?? 0)),
  abs: (v) => Math.abs(Number(v)),
  round: (v, [precision = 0, method = 'common']) => {
    const f = 10 ** Number(precision);
    const r = method === 'ceil' ? Math.ceil : method === 'floor' ? Math.floor : Math.round;
    return r(Number(v) * f) / f;
  },
  difference: (v, [other]) => unique(toList(v).filter((x) => !toList(other).some((y) => deepEqual(x, y)))),
  intersect: (v, [other]) => unique(toList(v).filter((x) => toList(other).some((y) => deepEqual(x, y)))),
  union: (v, [other]) => unique([...toList(v), ...toList(other)]),
  basename: (v) => posix.basename(pyStr(v)),
  dirname: (v) => posix.dirname(pyStr(v)),
  quote: (v) => quote(pyStr(v)),
  indent: (v, [width = 4, first = false, blank = false], kw) => indent(v, kw.width ?? width, kw.first ?? first, kw.blank ?? blank),
  ternary: (v, [yes, no, none]) => (v === null && none !== undefined ? none : truthy(v) ? yes : no),
  version_compare: (v, [other, op = 'eq']) => versionTest(v, other, op),
};
FILTERS.d = FILTERS.default as FilterFn;
FILTERS.count = FILTERS.length as FilterFn;

export function hasFilter(name: string): boolean {
  return Object.hasOwn(FILTERS, name);
}

export function runFilter(name: string, value: unknown, args: unknown[] = [], kw: Record<string, unknown> = {}): unknown {
  if (value === undefined && !LENIENT_FILTERS.has(name)) throw new ExprError(`the '${name}' filter got an undefined value`);
  return applyFilter(name, value, args, kw);
}
