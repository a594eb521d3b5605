import type { ModuleDef } from './types.ts';

export const fail: ModuleDef<{ msg?: string }> = {
  name: 'fail',
  controllerOnly: true,
  schema: { type: 'object', additionalProperties: false, properties: { msg: { type: 'string' } } },
  async plan(args) {
    return { status: 'failed', msg: args.msg ?? 'Failed as requested from task' };
  },
};
