import type { ModuleDef } from './types.ts';

export interface DebugArgs {
  msg?: unknown;
  var?: string;
  verbosity?: number;
}

/** Prints a message or a variable; skipped below `verbosity` (compared with ansible_verbosity). */
export const debug: ModuleDef<DebugArgs> = {
  name: 'debug',
  controllerOnly: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    not: { required: ['msg', 'var'] },
    properties: {
      msg: {},
      var: { type: 'string', minLength: 1 },
      verbosity: { type: 'integer', minimum: 0 },
    },
  },
  async plan(args, ctx) {
    const level = Number(ctx.vars.ansible_verbosity ?? 0);
    if ((args.verbosity ?? 0) > level) return { status: 'skipped', msg: 'Verbosity threshold not met.' };
    if (args.var !== undefined) {
      let value: unknown;
      try {
        value = ctx.evaluate(args.var);
      } catch {
        value = 'VARIABLE IS NOT DEFINED!';
      }
      return { status: 'ok', result: { [args.var]: value } };
    }
    return { status: 'ok', result: { msg: args.msg ?? 'Hello world!' } };
  },
};
