import { sh } from '../transport/quote.ts';
import type { ModuleContext, Plan } from './types.ts';

/** Arguments command and shell share. */
export const commandArgSchemas = {
  cmd: { type: 'string', minLength: 1 },
  chdir: { type: 'string', minLength: 1 },
  creates: { type: 'string', minLength: 1 },
  removes: { type: 'string', minLength: 1 },
  stdin: { type: 'string' },
  stdin_add_newline: { type: 'boolean' },
  strip_empty_ends: { type: 'boolean' },
};

export interface CommandCommon {
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline?: boolean;
  strip_empty_ends?: boolean;
}

/** Splits a command line into words as a POSIX shell would, without expanding anything. */
export function splitArgs(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const add = (s: string): void => {
    word = (word ?? '') + s;
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unterminated ' quote in: ${line}`);
      add(line.slice(i + 1, end));
      i = end + 1;
    } else if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`\n'.includes(line[j + 1] as string)) j++;
        s += line[j];
        j++;
      }
      if (j >= line.length) throw new Error(`unterminated " quote in: ${line}`);
      add(s);
      i = j + 1;
    } else if (c === '\\' && i + 1 < line.length) {
      add(line[i + 1] as string);
      i += 2;
    } else {
      add(c);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function trimEnds(s: string, strip: boolean): string {
  return strip ? s.replace(/\n+$/, '') : s;
}

function linesOf(s: string): string[] {
  return s === '' ? [] : s.split('\n');
}

/**
 * Plans running `command` (already a shell string): ok when creates/removes say it is not
 * needed, otherwise one opaque change whose outcome is the command's result.
 */
export async function planCommand(
  ctx: ModuleContext,
  command: string,
  cmd: string | string[],
  a: CommandCommon,
): Promise<Plan> {
  const cd = a.chdir !== undefined ? sh`cd -- ${a.chdir} && ` : '';
  if (a.creates !== undefined || a.removes !== undefined) {
    const tests = [
      a.creates !== undefined ? sh`if [ -e ${a.creates} ]; then echo creates; fi` : '',
      a.removes !== undefined ? sh`if [ ! -e ${a.removes} ]; then echo removes; fi` : '',
    ].filter(Boolean);
    const r = await ctx.transport.exec(`${cd}${tests.join('; ')}`, { become: ctx.become });
    if (r.rc !== 0) return { status: 'failed', msg: `checking creates/removes failed: ${r.stderr.trim()}` };
    const why = r.stdout.includes('creates')
      ? `since '${a.creates}' exists`
      : r.stdout.includes('removes')
        ? `since '${a.removes}' does not exist`
        : undefined;
    if (why) {
      const stdout = `skipped, ${why}`;
      return { status: 'ok', msg: `Did not run command ${why}`, result: { cmd, rc: 0, stdout, stdout_lines: [stdout], stderr: '', stderr_lines: [] } };
    }
  }
  const shown = Array.isArray(cmd) ? cmd.join(' ') : cmd;
  return {
    status: 'change',
    changes: [
      {
        summary: `run ${shown.length > 120 ? `${shown.slice(0, 117)}...` : shown}`,
        opaque: true,
        async apply() {
          const start = new Date();
          const stdin = a.stdin !== undefined ? a.stdin + (a.stdin_add_newline === false ? '' : '\n') : undefined;
          const r = await ctx.transport.exec(cd + command, { become: ctx.become, stdin });
          const end = new Date();
          const strip = a.strip_empty_ends !== false;
          const stdout = trimEnds(r.stdout, strip);
          const stderr = trimEnds(r.stderr, strip);
          const result = {
            cmd,
            rc: r.rc,
            stdout,
            stderr,
            stdout_lines: linesOf(stdout),
            stderr_lines: linesOf(stderr),
            start: start.toISOString(),
            end: end.toISOString(),
            delta: `${((end.getTime() - start.getTime()) / 1000).toFixed(3)}s`,
          };
          return r.rc === 0 ? { result } : { failed: 'non-zero return code', result };
        },
      },
    ],
  };
}
