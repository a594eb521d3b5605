import { shellJoin } from '../transport/quote.ts';
import { commandArgSchemas, planCommand, splitArgs, type CommandCommon } from './run-command.ts';
import type { ModuleDef } from './types.ts';

export interface CommandArgs extends CommandCommon {
  cmd?: string;
  argv?: string[];
}

/** Runs a program with arguments, without a shell: `|`, `>`, `$VAR` are plain characters. */
export const command: ModuleDef<CommandArgs> = {
  name: 'command',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      ...commandArgSchemas,
      argv: { type: 'array', minItems: 1, items: { type: 'string' } },
    },
  },
  async plan(args, ctx) {
    if ((args.cmd === undefined) === (args.argv === undefined)) {
      return { status: 'failed', msg: 'command needs exactly one of cmd (free form) or argv' };
    }
    let argv: string[];
    try {
      argv = args.argv ?? splitArgs(args.cmd ?? '');
    } catch (e) {
      return { status: 'failed', msg: (e as Error).message };
    }
    if (!argv.length) return { status: 'failed', msg: 'no command given' };
    return planCommand(ctx, shellJoin(argv), argv, args);
  },
};
