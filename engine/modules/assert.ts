import type { ModuleDef } from './types.ts';

export interface AssertArgs {
  that: string | boolean | Array<string | boolean>;
  fail_msg?: string;
  msg?: string;
  success_msg?: string;
  quiet?: boolean;
}

/** Python's truthiness, which Ansible conditions follow: '', 0, [], {} and null are false. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v !== null && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

const condition = { anyOf: [{ type: 'string', minLength: 1 }, { type: 'boolean' }] };

export const assert: ModuleDef<AssertArgs> = {
  name: 'assert',
  controllerOnly: true,
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['that'],
    properties: {
      that: { anyOf: [condition, { type: 'array', minItems: 1, items: condition }] },
      fail_msg: { type: 'string' },
      msg: { type: 'string' },
      success_msg: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  },
  async plan(args, ctx) {
    for (const cond of Array.isArray(args.that) ? args.that : [args.that]) {
      let value: unknown;
      try {
        value = typeof cond === 'boolean' ? cond : ctx.evaluate(cond);
      } catch (e) {
        return { status: 'failed', msg: `assert: cannot evaluate ${JSON.stringify(cond)}: ${(e as Error).message}`, result: { assertion: cond } };
      }
      if (!truthy(value)) {
        const msg = args.fail_msg ?? args.msg ?? 'Assertion failed';
        return { status: 'failed', msg, result: { assertion: cond, evaluated_to: false } };
      }
    }
    const msg = args.success_msg ?? 'All assertions passed';
    return args.quiet ? { status: 'ok', result: {} } : { status: 'ok', msg, result: { msg } };
  },
};
