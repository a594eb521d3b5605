/**
 * `{{ expr }}` in YAML values, as Ansible users write them: each `{{ … }}` is an expression of
 * the same language as `when:` (engine/vars/expr.ts). A value that is exactly one `{{ expr }}`
 * keeps the expression's type (a list stays a list); text with several interpolates them as
 * Jinja prints them (None → '', True, ['a', 'b']). `{# … #}` is a comment. `{% … %}`
 * statements are refused with a hint: use a filter, or a `.hbs` template file.
 */
import { HapError, type SourcePos } from '../source/errors.ts';
import { evaluate, parseExpr, type Expr } from './expr.ts';
import { pyStr } from './expr-values.ts';
import { copyPos, posOf } from '../source/yaml.ts';

export interface ValueWhere {
  /** a description of the value ("variable 'etcd_url' (group_vars/all.yml:3)", "file:line:col") */
  name: string;
  /** where the YAML value starts, so columns inside it map into the file */
  pos?: SourcePos;
}

type Part = { text: string } | { expr: Expr; at: number };

/** The string holds template syntax (worth rendering or checking). */
export function isTemplated(s: string): boolean {
  return s.includes('{{') || s.includes('{%') || s.includes('{#');
}

/** The file position of offset `i` inside a value that starts at `pos`. */
function posAt(text: string, i: number, pos: SourcePos | undefined): SourcePos | undefined {
  if (!pos) return undefined;
  const before = text.slice(0, i).split('\n');
  if (before.length === 1) return { ...pos, col: pos.col + i };
  return { ...pos, line: pos.line + before.length - 1, col: (before.at(-1)?.length ?? 0) + 1 };
}

/** The line of `text` holding offset `i`, with a caret under it. */
function caret(text: string, i: number): string {
  const start = text.lastIndexOf('\n', i - 1) + 1;
  const end = text.indexOf('\n', i);
  const line = text.slice(start, end < 0 ? undefined : end);
  return `\n    ${line}\n    ${' '.repeat(i - start)}^`;
}

function fail(msg: string, text: string, i: number, where: ValueWhere): HapError {
  const place = where.pos ? '' : ` in ${where.name}`;
  return new HapError(`${msg}${place}${caret(text, i)}`, posAt(text, i, where.pos));
}

/**
 * Where the `}}` closing the expression opened at `from` is: outside strings and brackets, or
 * failing that (unbalanced brackets) the first outside strings, so the parser names the error.
 */
function closing(text: string, from: number, balanced = true): number {
  let depth = 0;
  let quote = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (!balanced) {
      if (c === '}' && text[i + 1] === '}') return i;
    } else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (c === '}' && text[i + 1] === '}') return i;
  }
  return balanced ? closing(text, from, false) : -1;
}

const CACHE_MAX = 1000;
const cache = new Map<string, Part[]>();

/** Splits a value into text and parsed expressions; syntax errors name file, line and column. */
function parts(text: string, where: ValueWhere): Part[] {
  const hit = cache.get(text);
  if (hit) return hit;
  const out: Part[] = [];
  let i = 0;
  let lit = '';
  while (i < text.length) {
    const two = text.slice(i, i + 2);
    if (two === '{%') {
      throw fail(`'{% … %}' statements are not supported in YAML values; use an expression with a filter ({{ x | join(',') }}, {{ a if c else b }}) or a .hbs template file`, text, i, where);
    }
    if (two === '{#') {
      const end = text.indexOf('#}', i + 2);
      if (end < 0) throw fail(`unclosed comment '{#'`, text, i, where);
      i = end + 2;
      continue;
    }
    if (two !== '{{') {
      lit += text[i];
      i++;
      continue;
    }
    const end = closing(text, i + 2);
    if (end < 0) throw fail(`'{{' is never closed by '}}'`, text, i, where);
    const src = text.slice(i + 2, end);
    const lead = src.length - src.trimStart().length;
    if (!src.trim()) throw fail(`empty expression '{{ }}'`, text, i, where);
    let expr: Expr;
    try {
      expr = parseExpr(src.trim());
    } catch (e) {
      if (!(e instanceof HapError)) throw e;
      const col = Number(/at column (\d+)/.exec(e.message)?.[1] ?? 1) - 1;
      throw fail(e.message, text, i + 2 + lead + col, where);
    }
    if (lit) out.push({ text: lit });
    lit = '';
    out.push({ expr, at: i });
    i = end + 2;
  }
  if (lit) out.push({ text: lit });
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(text, out);
  return out;
}

/** Load-time check: every expression in the value parses, no `{% %}`. */
export function checkValue(text: string, where: ValueWhere): void {
  parts(text, where);
}

/** What a `{{ }}` prints inside text (Ansible finalizes None to ''). */
function printed(v: unknown): string {
  return v === null || v === undefined ? '' : pyStr(v);
}

/** Renders one string value: exactly one `{{ expr }}` keeps its type, anything else is text. */
export function renderText(text: string, vars: object, where: ValueWhere): unknown {
  const ps = parts(text, where);
  const evalAt = (p: { expr: Expr; at: number }) => evaluate(p.expr, vars, posAt(text, p.at, where.pos) ?? where.pos, where.pos ? undefined : where.name);
  const only = ps.length === 1 ? ps[0] : undefined;
  if (only && 'expr' in only) return evalAt(only);
  return ps.map((p) => ('expr' in p ? printed(evalAt(p)) : p.text)).join('');
}

/** Renders every templated string in a YAML value tree (a new tree; positions are kept). */
export function renderValue(value: unknown, vars: object, where: ValueWhere): unknown {
  if (typeof value === 'string') return isTemplated(value) ? renderText(value, vars, where) : value;
  if (Array.isArray(value)) {
    const out = value.map((v, i) => renderValue(v, vars, { ...where, pos: posOf(value, i) ?? where.pos }));
    copyPos(value, out);
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderValue(v, vars, { ...where, pos: posOf(value, k) ?? where.pos });
    copyPos(value, out);
    return out;
  }
  return value;
}
