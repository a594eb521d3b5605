import type { ModuleDef } from './types.ts';

/** Sets host variables for the rest of the run; the runner stores `ansible_facts`. */
export const setFact: ModuleDef = {
  name: 'set_fact',
  controllerOnly: true,
  schema: {
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    properties: { cacheable: { type: 'boolean' } },
  },
  async plan(args) {
    const facts = Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'cacheable'));
    if (!Object.keys(facts).length) return { status: 'failed', msg: 'set_fact needs at least one variable' };
    return { status: 'ok', result: { ansible_facts: facts } };
  },
};
