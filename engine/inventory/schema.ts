import type { ErrorObject } from 'ajv';
import { compileSchema, errorMessage, summarised } from '../schemas/ajv.ts';
import { CONNECTION_VARS_SCHEMA } from '../transport/registry.ts';
import { HapError } from '../source/errors.ts';
import { keyPosOf, posOf } from '../source/yaml.ts';

/** Variable names must be usable in templates and expressions. */
export const VAR_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

const vars = { type: ['object', 'null'], propertyNames: { pattern: VAR_NAME }, properties: CONNECTION_VARS_SCHEMA };

/** Ansible's YAML inventory: top-level groups (usually `all:`), each with hosts, vars, children. */
export const INVENTORY_SCHEMA = {
  type: ['object', 'null'],
  additionalProperties: { $ref: '#/$defs/group' },
  $defs: {
    group: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: {
        // a single name as a string (`hosts: test5`) is allowed, as Ansible's yaml plugin allows it
        hosts: { type: ['object', 'null', 'string'], additionalProperties: vars },
        vars,
        children: { type: ['object', 'null', 'string'], additionalProperties: { $ref: '#/$defs/group' } },
      },
    },
  },
};

/** A group_vars/ or host_vars/ file. */
export const VARS_FILE_SCHEMA = { ...vars };

type Kind = 'inventory' | 'group' | 'hosts' | 'children' | 'vars' | 'hostvars' | 'value' | 'varsfile';

interface Where {
  kind: Kind;
  desc: string;
}

/** Names the node an instancePath points at, in inventory terms. */
function describePath(segments: string[], root: Kind): Where {
  let where: Where = root === 'varsfile' ? { kind: 'varsfile', desc: 'a vars file' } : { kind: 'inventory', desc: 'the inventory' };
  let group = '';
  let host = '';
  for (const s of segments) {
    switch (where.kind) {
      case 'inventory':
      case 'children':
        group = s;
        where = { kind: 'group', desc: `group '${s}'` };
        break;
      case 'group':
        if (s === 'hosts') where = { kind: 'hosts', desc: `hosts of group '${group}'` };
        else if (s === 'children') where = { kind: 'children', desc: `children of group '${group}'` };
        else if (s === 'vars') where = { kind: 'vars', desc: `vars of group '${group}'` };
        else where = { kind: 'value', desc: `'${s}' in group '${group}'` };
        break;
      case 'hosts':
        host = s;
        where = { kind: 'hostvars', desc: `vars of host '${host}'` };
        break;
      default:
        where = { kind: 'value', desc: `variable '${s}' in ${where.desc}` };
    }
  }
  return where;
}

const EXPECTED: Record<Kind, string> = {
  inventory: "a mapping of group names (usually 'all:')",
  group: 'a mapping with hosts, vars or children (or empty)',
  hosts: 'a mapping of host names, each followed by its vars or nothing',
  children: 'a mapping of group names',
  vars: 'a mapping of variable names to values',
  hostvars: 'a mapping of variable names to values (or empty)',
  varsfile: 'a mapping of variable names to values',
  value: 'valid',
};

function describeValue(v: unknown): string {
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function walk(root: unknown, segments: string[]): { parent: unknown; value: unknown } {
  let parent: unknown;
  let value = root;
  for (const s of segments) {
    parent = value;
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[s] : undefined;
  }
  return { parent, value };
}

function toHapErrors(root: unknown, errors: ErrorObject[], kind: Kind, file: string): HapError[] {
  const out: HapError[] = [];
  for (const e of summarised(errors)) {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    const { parent, value } = walk(root, segments);
    const where = describePath(segments, kind);
    const last = segments[segments.length - 1];
    const pos = (last === undefined ? posOf(root) : posOf(parent, last)) ?? { file, line: 1, col: 1 };
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params.additionalProperty);
        out.push(
          new HapError(`unknown key '${key}' in ${where.desc}: a group has only hosts, vars and children`, keyPosOf(value, key) ?? pos),
        );
        break;
      }
      case 'propertyNames': {
        const key = String(e.params.propertyName);
        out.push(
          new HapError(
            `invalid variable name '${key}' in ${where.kind === 'varsfile' ? 'this vars file' : where.desc}: use letters, digits and _, not starting with a digit`,
            keyPosOf(value, key) ?? pos,
          ),
        );
        break;
      }
      case 'anyOf': {
        const m = errorMessage(e);
        if (m) out.push(new HapError(`${where.desc} must be ${m}, not ${describeValue(value)}`, pos));
        break;
      }
      case 'type':
        out.push(new HapError(`${where.desc} must be ${EXPECTED[where.kind]}, not ${describeValue(value)}`, pos));
        break;
      case 'pattern':
        // reported through its propertyNames error
        if ('propertyName' in e) break;
        out.push(new HapError(`${where.desc} ${e.message ?? 'is invalid'}`, pos));
        break;
      default:
        out.push(new HapError(`${where.desc} ${e.message ?? 'is invalid'}`, pos));
    }
  }
  return out;
}

/** Every structural error of a parsed inventory file (empty when valid). */
export function validateInventory(doc: unknown, file: string): HapError[] {
  const fn = compileSchema(INVENTORY_SCHEMA);
  return fn(doc) ? [] : toHapErrors(doc, fn.errors ?? [], 'inventory', file);
}

/** Every error of a parsed group_vars/host_vars file (empty when valid). */
export function validateVarsFile(doc: unknown, file: string): HapError[] {
  const fn = compileSchema(VARS_FILE_SCHEMA);
  return fn(doc) ? [] : toHapErrors(doc, fn.errors ?? [], 'varsfile', file);
}
