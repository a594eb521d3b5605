import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../engine/inventory/index.ts';
import { errorLines, FIX } from './fixtures.ts';

const NAMES = 'use letters, digits and _, not starting with a digit';

describe.each<[string, string, string[]]>([
  ['malformed YAML', 'errors/malformed.yml', ['errors/malformed.yml:6:1: YAML syntax error: Missing closing "quote']],
  [
    'an unknown key under a group',
    'errors/unknown-key.yml',
    ["errors/unknown-key.yml:4:7: unknown key 'host' in group 'web': a group has only hosts, vars and children"],
  ],
  [
    'hosts given as a list',
    'errors/hosts-list.yml',
    [
      "errors/hosts-list.yml:5:9: hosts of group 'web' must be a mapping of host names, each followed by its vars or nothing, not a list",
    ],
  ],
  [
    'a cycle of groups',
    'errors/cycle.yml',
    ["errors/cycle.yml:10:9: group 'a' is its own ancestor: a → b → c → a; remove one of these children entries"],
  ],
  [
    'invalid variable names',
    'errors/bad-var-name.yml',
    [
      `errors/bad-var-name.yml:4:5: invalid variable name 'bad-name' in vars of group 'all': ${NAMES}`,
      `errors/bad-var-name.yml:7:7: invalid variable name '9lives' in vars of host 'h1': ${NAMES}`,
    ],
  ],
  [
    'bad host ranges',
    'errors/bad-range.yml',
    [
      "errors/bad-range.yml:3:5: host range in 'web[3:1]' must have begin <= end",
      "errors/bad-range.yml:4:5: host range in 'db[01:9]' must give begin and end with equal widths",
    ],
  ],
  [
    'one host given two values of a var in two groups',
    'errors/conflict-inline.yml',
    [
      "errors/conflict-inline.yml:10:25: variable 'ansible_host' of host 'cp1' is defined twice: here and at errors/conflict-inline.yml:6:25; keep one",
    ],
  ],
  [
    'several structural errors in one file (all reported)',
    'errors/many.yml',
    [
      "errors/many.yml:2:9: vars of group 'all' must be a mapping of variable names to values, not a list",
      "errors/many.yml:6:7: unknown key 'hostvars' in group 'web': a group has only hosts, vars and children",
      `errors/many.yml:8:9: group 'db' must be a mapping with hosts, vars or children (or empty), not string "db1"`,
    ],
  ],
  [
    'a top level that is not a mapping',
    'errors/not-mapping.yml',
    ["errors/not-mapping.yml:1:1: the inventory must be a mapping of group names (usually 'all:'), not a list"],
  ],
  [
    'one name in two group_vars files of one group',
    'errors/dup-groupvars',
    [
      "errors/dup-groupvars/group_vars/etcd/b.yml:2:16: variable 'etcd_data_dir' of group 'etcd' is defined twice: here and at errors/dup-groupvars/group_vars/etcd/a.yml:1:16; keep one",
    ],
  ],
  [
    'a host_vars file contradicting an inline host var',
    'errors/dup-hostvars',
    [
      "errors/dup-hostvars/host_vars/cp1.yml:1:10: variable 'node_ip' of host 'cp1' is defined twice: here and at errors/dup-hostvars/hosts.yml:4:16; keep one",
    ],
  ],
  [
    'malformed group_vars files',
    'errors/bad-groupvars',
    [
      'errors/bad-groupvars/group_vars/all.yml:1:1: a vars file must be a mapping of variable names to values, not a list',
      `errors/bad-groupvars/group_vars/ungrouped.yml:1:1: invalid variable name 'bad key' in this vars file: ${NAMES}`,
    ],
  ],
  ['a missing inventory', 'errors/none.yml', ["inventory errors/none.yml not found: give a YAML file or a directory holding hosts.yml"]],
])('loadInventory rejects %s', (_what, path, expected) => {
  it('with every error at its file:line:col', async () => {
    expect(await errorLines(() => loadInventory(`${FIX}${path}`))).toEqual(expected);
  });
});

describe('loadInventory accepts', () => {
  it('a group_vars file repeating an inline group var with the same value', async () => {
    // errors/dup-groupvars sets etcd_peer_port inline and in a.yml, both 2380: only etcd_data_dir fails
    const lines = await errorLines(() => loadInventory(`${FIX}errors/dup-groupvars`));
    expect(lines.some((l) => l.includes('etcd_peer_port'))).toBe(false);
  });
});
