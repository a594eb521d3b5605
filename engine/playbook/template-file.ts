import { readFile } from 'node:fs/promises';
import hb from 'handlebars';
import { HapError } from '../source/errors.ts';

/**
 * Load-time check of a `.hbs` template file named literally: its Handlebars syntax, and no
 * partials. hap registers no partials, so `{{> x}}` (a template including another, or itself)
 * could only fail on the host halfway through a run; here it fails before anything runs.
 */
export async function templateFileErrors(path: string): Promise<HapError[]> {
  const text = await readFile(path, 'utf8');
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const { lineNumber, column } = e as { lineNumber?: number; column?: number };
    const line = lineNumber ?? Number(/line (\d+)/.exec(msg)?.[1] ?? 1);
    const detail = msg.split('\n').filter((l) => l && !/^Parse error on line/.test(l) && !/^[-.]*\^$/.test(l.trim())).pop() ?? msg;
    return [new HapError(`template syntax error: ${detail.trim()}`, { file: path, line, col: (column ?? 0) + 1 })];
  }
  const errors: HapError[] = [];
  const visitor = new hb.Visitor();
  const partial = (node: hbs.AST.PartialStatement | hbs.AST.PartialBlockStatement) => {
    const name = (node.name as hbs.AST.PathExpression).original ?? 'partial';
    const self = path.endsWith(`/${name}`) || path === name ? ' (this template includes itself)' : '';
    errors.push(
      new HapError(`{{> ${name}}}: template partials are not supported${self}; a template cannot include another`, {
        file: path,
        line: node.loc.start.line,
        col: node.loc.start.column + 1,
      }),
    );
  };
  visitor.PartialStatement = partial;
  visitor.PartialBlockStatement = partial;
  visitor.accept(ast);
  return errors;
}
