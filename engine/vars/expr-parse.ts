// Parses Ansible/Jinja-style bare expressions with jsep, then converts jsep's tree into a small
// typed tree the evaluator walks. jsep's operator tables are process-wide: they are set once
// here, at import, and never changed afterwards (hap is jsep's only user).
import jsep from 'jsep';

export type Node =
  | { k: 'lit'; v: unknown }
  | { k: 'var'; name: string }
  | { k: 'get'; obj: Node; key: Node; text: string }
  | { k: 'slice'; obj: Node; start?: Node; stop?: Node; step?: Node }
  | { k: 'list'; items: Node[] }
  | { k: 'dict'; entries: Array<[Node, Node]> }
  | { k: 'not'; arg: Node }
  | { k: 'neg'; op: '-' | '+'; arg: Node }
  | { k: 'logic'; op: 'and' | 'or'; left: Node; right: Node }
  | { k: 'math'; op: string; left: Node; right: Node }
  | { k: 'cmp'; ops: string[]; operands: Node[] }
  | { k: 'filter'; name: string; arg: Node; args: Node[]; kwargs: Record<string, Node> }
  | { k: 'test'; name: string; negate: boolean; arg: Node; args: Node[]; kwargs: Record<string, Node> }
  | { k: 'method'; obj: Node; name: string; args: Node[]; kwargs: Record<string, Node>; text: string }
  | { k: 'call'; name: string; args: Node[]; kwargs: Record<string, Node> }
  | { k: 'if'; test: Node; then: Node; else?: Node };

type J = jsep.Expression;

/** What the parser's instance exposes (jsep's typings omit the class). */
interface Parser {
  index: number;
  readonly expr: string;
  readonly code: number;
  gobbleExpression(): J | false;
  gobbleSpaces(): void;
  gobbleArguments(close: number): J[];
  gobbleIdentifier(): J;
  throwError(msg: string): never;
}
interface JsepClass {
  new (src: string): Parser;
  this_str: string;
  prototype: Parser & { gobbleTokenProperty(node: J): J };
}

/** A parse failure: message and 0-based offset inside the expression. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

const Jsep = (jsep as unknown as { Jsep: JsepClass }).Jsep;
/** Jinja's global functions hap has: `dict(pairs)`, `dict(a=1)`, `range(n)`. */
export const GLOBALS = ['dict', 'range'];
const COMPARE = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'];
const MATH = ['+', '-', '~', '*', '/', '//', '%', '**'];

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };

function configure(): void {
  for (const op of ['||', '??', '&&', '^', '&', '===', '!==', '<<', '>>', '>>>']) jsep.removeBinaryOp(op);
  for (const op of ['!', '~']) jsep.removeUnaryOp(op);
  jsep.addUnaryOp('not');
  // Jinja's precedence: or < and < not < comparisons < + - < ~ < * / // % < ** < | and is
  jsep.addBinaryOp('=', 0.5); // keyword arguments only: map(attribute='name')
  jsep.addBinaryOp('or', 1);
  jsep.addBinaryOp('and', 2);
  for (const op of COMPARE) jsep.addBinaryOp(op, 6);
  jsep.addBinaryOp('~', 9.5);
  jsep.addBinaryOp('//', 10);
  for (const op of ['|', 'is', 'is not']) jsep.addBinaryOp(op, 13);
  for (const [name, v] of [['True', true], ['False', false], ['None', null], ['none', null]] as const) jsep.addLiteral(name, v);
  jsep.removeIdentifierChar('$');
  Jsep.this_str = '\0'; // `this` is an ordinary name
  const isWord = (p: Parser, word: string): boolean =>
    p.expr.startsWith(word, p.index) && !/[\w$]/.test(p.expr.charAt(p.index + word.length));
  // Python string literals: unknown escapes keep their backslash, so '\d+' is a regex digit
  jsep.hooks.add('gobble-token', function pyString(env) {
    const quote = this.char;
    if (quote !== "'" && quote !== '"') return;
    const src = this.expr;
    let out = '';
    let i = this.index + 1;
    for (; i < src.length && src.charAt(i) !== quote; i++) {
      if (src.charAt(i) !== '\\' || i + 1 >= src.length) {
        out += src.charAt(i);
        continue;
      }
      const e = src.charAt(++i);
      const hex = e === 'x' ? 2 : e === 'u' ? 4 : 0;
      const digits = src.slice(i + 1, i + 1 + hex);
      if (hex && digits.length === hex && /^[0-9a-f]+$/i.test(digits)) {
        out += String.fromCharCode(parseInt(digits, 16));
        i += hex;
      } else out += ESCAPES[e] ?? `\\${e}`;
    }
    if (i >= src.length) this.throwError(`Unclosed quote after "${out}"`);
    const raw = src.slice(this.index, i + 1);
    this.index = i + 1;
    env.node = this.gobbleTokenProperty({ type: 'Literal', value: out, raw });
  });
  jsep.hooks.add('gobble-token', function dict(env) {
    if (this.code !== 123) return; // {
    const code = () => this.code; // re-read: the parser moves on
    this.index++;
    const entries: Array<[J, J]> = [];
    for (;;) {
      this.gobbleSpaces();
      if (code() === 125) break; // }
      const key = this.gobbleExpression();
      this.gobbleSpaces();
      if (!key || code() !== 58) this.throwError('Expected key: value in {…}');
      this.index++;
      const value = this.gobbleExpression();
      if (!value) this.throwError('Expected a value after :');
      entries.push([key, value]);
      this.gobbleSpaces();
      if (code() === 44) this.index++;
      else if (code() !== 125) this.throwError('Expected , or } in {…}');
    }
    this.index++;
    env.node = this.gobbleTokenProperty({ type: 'DictExpression', entries });
  });
  // `a if test else b` (Jinja's conditional expression)
  jsep.hooks.add('after-expression', function ifElse(env) {
    const p = this as unknown as Parser;
    if (!env.node || !isWord(p, 'if')) return;
    this.index += 2;
    const test = this.gobbleBinaryExpression();
    if (!test) this.throwError('Expected a condition after if');
    this.gobbleSpaces();
    let otherwise: J | undefined;
    if (isWord(p, 'else')) {
      this.index += 4;
      otherwise = this.gobbleExpression();
      if (!otherwise) this.throwError('Expected an expression after else');
    }
    env.node = { type: 'IfExpression', test, then: env.node, otherwise };
  });
  slices();
}

/**
 * jsep's reader of what follows a token (`.name`, `[index]`, `(args)`), with Python's slices
 * (`a[1:]`, `a[:-1]`, `a[::2]`) added: jsep reads `[` as an index and fails on the colon.
 */
function slices(): void {
  Jsep.prototype.gobbleTokenProperty = function (this: Parser, node: J): J {
    for (;;) {
      this.gobbleSpaces();
      const c = this.code;
      const optional = c === 63 && this.expr.charCodeAt(this.index + 1) === 46; // ?.
      if (c === 91) node = subscript(this, node); // [
      else if (c === 40) { // (
        this.index++;
        node = { type: 'CallExpression', arguments: this.gobbleArguments(41), callee: node };
      } else if (c === 46 || optional) { // .
        this.index += optional ? 2 : 1;
        this.gobbleSpaces();
        node = { type: 'MemberExpression', computed: false, object: node, property: this.gobbleIdentifier(), ...(optional ? { optional } : {}) };
      } else return node;
    }
  };
}

/** `[index]` or `[start:stop:step]` after `node`, the parser at the `[`. */
function subscript(p: Parser, node: J): J {
  p.index++;
  const part = (): J | undefined => {
    p.gobbleSpaces();
    if (p.code === 58 || p.code === 93 || p.index >= p.expr.length) return undefined; // : ] or the end
    const e = p.gobbleExpression() || p.throwError(`Unexpected "${p.expr.charAt(p.index)}"`);
    p.gobbleSpaces();
    return e;
  };
  const bounds: Array<J | undefined> = [part()];
  while (p.code === 58 && bounds.length < 3) {
    p.index++;
    bounds.push(part());
  }
  if (p.code !== 93) p.throwError('Unclosed [');
  p.index++;
  if (bounds.length === 1) {
    if (!bounds[0]) p.throwError('Unexpected "]"');
    return { type: 'MemberExpression', computed: true, object: node, property: bounds[0] };
  }
  const [start, stop, step] = bounds;
  return { type: 'SliceExpression', object: node, start, stop, step };
}
configure();

/** `not   in` and `is\n not` as jsep's one-space operators (outside string literals). */
function normalize(src: string): string {
  return src
    .split(/('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\bnot\s+in\b/g, 'not in').replace(/\bis\s+not\b/g, 'is not')))
    .join('');
}

/** Parses one expression; throws ExprSyntaxError with the offset of the problem. */
export function parseNode(text: string): Node {
  let tree: J | false;
  const src = normalize(text);
  const p = new Jsep(src);
  try {
    tree = p.gobbleExpression();
    if (p.index < src.length) p.throwError(`Unexpected "${src.charAt(p.index)}"`);
  } catch (e) {
    if (e instanceof ExprSyntaxError) throw e;
    const err = e as Error & { index?: number; description?: string };
    throw new ExprSyntaxError(err.description ?? err.message, err.index ?? p.index);
  }
  if (!tree) throw new ExprSyntaxError('empty expression', 0);
  return new Converter(src).node(tree);
}

/** Turns jsep's tree into Node, refusing what the language does not have. */
class Converter {
  constructor(private readonly src: string) {}

  fail(msg: string, near?: string): never {
    const at = near ? this.src.indexOf(near) : -1;
    throw new ExprSyntaxError(msg, Math.max(at, 0));
  }

  node(n: J): Node {
    switch (n.type) {
      case 'Literal':
        if (n.value instanceof RegExp) this.fail('regular expression literals are not supported');
        return { k: 'lit', v: n.value };
      case 'Identifier':
        return { k: 'var', name: String(n.name) };
      case 'MemberExpression':
        return this.member(n as jsep.MemberExpression);
      case 'SliceExpression': {
        const bound = (name: 'start' | 'stop' | 'step') => (n[name] ? { [name]: this.node(n[name] as J) } : {});
        return { k: 'slice', obj: this.node(n.object as J), ...bound('start'), ...bound('stop'), ...bound('step') };
      }
      case 'ArrayExpression':
        return { k: 'list', items: (n as jsep.ArrayExpression).elements.map((e) => (e ? this.node(e) : this.fail('empty list item'))) };
      case 'SequenceExpression': // a Python tuple: ('a', 'b')
        return { k: 'list', items: (n as jsep.SequenceExpression).expressions.map((e) => this.node(e)) };
      case 'DictExpression':
        return { k: 'dict', entries: (n.entries as Array<[J, J]>).map(([a, b]) => [this.node(a), this.node(b)]) };
      case 'UnaryExpression': {
        const u = n as jsep.UnaryExpression;
        const arg = this.node(u.argument);
        return u.operator === 'not' ? { k: 'not', arg } : { k: 'neg', op: u.operator === '+' ? '+' : '-', arg };
      }
      case 'BinaryExpression':
        return this.binary(n as jsep.BinaryExpression);
      case 'IfExpression':
        return {
          k: 'if',
          test: this.node(n.test as J),
          then: this.node(n.then as J),
          ...(n.otherwise ? { else: this.node(n.otherwise as J) } : {}),
        };
      case 'CallExpression':
        return this.call(n as jsep.CallExpression);
      case 'ConditionalExpression':
        return this.fail("'a ? b : c' is not supported; write 'b if a else c'", '?');
      case 'Compound':
        return this.fail('expected one expression');
      default:
        return this.fail(`unsupported syntax (${n.type})`);
    }
  }

  member(m: jsep.MemberExpression): Node {
    if (m.optional) this.fail("'?.' is not supported; use 'is defined' or '| default(…)'", '?.');
    const obj = this.node(m.object);
    const key: Node = m.computed ? this.node(m.property) : { k: 'lit', v: String((m.property as jsep.Identifier).name) };
    const keyText = key.k === 'lit' ? (m.computed ? `[${JSON.stringify(key.v)}]` : `.${String(key.v)}`) : '[…]';
    return { k: 'get', obj, key, text: `${textOf(obj)}${keyText}` };
  }

  binary(b: jsep.BinaryExpression): Node {
    const op = b.operator;
    if (op === '=') this.fail("'=' only names a keyword argument (did you mean '=='?)", '=');
    if (op === 'and' || op === 'or') return { k: 'logic', op, left: this.node(b.left), right: this.node(b.right) };
    const left = this.node(b.left);
    // `not` binds looser than everything but and/or: `not a == b` is `not (a == b)`
    if (left.k === 'not') return { k: 'not', arg: this.build(op, left.arg, b.right) };
    return this.build(op, left, b.right);
  }

  build(op: string, left: Node, rightJ: J): Node {
    if (op === '|') {
      const { name, args, kwargs } = this.callParts(rightJ, 'filter');
      return { k: 'filter', name, arg: left, args, kwargs };
    }
    if (op === 'is' || op === 'is not') {
      const { name, args, kwargs } = this.callParts(rightJ, 'test');
      return { k: 'test', name, negate: op === 'is not', arg: left, args, kwargs };
    }
    const right = this.node(rightJ);
    if (COMPARE.includes(op)) {
      // chained comparisons as in Python (1 < x < 5), for ordering operators only: jsep drops
      // parentheses, and `(a != b) == (c == d)` is common where `a != b == c` is not
      const ordering = (o: string) => ['<', '<=', '>', '>='].includes(o);
      if (left.k === 'cmp' && ordering(op) && left.ops.every(ordering)) return { k: 'cmp', ops: [...left.ops, op], operands: [...left.operands, right] };
      return { k: 'cmp', ops: [op], operands: [left, right] };
    }
    if (MATH.includes(op)) return { k: 'math', op, left, right };
    return this.fail(`unsupported operator '${op}'`, op);
  }

  /** `name` or `name(args, key=value)` after `|` or `is`. */
  callParts(n: J, what: string): { name: string; args: Node[]; kwargs: Record<string, Node> } {
    if (n.type === 'Identifier') return { name: String(n.name), args: [], kwargs: {} };
    if (n.type === 'Literal' && ['none', 'None', 'true', 'True', 'false', 'False'].includes(String(n.raw))) {
      return { name: String(n.raw).toLowerCase(), args: [], kwargs: {} };
    }
    if (n.type === 'CallExpression' && (n as jsep.CallExpression).callee.type === 'Identifier') {
      const c = n as jsep.CallExpression;
      return { name: String(c.callee.name), ...this.args(c.arguments) };
    }
    return this.fail(`expected a ${what} name`);
  }

  args(list: J[]): { args: Node[]; kwargs: Record<string, Node> } {
    const args: Node[] = [];
    const kwargs: Record<string, Node> = {};
    for (const a of list) {
      if (a.type === 'BinaryExpression' && a.operator === '=') {
        const kw = a as jsep.BinaryExpression;
        if (kw.left.type !== 'Identifier') this.fail('a keyword argument needs a name before =', '=');
        kwargs[String(kw.left.name)] = this.node(kw.right);
      } else {
        if (Object.keys(kwargs).length > 0) this.fail('positional argument after a keyword argument');
        args.push(this.node(a));
      }
    }
    return { args, kwargs };
  }

  call(c: jsep.CallExpression): Node {
    if (c.callee.type === 'Identifier' && GLOBALS.includes(String(c.callee.name))) {
      return { k: 'call', name: String(c.callee.name), ...this.args(c.arguments) };
    }
    if (c.callee.type !== 'MemberExpression' || (c.callee as jsep.MemberExpression).computed) {
      const name = c.callee.type === 'Identifier' ? String(c.callee.name) : 'this';
      return this.fail(`function calls are not supported ('${name}(…)'); use a filter: x | ${name}(…)`, name);
    }
    const m = c.callee as jsep.MemberExpression;
    const obj = this.node(m.object);
    const name = String((m.property as jsep.Identifier).name);
    return { k: 'method', obj, name, ...this.args(c.arguments), text: `${textOf(obj)}.${name}()` };
  }
}

/** How a node reads in an error message ("undefined variable 'a.b'"). */
export function textOf(n: Node): string {
  if (n.k === 'var') return n.name;
  if (n.k === 'get' || n.k === 'method') return n.text;
  if (n.k === 'lit') return JSON.stringify(n.v);
  return '(…)';
}

