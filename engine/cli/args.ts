import { parseArgs } from 'node:util';
import { HapError } from '../source/errors.ts';

/** A command line hap cannot use (exit 5, as the README says), told apart from bad input (exit 1). */
export class BadOptions extends HapError {}

/** Options shared by run/validate/inventory/vars, parsed with node's util.parseArgs. */
export function parseRunArgs(argv: string[]) {
  // -vv / -vvv count as repeated -v
  const expanded = argv.flatMap((a) => (/^-v{2,}$/.test(a) ? Array(a.length - 1).fill('-v') : [a]));
  try {
    return parseArgs({
      args: expanded,
      allowPositionals: true,
      options: {
        inventory: { type: 'string', short: 'i', multiple: true },
        limit: { type: 'string', short: 'l' },
        tags: { type: 'string', short: 't', multiple: true },
        'skip-tags': { type: 'string', multiple: true },
        check: { type: 'boolean', short: 'C' },
        diff: { type: 'boolean', short: 'D' },
        'extra-vars': { type: 'string', short: 'e', multiple: true },
        forks: { type: 'string', short: 'f' },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        'list-hosts': { type: 'boolean' },
        'list-tasks': { type: 'boolean' },
        'syntax-check': { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        list: { type: 'boolean' },
        graph: { type: 'boolean' },
        host: { type: 'string' },
        explain: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        'vault-password-file': { type: 'string', multiple: true },
        'vault-id': { type: 'string', multiple: true },
        resume: { type: 'boolean' },
        lock: { type: 'boolean' },
        'runs-dir': { type: 'string' },
        html: { type: 'string' },
      },
    });
  } catch (e) {
    throw new BadOptions(`${(e as Error).message} (see hap --help)`);
  }
}

export const splitList = (v: string[] | undefined): string[] => (v ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
