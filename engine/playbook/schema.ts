import { CONNECTION_VARS_SCHEMA, CONNECTIONS } from '../transport/registry.ts';

/** JSON schemas of playbook structure. Module arguments have their own schemas per module. */

const strList = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
const condition = { anyOf: [{ type: ['string', 'boolean'] }, { type: 'array', items: { type: ['string', 'boolean'] } }] };
const templatedBool = { type: ['boolean', 'string'] };
/** A template, checked again once rendered. */
const templated = { type: 'string', pattern: '\\{\\{' };
const count = { anyOf: [{ type: 'integer', minimum: 0 }, templated], errorMessage: 'a whole number ≥ 0 (or a {{ template }})' };
const seconds = { anyOf: [{ type: 'number', minimum: 0 }, templated], errorMessage: 'a number of seconds ≥ 0 (or a {{ template }})' };
/** One batch size: 0 (all hosts at once, as in Ansible), a positive whole number, or a percentage. */
const batchSize = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^\\s*(\\d+|\\d+(\\.\\d+)?%)\\s*$' }] };
/** Task lists are checked item by item by parseTasks, which says it better than a schema. */
const taskList = {};
const nonEmpty = { type: 'string', minLength: 1, pattern: '\\S' };

export const TASK_KEYWORDS = {
  name: { type: 'string' },
  when: condition,
  loop: { type: ['array', 'string', 'object'] },
  with_items: { type: ['array', 'string'] },
  loop_control: {
    type: 'object',
    additionalProperties: false,
    properties: { label: { type: 'string' }, loop_var: { type: 'string' }, index_var: { type: 'string' }, pause: { type: 'number' }, extended: { type: 'boolean' }, extended_allitems: { type: 'boolean' } },
  },
  register: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
  notify: strList,
  listen: strList,
  changed_when: condition,
  failed_when: condition,
  ignore_errors: templatedBool,
  ignore_unreachable: templatedBool,
  until: condition,
  retries: count,
  delay: seconds,
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
  block: taskList,
  rescue: taskList,
  always: taskList,
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

const intOrTemplate = { type: ['integer', 'string'] };

export const VIP_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['group', 'address'],
  properties: {
    group: { type: 'string' },
    address: { type: 'string' },
    prefix: intOrTemplate,
    virtual_router_id: intOrTemplate,
    backend_group: { type: 'string' },
    backend: { type: 'string' },
    stats_port: intOrTemplate,
    maintenance_file: { type: 'string' },
    state_file: { type: 'string' },
    timeout: intOrTemplate,
    // false: the batch's LBs change in place (a haproxy reload), the VIP is not handed over
    handover: { anyOf: [{ type: 'boolean' }, { type: 'string', pattern: '\\{\\{' }] },
  },
};

export const PLAY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['hosts'],
  properties: {
    name: { type: 'string' },
    hosts: {
      anyOf: [nonEmpty, { type: 'array', minItems: 1, items: nonEmpty }],
      errorMessage: 'a host pattern or a list of them (not empty)',
    },
    vars: { type: 'object', propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, properties: CONNECTION_VARS_SCHEMA },
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
    pre_tasks: taskList,
    tasks: taskList,
    post_tasks: taskList,
    handlers: taskList,
    serial: {
      anyOf: [batchSize, { type: 'array', minItems: 1, items: batchSize }],
      errorMessage: "a positive whole number, a percentage such as '30%', or a list of them",
    },
    max_fail_percentage: {
      anyOf: [{ type: 'number', minimum: 0, maximum: 100 }, { type: 'string', pattern: '^\\s*(100(\\.0+)?|\\d{1,2}(\\.\\d+)?)\\s*%?\\s*$' }],
      errorMessage: "a percentage from 0 to 100 (30 or '30%')",
    },
    any_errors_fatal: { type: 'boolean' },
    gather_facts: { type: 'boolean' },
    become: { type: 'boolean' },
    become_user: { type: 'string' },
    tags: strList,
    connection: { enum: [...CONNECTIONS] },
    environment: { type: 'object' },
    quorum: QUORUM_SCHEMA,
    vip: VIP_SCHEMA,
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
