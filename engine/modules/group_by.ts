import type { ModuleDef } from './types.ts';

export interface GroupByArgs {
  key: string;
  parents?: string | string[];
}

/**
 * Ansible's group_by: puts the host into group `key` for the rest of the run, so a later play
 * can target the hosts a task found (`hosts: new_nodes`). The runner applies `add_group`.
 */
export const groupBy: ModuleDef<GroupByArgs> = {
  name: 'group_by',
  controllerOnly: true,
  schema: {
    type: 'object',
    required: ['key'],
    additionalProperties: false,
    properties: {
      key: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      parents: { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string', minLength: 1 } }] },
    },
  },
  async plan(args) {
    const parents = args.parents === undefined ? ['all'] : Array.isArray(args.parents) ? args.parents : [args.parents];
    return { status: 'ok', result: { add_group: args.key, parent_groups: parents } };
  },
};
