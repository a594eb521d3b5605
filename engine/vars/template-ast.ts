// An index of a handlebars AST by source location, so runtime failures (which carry only a
// line and column) can name the variable or helper the user wrote.
type AnyNode = { type?: string; loc?: { start: { line: number; column: number } }; [k: string]: unknown };
type Call = { path: AnyNode & { original?: unknown }; params: AnyNode[]; hash?: { pairs: AnyNode[] } };

export interface AstIndex {
  /** every path by `line:column`: what was written, and whether it names a helper */
  paths: Map<string, { original: string; helper: boolean }>;
  /** the arguments of each helper call by `line:column:helper` */
  calls: Map<string, AnyNode[]>;
  /** names that can only be helpers (called with arguments), with the first place used */
  helpers: Map<string, { line: number; column: number }>;
}

const CALLS = new Set(['MustacheStatement', 'BlockStatement', 'SubExpression']);
const key = (n: AnyNode) => `${n.loc?.start.line}:${n.loc?.start.column}`;

export function indexAst(ast: unknown): AstIndex {
  const index: AstIndex = { paths: new Map(), calls: new Map(), helpers: new Map() };
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (n === null || typeof n !== 'object') return;
    const node = n as AnyNode;
    if (node.type === 'PathExpression' && node.loc && !index.paths.has(key(node))) {
      index.paths.set(key(node), { original: String(node.original), helper: false });
    }
    if (node.type && CALLS.has(node.type) && node.loc) {
      const call = node as unknown as Call;
      const name = String(call.path.original);
      index.calls.set(`${key(node)}:${name}`, call.params);
      const hasArgs = call.params.length > 0 || (call.hash?.pairs.length ?? 0) > 0;
      if (call.path.type === 'PathExpression' && (hasArgs || node.type === 'SubExpression')) {
        index.paths.set(key(call.path), { original: name, helper: true });
        const at = call.path.loc?.start;
        if (at && !index.helpers.has(name)) index.helpers.set(name, at);
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'loc' && k !== 'strip') visit(v);
  };
  visit(ast);
  return index;
}

/** Why an argument was undefined, in the user's words. */
export function describeParam(p: AnyNode): string {
  if (p.type === 'PathExpression') return `undefined variable '${String(p.original)}'`;
  if (p.type === 'SubExpression') {
    const call = p as unknown as Call;
    const args = call.params.map((a) => String(a.original ?? a.value ?? '…')).join(' ');
    return `(${String(call.path.original)}${args ? ` ${args}` : ''}) gave an undefined value`;
  }
  return 'undefined value';
}
