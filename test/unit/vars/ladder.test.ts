import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, project } from '../../support/project.ts';


// h1 is in `child` (child of `parent`) and in `other`; every layer sets `v` and its own name
const FILES = {
  'inv/hosts.yml': `all:
  vars: { ansible_connection: local }
  children:
    parent:
      children:
        child:
          hosts:
            h1: {}
    other:
      hosts:
        h1: {}
        h2: {}
`,
  'inv/group_vars/all.yml': 'v: all\nfrom_all: 1\n',
  'inv/group_vars/parent.yml': 'v: parent\n',
  'inv/group_vars/child.yml': 'v: child\n',
  'inv/host_vars/h1.yml': 'v: host\nurl: "https://{{ inventory_hostname }}:{{ port }}"\nport: 2379\n',
  'roles/r/defaults/main.yml': 'v: role_default\nonly_default: d\n',
  'roles/r/tasks/main.yml': `- name: role sees
  assert:
    that:
      - v == expected
      - only_default == 'd'
      - url == 'https://h1:2379'
`,
  'vars.yml': 'v: vars_file\n',
};

const play = (vars: string, extra = '') => `
- hosts: h1
  gather_facts: false
  ${vars}
  roles:
    - r
${extra}`;

describe.each([
  ['inventory: the deepest group wins over parent and all, host_vars over groups', '', [], 'host'],
  ['vars_files over inventory', 'vars_files: [vars.yml]', [], 'vars_file'],
  ['vars_files over play vars (as Ansible)', 'vars_files: [vars.yml]\n  vars: { v: play }', [], 'vars_file'],
  ['-e over everything', 'vars: { v: play }', ['-e', 'v=extra'], 'extra'],
])('precedence: %s', (_name, vars, extra, expected) => {
  it(`v == ${expected}`, async () => {
    const p = await project({ ...FILES, 'play.yml': play(vars) });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv'), '--output', 'json', '-e', `expected=${expected}`, ...(extra as string[]));
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe('precedence details', () => {
  it('set_fact (runtime) beats play vars, task vars beat play vars', async () => {
    const p = await project({
      ...FILES,
      'play.yml': `
- hosts: h1
  gather_facts: false
  vars: { v: play }
  tasks:
    - assert: { that: "v == 'task'" }
      vars: { v: task }
    - set_fact: { v: fact }
    - assert: { that: "v == 'fact'" }
`,
    });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv'), '--output', 'json');
    expect(r.code).toBe(0);
  });

  it('hap vars --explain names the layer, the file:line, and what it shadows', async () => {
    const p = await project(FILES);
    const r = await hap('vars', '-i', join(p.dir, 'inv'), '--host', 'h1', '--explain', 'v');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('v = "host"');
    expect(r.out[1]).toMatch(/from host_vars: .*host_vars\/h1\.yml:1:\d+/);
    expect(r.out.slice(2).map((l) => l.replace(/:.*\(/, ' (').trim())).toEqual([
      expect.stringMatching(/^shadows group_vars/),
      expect.stringMatching(/^shadows group_vars/),
      expect.stringMatching(/^shadows group_vars/),
    ]);
    expect(r.out.join('\n')).toMatch(/child\.yml:1:\d+ \(group child\) = "child"[\s\S]*parent\.yml:1:\d+ \(group parent\)[\s\S]*all\.yml:1:\d+ \(group all\)/);
    const rendered = await hap('vars', '-i', join(p.dir, 'inv'), '--host', 'h1', '--explain', 'url');
    expect(rendered.out[0]).toBe('url = "https://h1:2379"');
  });

  it('a diamond is no conflict: a deeper group of the host settles what same-depth groups disagree on', async () => {
    const p = await project({ ...FILES, 'inv/group_vars/other.yml': 'v: other\n', 'inv/host_vars/h1.yml': 'url: "https://h1:2379"\n', 'play.yml': play('') });
    // `other` and `parent` (depth 1) disagree; `child` (depth 2) sets v too and wins, as in Ansible
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv'), '--output', 'json', '-e', 'expected=child');
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  });

  it('two groups of the same depth setting one variable differently is an error naming both', async () => {
    const p = await project({ ...FILES, 'inv/group_vars/other.yml': 'v: other\n', 'inv/group_vars/child.yml': 'w: 1\n', 'play.yml': play('') });
    // `other` (depth 1) and `parent` (depth 1) both set v for h1, and no deeper group does
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv'), '--output', 'json');
    expect(r.code).toBe(1);
    expect(r.events).toEqual([]);
    expect(r.err.join('\n')).toMatch(/variable 'v' for host 'h1' is set differently by groups 'other' \(.*other\.yml:1:\d+\) and 'parent' at the same depth/);
  });

  it('magic variables cannot be set', async () => {
    const p = await project({ ...FILES, 'play.yml': '- hosts: h1\n  gather_facts: false\n  vars: { groups: 1 }\n  tasks:\n    - debug: { msg: x }\n' });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv'), '--output', 'json');
    expect(r.code).not.toBe(0);
    expect(JSON.stringify(r.events) + r.err.join('\n')).toMatch(/'groups' is a magic variable/);
  });
});
