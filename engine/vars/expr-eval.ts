// Walks a parsed expression against a variable scope. No JavaScript is ever evaluated: every
// operator, filter, test and method is a function listed here or in expr-filters/expr-tests.
import type { Node } from './expr-parse.ts';
import { LENIENT_FILTERS, pySplit, pyStrip, runFilter } from './expr-filters.ts';
import { LENIENT_TESTS, runTest } from './expr-tests.ts';
import {
  ExprError,
  UndefinedVar,
  checkKey,
  compare,
  deepEqual,
  getAttr,
  getVar,
  isMapping,
  toList,
  pyStr,
  truthy,
  typeName,
} from './expr-values.ts';

type Args = { args: Node[]; kwargs: Record<string, Node> };

export function evalNode(n: Node, vars: object): unknown {
  switch (n.k) {
    case 'lit':
      return n.v;
    case 'var':
      return getVar(vars, n.name);
    case 'get':
      return getAttr(evalNode(n.obj, vars), evalNode(n.key, vars), n.text);
    case 'slice':
      return slice(evalNode(n.obj, vars), ...[n.start, n.stop, n.step].map((b) => (b ? evalNode(b, vars) : null)));
    case 'list':
      return n.items.map((i) => evalNode(i, vars));
    case 'dict':
      return Object.fromEntries(n.entries.map(([k, v]) => [pyStr(evalNode(k, vars)), evalNode(v, vars)]));
    case 'not':
      return !truthy(evalNode(n.arg, vars));
    case 'neg': {
      const v = evalNode(n.arg, vars);
      if (typeof v !== 'number') throw new ExprError(`bad operand type for unary ${n.op}: '${typeName(v)}'`);
      return n.op === '-' ? -v : v;
    }
    case 'logic': {
      // Python returns the deciding operand, and never evaluates the other side
      const l = evalNode(n.left, vars);
      if (n.op === 'and') return truthy(l) ? evalNode(n.right, vars) : l;
      return truthy(l) ? l : evalNode(n.right, vars);
    }
    case 'math':
      return math(n.op, evalNode(n.left, vars), evalNode(n.right, vars));
    case 'cmp': {
      let left = evalNode(n.operands[0] as Node, vars);
      for (let i = 0; i < n.ops.length; i++) {
        const right = evalNode(n.operands[i + 1] as Node, vars);
        if (!comparison(n.ops[i] as string, left, right)) return false;
        left = right;
      }
      return true;
    }
    case 'filter': {
      const v = LENIENT_FILTERS.has(n.name) ? lenient(n.arg, vars) : evalNode(n.arg, vars);
      const { args, kw } = evalArgs(n, vars);
      return runFilter(n.name, v, args, kw);
    }
    case 'test': {
      const v = LENIENT_TESTS.has(n.name) ? lenient(n.arg, vars) : evalNode(n.arg, vars);
      const { args, kw } = evalArgs(n, vars);
      return runTest(n.name, v, args, kw) !== n.negate;
    }
    case 'call': {
      const { args, kw } = evalArgs(n, vars);
      return n.name === 'dict' ? dictOf(args, kw) : rangeOf(args);
    }
    case 'method':
      return method(n.name, evalNode(n.obj, vars), evalArgs(n, vars), n.text);
    case 'if':
      if (truthy(evalNode(n.test, vars))) return evalNode(n.then, vars);
      return n.else ? evalNode(n.else, vars) : null;
  }
}

/** Python's `v[start:stop:step]` of a list or string; a missing or None bound is open. */
function slice(v: unknown, ...bounds: unknown[]): unknown {
  if (typeof v !== 'string' && !Array.isArray(v)) throw new ExprError(`'${typeName(v)}' object is not subscriptable with a slice`);
  for (const b of bounds) if (b !== null && !Number.isInteger(b)) throw new ExprError('slice indices must be integers or None');
  const [start, stop, step = 1] = bounds.map((b) => (b === null ? undefined : (b as number)));
  if (step === 0) throw new ExprError('slice step cannot be zero');
  const len = v.length;
  // Python's clamping: negative counts from the end; out-of-range ends at the edges
  const clamp = (i: number | undefined, open: number) =>
    i === undefined ? open : i < 0 ? Math.max(i + len, step < 0 ? -1 : 0) : Math.min(i, step < 0 ? len - 1 : len);
  const from = clamp(start, step < 0 ? len - 1 : 0);
  const to = clamp(stop, step < 0 ? -1 : len);
  const picked: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) picked.push(i);
  return typeof v === 'string' ? picked.map((i) => v[i]).join('') : picked.map((i) => v[i]);
}

/** The value, or undefined when it (or anything on its path) is missing. */
function lenient(n: Node, vars: object): unknown {
  try {
    return evalNode(n, vars);
  } catch (e) {
    if (e instanceof UndefinedVar) return undefined;
    throw e;
  }
}

function evalArgs(n: Args, vars: object): { args: unknown[]; kw: Record<string, unknown> } {
  const kw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n.kwargs)) kw[k] = evalNode(v, vars);
  return { args: n.args.map((a) => evalNode(a, vars)), kw };
}

function comparison(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==':
      return deepEqual(a, b);
    case '!=':
      return !deepEqual(a, b);
    case '<':
      return compare(a, b) < 0;
    case '<=':
      return compare(a, b) <= 0;
    case '>':
      return compare(a, b) > 0;
    case '>=':
      return compare(a, b) >= 0;
    case 'in':
      return runTest('in', a, [b]);
    case 'not in':
      return !runTest('in', a, [b]);
  }
  throw new ExprError(`unknown comparison '${op}'`);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : undefined);

function math(op: string, a: unknown, b: unknown): unknown {
  if (op === '~') return pyStr(a) + pyStr(b);
  const x = num(a);
  const y = num(b);
  const bad = () => new ExprError(`unsupported operand types for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  if (x === undefined || y === undefined) {
    if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
    if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (op === '*' && (typeof a === 'string' || Array.isArray(a)) && Number.isInteger(y)) return repeat(a, y as number);
    if (op === '%' && typeof a === 'string') throw new ExprError("string formatting with '%' is not supported; use '~' or a filter");
    throw bad();
  }
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '**':
      return x ** y;
  }
  if (y === 0) throw new ExprError('division by zero');
  if (op === '/') return x / y;
  if (op === '//') return Math.floor(x / y);
  if (op === '%') return ((x % y) + y) % y;
  throw bad();
}

function repeat(v: string | unknown[], n: number): unknown {
  if (typeof v === 'string') return v.repeat(Math.max(n, 0));
  return Array.from({ length: Math.max(n, 0) }, () => v).flat();
}

function method(name: string, obj: unknown, { args, kw }: { args: unknown[]; kw: Record<string, unknown> }, text: string): unknown {
  checkKey(name);
  if (typeof obj === 'string') {
    const prefixes = (p: unknown) => (Array.isArray(p) ? p.map(pyStr) : [pyStr(p)]);
    switch (name) {
      case 'startswith':
        return prefixes(args[0]).some((p) => obj.startsWith(p));
      case 'endswith':
        return prefixes(args[0]).some((p) => obj.endsWith(p));
      case 'split':
        return pySplit(obj, args[0] ?? kw.sep, Number(args[1] ?? kw.maxsplit ?? -1));
      case 'strip':
        return pyStrip(obj, args[0]);
      case 'lstrip':
        return pyStrip(obj, args[0], 'left');
      case 'rstrip':
        return pyStrip(obj, args[0], 'right');
      case 'lower':
        return obj.toLowerCase();
      case 'upper':
        return obj.toUpperCase();
      case 'replace':
        return runFilter('replace', obj, args);
    }
  } else if (Array.isArray(obj) && name === 'index') {
    // Python's list.index: groups['lb'].index(inventory_hostname)
    const i = obj.findIndex((x) => deepEqual(x, args[0]));
    if (i < 0) throw new ExprError(`'${text}': ${pyStr(args[0])} is not in the list`);
    return i;
  } else if (isMapping(obj)) {
    switch (name) {
      case 'get': {
        const k = pyStr(args[0]);
        return Object.hasOwn(obj, k) ? obj[k] : (args[1] ?? null);
      }
      case 'keys':
        return Object.keys(obj);
      case 'values':
        return Object.values(obj);
      case 'items':
        return Object.entries(obj);
    }
  }
  throw new ExprError(`'${text}': method '${name}' is not available on ${typeName(obj)} (allowed: startswith, endswith, split, strip, lower, upper, replace on strings; get, keys, values, items on mappings; index on lists)`);
}

/** `dict(pairs)` / `dict(a=1)`, as Python's dict(). */
function dictOf(args: unknown[], kw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (args.length > 1) throw new ExprError(`dict expected at most 1 argument, got ${args.length}`);
  const src = args[0];
  if (isMapping(src)) Object.assign(out, src);
  else if (src !== undefined) {
    for (const pair of toList(src)) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new ExprError('dict() needs a list of [key, value] pairs');
      out[pyStr(pair[0])] = pair[1];
    }
  }
  return Object.assign(out, kw);
}

/** `range(stop)`, `range(start, stop[, step])`, as Python's range(). */
function rangeOf(args: unknown[]): number[] {
  const [a, b, step = 1] = args.map(Number);
  const [start, stop] = b === undefined ? [0, a ?? 0] : [a ?? 0, b];
  if (!step) throw new ExprError('range() step must not be zero');
  if (Math.abs((stop - start) / step) > 100_000) throw new ExprError('range() longer than 100000 items');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}
