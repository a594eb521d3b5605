/**
 * Handlebars templating for `.hbs` config-file templates (YAML values use interpolate.ts).
 *
 * Strict: `{{x}}` with no `x` is an error naming the variable, template and line, never an
 * empty string. No HTML escaping. Missing variables as helper arguments:
 * - `{{#if x}}`, `{{#unless x}}`, `{{default x 5}}` and `{{defined x}}` accept a missing `x`
 *   (false / the fallback), as Ansible users expect from `{% if x %}` and `x | default(5)`;
 *   a missing step in a path (`{{#if a.b.c}}` with no `a`) counts as missing too;
 * - every other helper (`each`, `with`, `join`, `eq`, …) fails on a missing argument.
 * `if`/`unless` use Python truthiness: '', 0, [], {} and null are false.
 */
import Handlebars from 'handlebars';
import { HapError, type SourcePos } from '../source/errors.ts';
import { copyPos, posOf } from '../source/yaml.ts';
import { ExprError, UndefinedVar, truthy } from './expr-values.ts';
import { HELPERS } from './helpers.ts';
import { describeParam, indexAst, type AstIndex } from './template-ast.ts';

export interface TemplateWhere {
  /** template file path, or a description ("variable 'etcd_url' (group_vars/all.yml)") */
  name: string;
  /** where the YAML value holding the template starts, so lines map into that file */
  pos?: SourcePos;
}

type Loc = { start: { line: number; column: number } };
type Options = Handlebars.HelperOptions & { loc?: Loc; name?: string; data?: { root?: unknown } };

/** A helper argument that is undefined (a missing variable); template.ts names it. */
class MissingArg extends Error {
  constructor(
    readonly loc: Loc | undefined,
    readonly helper: string,
    readonly index: number,
  ) {
    super('missing argument');
  }
}

/** A helper that failed; carries where it was called. */
class HelperFailure extends Error {
  constructor(
    message: string,
    readonly loc: Loc | undefined,
  ) {
    super(message);
  }
}

const OUTPUT = '__hap_output';
const hb = Handlebars.create();

// A missing step inside a path (`a` in `a.b.c`) reads as undefined instead of a TypeError, so
// `default a.b.c 1` works and a strict `{{a.b.c}}` reports the whole path with its line.
interface JsCompiler {
  nameLookup(parent: unknown, name: string, type: string): unknown;
  appendToBuffer(source: unknown, location: unknown, explicit?: boolean): unknown;
}
const env = hb as unknown as { JavaScriptCompiler: new () => JsCompiler };
const BaseCompiler = env.JavaScriptCompiler;
class SafePathCompiler extends BaseCompiler {
  override nameLookup(parent: unknown, name: string, type: string): unknown {
    const inner = BaseCompiler.prototype.nameLookup.call(this, 'p', name, type);
    if (type !== 'context') return BaseCompiler.prototype.nameLookup.call(this, parent, name, type);
    return ['((p) => p == null ? undefined : ', inner, ')(', parent, ')'];
  }

  // Output goes through one function: with noEscape handlebars joins outputs with `+` (so
  // `{{port}}{{port}}` would add numbers), and a list or mapping must not print as "a,b" or
  // "[object Object]".
  override appendToBuffer(source: unknown, location: unknown, explicit?: boolean): unknown {
    const at = (this as unknown as { source: { currentLocation?: Loc } }).source.currentLocation;
    const loc = JSON.stringify(at ? { start: at.start } : null);
    return BaseCompiler.prototype.appendToBuffer.call(this, [`helpers.${OUTPUT}(`, source, `, ${loc})`], location, explicit);
  }
}
(SafePathCompiler.prototype as unknown as { compiler: unknown }).compiler = SafePathCompiler;
env.JavaScriptCompiler = SafePathCompiler;

/**
 * Adapts a helper: checks its arguments and, for helpers of ours (`own`), adds the template
 * line to their errors. Built-in block helpers run template content, whose errors pass as-is.
 */
function adapt(name: string, helper: (args: unknown[], options: Options, self: unknown) => unknown, lenient: boolean, own = true) {
  return function (this: unknown, ...all: unknown[]): unknown {
    const options = all.pop() as Options;
    if (all.length === 0 && !(options as { fn?: unknown }).fn) {
      // a variable wins over a helper of the same name: `{{version}}` reads the variable
      for (const scope of [this, options.data?.root]) {
        if (scope && typeof scope === 'object' && Object.prototype.hasOwnProperty.call(scope, name)) return (scope as Record<string, unknown>)[name];
      }
    }
    if (!lenient) {
      const i = all.indexOf(undefined);
      if (i >= 0) throw new MissingArg(options.loc, name, i);
    }
    if (!own) return helper(all, options, this);
    try {
      return helper(all, options, this);
    } catch (e) {
      if (e instanceof MissingArg || e instanceof HelperFailure || e instanceof HapError) throw e;
      const msg = e instanceof UndefinedVar || e instanceof ExprError ? e.message : String((e as Error).message ?? e);
      throw new HelperFailure(`helper '${name}': ${msg}`, options.loc);
    }
  };
}

hb.registerHelper(OUTPUT, (value: unknown, loc: Loc | null) => {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && !(value instanceof Handlebars.SafeString)) {
    const kind = Array.isArray(value) ? 'a list' : 'a mapping';
    throw new HelperFailure(`this prints ${kind}; use join, to_json or to_yaml`, loc ?? undefined);
  }
  return String(value);
});
for (const [name, helper] of Object.entries(HELPERS)) {
  hb.registerHelper(name, adapt(name, (args, o) => helper.fn(args, { hash: o.hash ?? {}, root: o.data?.root }), helper.lenient ?? false));
}
for (const name of ['if', 'unless']) {
  const builtin = hb.helpers[name] as Handlebars.HelperDelegate;
  hb.registerHelper(name, adapt(name, (args, o, self) => builtin.call(self, truthy(args[0]), o), true, false));
}
for (const name of ['each', 'with', 'lookup']) {
  const builtin = hb.helpers[name] as Handlebars.HelperDelegate;
  hb.registerHelper(name, adapt(name, (args, o, self) => builtin.call(self, ...args, o), false, false));
}

interface Compiled {
  run: (vars: object, helpers?: Record<string, Handlebars.HelperDelegate>) => string;
  index: AstIndex;
  lines: number;
}

const CACHE_MAX = 500;
const cache = new Map<string, Compiled>();

/** Least-recently-used cache of compiled templates, keyed by text. */
function cached(key: string, build: () => Compiled): Compiled {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const made = build();
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(key, made);
  return made;
}

/** The file position of template line/column (column 0-based as handlebars reports it). */
function fileAt(where: TemplateWhere, line: number, column: number): SourcePos {
  const p = where.pos;
  if (!p) return { file: where.name, line, col: column + 1 };
  return { file: p.file, line: p.line + line - 1, col: line === 1 ? p.col + column : column + 1 };
}

function located(msg: string, where: TemplateWhere, lines: number, line?: number, column = 0): HapError {
  if (line === undefined) return new HapError(`${msg} in ${where.name}`, where.pos);
  const suffix = where.pos && lines === 1 ? '' : ` line ${line}`;
  return new HapError(`${msg} in ${where.name}${suffix}`, fileAt(where, line, column));
}

function parse(text: string, where: TemplateWhere): hbs.AST.Program {
  try {
    return hb.parse(text);
  } catch (e) {
    const err = e as Error & { lineNumber?: number; column?: number };
    const msg = err.message.split('\n');
    const line = err.lineNumber ?? Number(/on line (\d+)/.exec(msg[0] ?? '')?.[1] ?? 1);
    const caret = msg.find((l) => /^-*\^$/.test(l));
    const got = /got '([^']+)'/.exec(err.message)?.[1];
    const col = err.column ?? (caret ? caret.length - 1 : 0);
    const ch = text.split('\n')[line - 1]?.charAt(col);
    const what = got ? (ch ? `unexpected '${ch}'` : 'unexpected end of template') : (msg[0] ?? '').replace(/ - \d+:\d+$/, '');
    throw located(`template syntax error: ${what}`, where, text.split('\n').length, line, col);
  }
}

function compile(ast: hbs.AST.Program, text: string): Compiled {
  const tpl = hb.compile(ast, { strict: true, noEscape: true });
  return {
    run: (vars, helpers) => tpl(vars, helpers ? { helpers } : {}),
    index: indexAst(ast),
    lines: text.split('\n').length,
  };
}

/** Maps whatever a render threw to a HapError naming the variable, template and line. */
function explain(e: unknown, c: Compiled, where: TemplateWhere): HapError {
  if (e instanceof HapError) return e;
  if (e instanceof MissingArg) {
    const at = e.loc?.start;
    const param = at ? c.index.calls.get(`${at.line}:${at.column}:${e.helper}`)?.[e.index] : undefined;
    const what = param ? describeParam(param) : `argument ${e.index + 1} of '${e.helper}' is undefined`;
    const loc = param?.loc?.start ?? at;
    return located(what, where, c.lines, loc?.line, loc?.column);
  }
  if (e instanceof HelperFailure) return located(e.message, where, c.lines, e.loc?.start.line, e.loc?.start.column);
  const err = e as Error & { lineNumber?: number; column?: number };
  const strict = /^"(.*)" not defined in /.exec(err.message ?? '');
  if (strict && err.lineNumber !== undefined) {
    const path = c.index.paths.get(`${err.lineNumber}:${err.column ?? 0}`);
    const msg = path?.helper ? `unknown helper '${path.original}'` : `undefined variable '${path?.original ?? strict[1]}'`;
    return located(msg, where, c.lines, err.lineNumber, err.column);
  }
  // strict lookup of `{{name}}` on a string or number (`{{#each names}}{{nme}}{{/each}}`)
  const inOp = /^Cannot use 'in' operator to search for '(.*)' in /.exec(err.message ?? '');
  if (inOp) {
    const hit = [...c.index.paths].find(([, p]) => !p.helper && p.original.split('.').pop() === inOp[1]);
    const [line, column] = hit ? hit[0].split(':').map(Number) : [];
    return located(`undefined variable '${hit?.[1].original ?? inOp[1]}' (not a mapping)`, where, c.lines, line, column);
  }
  const missing = /^Missing helper: "(.*)"/.exec(err.message ?? '');
  if (missing) return located(`unknown helper '${missing[1]}'`, where, c.lines, err.lineNumber, err.column);
  return located(`template error: ${err.message ?? String(e)}`, where, c.lines, err.lineNumber, err.column);
}

/** Parses a template without rendering it (load-time validation); throws on syntax errors. */
export function checkTemplate(text: string, where: TemplateWhere): void {
  if (cache.has(text)) return;
  const ast = parse(text, where);
  for (const [name, loc] of indexAst(ast).helpers) {
    if (!Object.hasOwn(hb.helpers, name)) throw located(`unknown helper '${name}'`, where, text.split('\n').length, loc.line, loc.column);
  }
}

/** Renders handlebars text against `vars`. */
export function renderString(text: string, vars: object, where: TemplateWhere): string {
  const c = cached(text, () => compile(parse(text, where), text));
  try {
    return c.run(vars);
  } catch (e) {
    throw explain(e, c, where);
  }
}
