import type { ModuleDef } from './types.ts';

/** Reads a file from the host, base64-encoded (as Ansible's slurp). */
export const slurp: ModuleDef<{ src: string }> = {
  name: 'slurp',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['src'],
    properties: { src: { type: 'string', minLength: 1 } },
  },
  async plan(args, ctx) {
    const data = await ctx.transport.readFile(args.src, { become: ctx.become });
    if (data === null) return { status: 'failed', msg: `file not found: ${args.src}` };
    return { status: 'ok', result: { content: data.toString('base64'), encoding: 'base64', source: args.src } };
  },
};
