import { quote, shellJoin } from '../transport/quote.ts';
import { commandArgSchemas, planCommand, type CommandCommon } from './run-command.ts';
import type { ModuleDef } from './types.ts';

export interface ShellArgs extends CommandCommon {
  cmd: string;
  executable?: string;
}

/** Runs a script through a shell (/bin/sh unless `executable` names another). */
export const shell: ModuleDef<ShellArgs> = {
  name: 'shell',
  freeForm: 'cmd',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['cmd'],
    properties: { ...commandArgSchemas, executable: { type: 'string', minLength: 1 } },
  },
  plan(args, ctx) {
    const program = args.executable ?? '/bin/sh';
    return planCommand(ctx, `${shellJoin([program, '-c'])} ${quote(args.cmd)}`, args.cmd, args);
  },
};
