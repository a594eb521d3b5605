import { editArgSchemas, planEdit, regexpOf, splitLines, stripEol, type Edit, type EditArgs } from './edit-file.ts';
import { pathRequired } from './file.ts';
import type { ModuleDef } from './types.ts';

export interface LineinfileArgs extends EditArgs {
  line?: string;
  regexp?: string;
  search_string?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

/** Python-style backreferences (\1, \g<1>, \g<name>) in `line`, expanded from a match. */
function expand(line: string, m: RegExpExecArray): string {
  return line.replace(/\\(\d+)|\\g<(\w+)>/g, (_, num: string | undefined, g: string | undefined) => {
    const key = num ?? g ?? '';
    return (/^\d+$/.test(key) ? m[Number(key)] : m.groups?.[key]) ?? '';
  });
}

/** Ansible's lineinfile, on text. */
export function editLine(text: string, a: LineinfileArgs): Edit {
  const lines = splitLines(text);
  const re = a.regexp !== undefined ? regexpOf('regexp', a.regexp) : undefined;
  const matches = (l: string): boolean =>
    re ? re.test(stripEol(l)) : a.search_string !== undefined ? l.includes(a.search_string) : stripEol(l) === a.line;

  if (a.state === 'absent') {
    const kept = lines.filter((l) => !matches(l));
    const removed = lines.length - kept.length;
    return { text: kept.join(''), msg: removed ? `${removed} line(s) removed` : '' };
  }

  const line = a.line ?? '';
  // index of the (last, or first with firstmatch) line matching regexp/search_string
  let found = -1;
  let match: RegExpExecArray | null = null;
  if (re || a.search_string !== undefined) {
    for (const [i, l] of lines.entries()) {
      const m = re ? re.exec(stripEol(l)) : l.includes(a.search_string ?? '') ? ([l] as unknown as RegExpExecArray) : null;
      if (m) {
        found = i;
        match = m;
        if (a.firstmatch) break;
      }
    }
  }
  const insRe =
    a.insertafter && a.insertafter !== 'EOF' && a.insertafter !== 'BOF'
      ? regexpOf('insertafter', a.insertafter)
      : a.insertbefore && a.insertbefore !== 'BOF'
        ? regexpOf('insertbefore', a.insertbefore)
        : undefined;
  let insertAt = -1;
  if (!match) {
    for (const [i, l] of lines.entries()) {
      if (stripEol(l) === line) found = i;
      else if (insRe?.test(stripEol(l))) {
        insertAt = a.insertafter ? i + 1 : i;
        if (a.firstmatch) break;
      }
    }
  }

  const out = [...lines];
  const eol = '\n';
  if (found !== -1) {
    const newLine = (a.backrefs && match && re ? expand(line, match) : line) + eol;
    if (out[found] === newLine) return { text, msg: '' };
    out[found] = newLine;
    return { text: out.join(''), msg: 'line replaced' };
  }
  if (a.backrefs) return { text, msg: '' };
  if (a.insertbefore === 'BOF' || a.insertafter === 'BOF') {
    out.unshift(line + eol);
  } else if (a.insertafter === 'EOF' || insertAt === -1 || (a.insertafter === undefined && a.insertbefore === undefined)) {
    const last = out[out.length - 1];
    if (last !== undefined && !last.endsWith('\n')) out[out.length - 1] = last + eol;
    out.push(line + eol);
  } else if (a.insertafter) {
    if (insertAt === out.length) {
      if (stripEol(out[insertAt - 1] ?? '') === line) return { text, msg: '' };
      const last = out[out.length - 1];
      if (last !== undefined && !last.endsWith('\n')) out[out.length - 1] = last + eol;
      out.push(line + eol);
    } else {
      if (stripEol(out[insertAt] ?? '') === line) return { text, msg: '' };
      out.splice(insertAt, 0, line + eol);
    }
  } else {
    if (insertAt > 0 && stripEol(out[insertAt - 1] ?? '') === line) return { text, msg: '' };
    out.splice(insertAt, 0, line + eol);
  }
  return { text: out.join(''), msg: 'line added' };
}

export const lineinfile: ModuleDef<LineinfileArgs> = {
  name: 'lineinfile',
  schema: {
    type: 'object',
    additionalProperties: false,
    ...pathRequired,
    properties: {
      ...editArgSchemas,
      line: { type: 'string' },
      regexp: { type: 'string', minLength: 1 },
      search_string: { type: 'string', minLength: 1 },
      backrefs: { type: 'boolean' },
      firstmatch: { type: 'boolean' },
    },
  },
  async plan(args, ctx) {
    const present = args.state !== 'absent';
    if (present && args.line === undefined) return { status: 'failed', msg: 'state: present needs line' };
    if (!present && args.line === undefined && args.regexp === undefined && args.search_string === undefined) {
      return { status: 'failed', msg: 'state: absent needs line, regexp or search_string' };
    }
    if (args.regexp !== undefined && args.search_string !== undefined) {
      return { status: 'failed', msg: 'regexp and search_string are mutually exclusive' };
    }
    if (args.backrefs && args.regexp === undefined) return { status: 'failed', msg: 'backrefs needs regexp' };
    return planEdit(ctx, args, (text) => editLine(text, args));
  },
};
