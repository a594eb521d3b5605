/**
 * Bare expressions for `when`, `changed_when`, `failed_when`, `until` and `assert`, written as
 * in Ansible (Jinja) and evaluated without JavaScript's eval. The syntax is described in
 * engine/vars/EXPRESSIONS.md.
 */
import { HapError, type SourcePos } from '../source/errors.ts';
import { evalNode } from './expr-eval.ts';
import { hasFilter } from './expr-filters.ts';
import { ExprSyntaxError, parseNode, type Node } from './expr-parse.ts';
import { hasTest } from './expr-tests.ts';
import { ExprError, UndefinedVar, truthy } from './expr-values.ts';

export { truthy };

/** A parsed expression; parse once at load time, evaluate per host. */
export interface Expr {
  /** The expression as evaluated (without `{{ }}`). */
  readonly src: string;
  readonly node: Node;
  /** The source was wrapped in `{{ }}`, which conditions do not need (Ansible warns too). */
  readonly braced: boolean;
}

const CACHE_MAX = 1000;
const cache = new Map<string, Expr>();

/** `"{{ x }}"` as a condition means `x`; Ansible accepts it with a warning. */
function unbrace(src: string): { text: string; braced: boolean } {
  const m = /^\s*\{\{(.*)\}\}\s*$/s.exec(src);
  if (m && !m[1]?.includes('{{') && !m[1]?.includes('}}')) return { text: m[1] ?? '', braced: true };
  return { text: src, braced: false };
}

function at(pos: SourcePos | undefined, offset: number): SourcePos | undefined {
  return pos && { ...pos, col: pos.col + offset };
}

/** Parses an expression; a syntax error is a HapError naming the column inside it. */
export function parseExpr(src: string, pos?: SourcePos): Expr {
  const hit = cache.get(src);
  if (hit) return hit;
  const { text, braced } = unbrace(src);
  if (text.includes('{{') || text.includes('{%')) {
    throw new HapError(`expression '${src}' mixes {{ }} with bare expression syntax; conditions are bare expressions: write 'x == 1', not '{{ x }} == 1'`, pos);
  }
  let node: Node;
  try {
    node = parseNode(text);
    checkNames(node, text);
  } catch (e) {
    if (!(e instanceof ExprSyntaxError)) throw e;
    throw new HapError(`syntax error in expression '${text}' at column ${e.index + 1}: ${e.message}`, at(pos, e.index));
  }
  const expr: Expr = { src: text, node, braced };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(src, expr);
  return expr;
}

/** Unknown filters and tests are load-time errors, like syntax errors. */
function checkNames(n: Node, src: string): void {
  const near = (word: string) => Math.max(src.search(new RegExp(`\\b${word.replace(/\W/g, '\\$&')}\\b`)), 0);
  if (n.k === 'filter' && !hasFilter(n.name)) throw new ExprSyntaxError(`unknown filter '${n.name}'`, near(n.name));
  if (n.k === 'test' && !hasTest(n.name)) throw new ExprSyntaxError(`unknown test '${n.name}'`, near(n.name));
  for (const child of children(n)) checkNames(child, src);
}

function children(n: Node): Node[] {
  switch (n.k) {
    case 'lit':
    case 'var':
      return [];
    case 'get':
      return [n.obj, n.key];
    case 'slice':
      return [n.obj, n.start, n.stop, n.step].filter((x): x is Node => !!x);
    case 'list':
      return n.items;
    case 'dict':
      return n.entries.flat();
    case 'not':
    case 'neg':
      return [n.arg];
    case 'logic':
    case 'math':
      return [n.left, n.right];
    case 'cmp':
      return n.operands;
    case 'filter':
    case 'test':
      return [n.arg, ...n.args, ...Object.values(n.kwargs)];
    case 'method':
      return [n.obj, ...n.args, ...Object.values(n.kwargs)];
    case 'call':
      return [...n.args, ...Object.values(n.kwargs)];
    case 'if':
      return n.else ? [n.test, n.then, n.else] : [n.test, n.then];
  }
}

/** Evaluates an expression against `vars`; failures are HapErrors at `pos`. */
export function evaluate(src: string | Expr, vars: object, pos?: SourcePos, where?: string): unknown {
  const expr = typeof src === 'string' ? parseExpr(src, pos) : src;
  const place = where ? ` (${where})` : '';
  try {
    return evalNode(expr.node, vars);
  } catch (e) {
    if (e instanceof UndefinedVar) throw new HapError(`undefined variable '${e.path}' in expression '${expr.src}'${place}`, pos);
    if (e instanceof ExprError) throw new HapError(`${e.message} in expression '${expr.src}'${place}`, pos);
    throw e;
  }
}

/** A `when`-style condition: a boolean, an expression, or a list that must all hold. */
export function evaluateCondition(cond: string | boolean | Expr | Array<string | boolean | Expr>, vars: object, pos?: SourcePos): boolean {
  if (Array.isArray(cond)) return cond.every((c) => evaluateCondition(c, vars, pos));
  if (typeof cond === 'boolean') return cond;
  return truthy(evaluate(cond, vars, pos));
}
