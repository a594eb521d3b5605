import chalk, { type ChalkInstance } from 'chalk';
import { formatPos } from '../source/errors.ts';
import { unifiedDiff } from './diff.ts';
import type { HapEvent, HostStatus, Reporter } from './events.ts';

const colour: Record<HostStatus, ChalkInstance> = {
  ok: chalk.green,
  changed: chalk.yellow,
  skipped: chalk.cyan,
  failed: chalk.red,
  unreachable: chalk.red,
  rescued: chalk.magenta,
  ignored: chalk.blue,
};

function banner(text: string): string {
  return `\n${text} ${'*'.repeat(Math.max(3, 79 - text.length))}`;
}

/** Human output in Ansible's shape, coloured with chalk (the only place chalk is used). */
export function prettyReporter(write: (s: string) => void, verbosity = 0): Reporter {
  return (e: HapEvent) => {
    switch (e.event) {
      case 'playbook_start':
        if (e.check) write(chalk.bold('(check mode: nothing will be changed)'));
        break;
      case 'play_start':
        write(chalk.bold(banner(`PLAY [${e.name}]`)));
        break;
      case 'batch_start':
        if (verbosity > 0) write(chalk.dim(`batch ${e.index + 1}: ${e.hosts.join(', ')}`));
        break;
      case 'task_start':
        write(chalk.bold(banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.role ? `${e.role} : ` : ''}${e.name}]`)));
        if (verbosity > 1 && e.pos) write(chalk.dim(`task path: ${formatPos(e.pos)}`));
        break;
      case 'host_result': {
        if (e.loop && e.status !== 'failed') break; // items already printed
        if (e.debug && e.item === undefined && (e.status === 'ok' || e.status === 'changed')) break; // the debug event prints it
        const c = colour[e.status];
        const who = e.delegatedTo ? `${e.host} -> ${e.delegatedTo}` : e.host;
        const item = e.item !== undefined ? ` => (item=${e.item})` : '';
        const word = e.status === 'failed' ? 'fatal' : e.status === 'ignored' ? 'failed (ignored)' : e.status === 'skipped' ? 'skipping' : e.status;
        let line = `${word}: [${who}]${item}`;
        if (e.status === 'failed' || e.status === 'unreachable') line += `: ${e.status.toUpperCase()}! => ${e.msg ?? ''}`;
        else if (e.msg && (verbosity > 0 || e.status === 'skipped' && e.checkMode)) line += ` => ${e.msg}`;
        write(c(line));
        if (e.changes && (verbosity > 0 || e.checkMode)) for (const ch of e.changes) write(c(`    ${e.checkMode ? 'would ' : ''}${ch}`));
        for (const d of e.diff ?? []) write(colourDiff(unifiedDiff(d)));
        if (verbosity > 1 && e.result) write(chalk.dim(JSON.stringify(e.result, null, 2)));
        else if (e.status === 'failed' && e.result) for (const l of outputOf(e.result)) write(c(l));
        break;
      }
      case 'debug':
        write(chalk.green(`ok: [${e.host}] => ${JSON.stringify(e.msg, null, 2)}`));
        break;
      case 'warning':
        write(chalk.magenta(`[WARNING]: ${e.host ? `[${e.host}] ` : ''}${e.msg}`));
        break;
      case 'info':
        write(e.msg);
        break;
      case 'quorum':
      case 'vip':
        write(chalk.blue(`${e.event}: ${e.msg}`));
        break;
      case 'play_end':
      case 'batch_end':
      case 'cluster_health':
        break;
      case 'stopped':
        write(chalk.magenta.bold(banner('INTERRUPTED')));
        write(chalk.magenta(e.reason));
        for (const u of e.undone) write(chalk.magenta(`  left undone in play '${u.play}': ${u.hosts.length ? u.hosts.join(', ') : '(no hosts)'}`));
        break;
      case 'recap': {
        write(chalk.bold(banner('PLAY RECAP')));
        const width = Math.max(0, ...Object.keys(e.hosts).map((h) => h.length));
        for (const [h, c] of Object.entries(e.hosts)) {
          const hc = c.failed || c.unreachable ? chalk.red : c.changed ? chalk.yellow : chalk.green;
          write(
            `${hc(h.padEnd(width))} : ${chalk.green(`ok=${c.ok}`)}  ${chalk.yellow(`changed=${c.changed}`)}  ` +
              `unreachable=${c.unreachable}  failed=${c.failed}  skipped=${c.skipped}  rescued=${c.rescued}  ignored=${c.ignored}`,
          );
        }
        break;
      }
    }
  };
}

const SHOWN_LINES = 30;

/**
 * A failed command's stdout and stderr under its line (their last lines), as Ansible's result
 * shows them: why it failed is there, not in "non-zero return code".
 */
export function outputOf(result: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ['stdout', 'stderr']) {
    const text = result[key];
    if (typeof text !== 'string' || text.trim() === '') continue;
    const lines = text.replace(/\n$/, '').split('\n');
    const hidden = Math.max(0, lines.length - SHOWN_LINES);
    out.push(`  ${key}:${hidden ? ` (last ${SHOWN_LINES} of ${lines.length} lines)` : ''}`);
    for (const l of lines.slice(hidden)) out.push(`    ${l}`);
  }
  return out;
}

function colourDiff(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.startsWith('+') ? chalk.green(l) : l.startsWith('-') ? chalk.red(l) : l.startsWith('@@') ? chalk.cyan(l) : l))
    .join('\n');
}
