/** JSON schemas of playbook structure. Module arguments have their own schemas per module. */

const strList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const condition = { anyOf: [{ type: ['string', 'boolean'] }, { type: 'array', items: { type: ['string', 'boolean'] } }] };
const templatedBool = { type: ['boolean', 'string'] };
const templatedInt = { type: ['integer', 'string'] };

export const TASK_KEYWORDS = {
  name: { type: 'string' },
  when: condition,
  loop: { type: ['array', 'string', 'object'] },
  with_items: { type: ['array', 'string'] },
  loop_control: {
    type: 'object',
    additionalProperties: false,
    properties: { label: { type: 'string' }, loop_var: { type: 'string' }, index_var: { type: 'string' }, pause: { type: 'number' } },
  },
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  notify: strList,
  listen: strList,
  changed_when: condition,
  failed_when: condition,
  ignore_errors: templatedBool,
  ignore_unreachable: templatedBool,
  until: condition,
  retries: templatedInt,
  delay: { type: ['number', 'string'] },
  run_once: templatedBool,
  delegate_to: { type: 'string' },
  become: templatedBool,
  become_user: { type: 'string' },
  tags: strList,
  no_log: templatedBool,
  vars: { type: 'object' },
  environment: { type: ['object', 'string'] },
  check_mode: templatedBool,
  diff: templatedBool,
  any_errors_fatal: { type: 'boolean' },
  args: { type: 'object' },
  block: { type: 'array', items: { type: 'object' } },
  rescue: { type: 'array', items: { type: 'object' } },
  always: { type: 'array', items: { type: 'object' } },
} as const;

export const QUORUM_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['group'],
  properties: {
    group: { type: 'string' },
    probe: { enum: ['etcd'] },
    scheme: { enum: ['https', 'http'] },
    endpoint_port: { type: 'integer' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    timeout: { type: 'integer', minimum: 1 },
    move_leader: { type: 'boolean' },
  },
};

export const PLAY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['hosts'],
  properties: {
    name: { type: 'string' },
    hosts: strList,
    vars: { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' } },
    vars_files: { type: 'array', items: { type: 'string' } },
    roles: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string' },
          { type: 'object', required: ['role'], properties: { role: { type: 'string' } } },
          { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        ],
      },
    },
    pre_tasks: { type: 'array', items: { type: 'object' } },
    tasks: { type: 'array', items: { type: 'object' } },
    post_tasks: { type: 'array', items: { type: 'object' } },
    handlers: { type: 'array', items: { type: 'object' } },
    serial: { anyOf: [{ type: ['integer', 'string'] }, { type: 'array', items: { type: ['integer', 'string'] } }] },
    max_fail_percentage: { type: ['number', 'string'] },
    any_errors_fatal: { type: 'boolean' },
    gather_facts: { type: 'boolean' },
    become: { type: 'boolean' },
    become_user: { type: 'string' },
    tags: strList,
    connection: { enum: ['local', 'ssh'] },
    environment: { type: 'object' },
    quorum: QUORUM_SCHEMA,
    check_mode: { type: 'boolean' },
    no_log: { type: 'boolean' },
    strategy: { enum: ['linear'] },
    order: { enum: ['inventory'] },
  },
};

export const IMPORT_PLAYBOOK_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['import_playbook'],
  properties: { import_playbook: { type: 'string' }, name: { type: 'string' }, when: condition, vars: { type: 'object' } },
};

export const ROLE_META_SCHEMA = {
  type: 'object',
  properties: {
    galaxy_info: { type: 'object' },
    dependencies: {
      type: 'array',
      items: { anyOf: [{ type: 'string' }, { type: 'object', required: ['role'] }] },
    },
    argument_specs: { type: 'object' },
    allow_duplicates: { type: 'boolean' },
  },
  additionalProperties: false,
};
