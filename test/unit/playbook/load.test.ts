import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, LOCAL_INVENTORY, project } from '../../support/project.ts';


/** Each bad playbook must fail before running anything, naming file:line:col and the problem. */
const cases: Array<[string, Record<string, string>, RegExp[]]> = [
  ['malformed YAML', { 'play.yml': '- hosts: all\n  tasks: [\n' }, [/play\.yml:3:1: YAML syntax error/]],
  ['unknown play key', { 'play.yml': '- hosts: all\n  taskz: []\n' }, [/play\.yml:2:3: unknown key 'taskz' in play/]],
  ['unknown module', { 'play.yml': '- hosts: all\n  tasks:\n    - cmd: ls\n' }, [/play\.yml:3:7: unknown module 'cmd'/]],
  ['two modules', { 'play.yml': '- hosts: all\n  tasks:\n    - command: ls\n      bogus: 1\n' }, [/play\.yml:4:7: unknown key 'bogus'/]],
  ['wrong type', { 'play.yml': '- hosts: all\n  gather_facts: maybe\n' }, [/play\.yml:2:17: 'gather_facts' must be boolean/]],
  ['bad module argument', { 'play.yml': '- hosts: all\n  tasks:\n    - file: { path: /x, state: gone }\n' }, [/play\.yml:3:\d+: 'state' must be one of/]],
  ['missing role', { 'play.yml': '- hosts: all\n  roles: [nosuchrole]\n' }, [/play\.yml:2:11: role 'nosuchrole' not found/]],
  ['missing template', { 'play.yml': '- hosts: all\n  tasks:\n    - template: { src: nope.hbs, dest: /tmp/x }\n' }, [/play\.yml:3:\d+: template: template 'nope\.hbs' not found/]],
  ['undefined handler', { 'play.yml': '- hosts: all\n  tasks:\n    - command: ls\n      notify: restart it\n' }, [/play\.yml:4:15: notify: no handler named or listening to 'restart it'/]],
  ['include cycle', { 'play.yml': '- hosts: all\n  tasks:\n    - include_tasks: a.yml\n', 'a.yml': '- include_tasks: b.yml\n', 'b.yml': '- import_tasks: a.yml\n' }, [/b\.yml:1:\d+: include cycle: .*a\.yml → .*b\.yml → .*a\.yml/]],
  ['expression syntax', { 'play.yml': '- hosts: all\n  tasks:\n    - command: ls\n      when: a ==\n' }, [/play\.yml:4:\d+: .*/]],
  ['template syntax', { 'play.yml': '- hosts: all\n  tasks:\n    - command: "echo {{#if}}"\n' }, [/play\.yml:3:\d+: .*/]],
  [
    'several errors at once',
    { 'play.yml': '- hosts: all\n  taskz: []\n- hosts: all\n  tasks:\n    - nosuch: 1\n' },
    [/play\.yml:2:3: unknown key 'taskz'/, /play\.yml:5:7: unknown module 'nosuch'/],
  ],
];

describe.each(cases)('bad playbook: %s', (_name, files, expected) => {
  it('fails with file:line:col and exit 1, nothing run', async () => {
    const p = await project({ 'inv.yml': LOCAL_INVENTORY, ...files });
    for (const cmd of ['run', 'validate']) {
      const r = await hap(cmd, join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json');
      expect(r.code).toBe(1);
      expect(r.events).toEqual([]);
      const text = r.err.join('\n');
      for (const re of expected) expect(text).toMatch(re);
    }
  });
});

describe('bad command line', () => {
  it('conflicting -e values are an error', async () => {
    const p = await project({ 'inv.yml': LOCAL_INVENTORY, 'play.yml': '- hosts: all\n  tasks: []\n' });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '-e', 'a=1', '-e', 'a=2');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/'a' is given twice with different values/);
  });

  it('--syntax-check, --list-hosts and --list-tasks do not run anything', async () => {
    const p = await project({ 'inv.yml': LOCAL_INVENTORY, 'play.yml': '- hosts: web:!w2\n  tasks:\n    - name: t1\n      command: touch /nonexistent/x\n      tags: [a]\n' });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--list-hosts', '--list-tasks');
    expect(r.code).toBe(0);
    expect(r.out.join('\n')).toMatch(/hosts \(2\):\n {4}w1\n {4}w3/);
    expect(r.out.join('\n')).toMatch(/t1\tTAGS: \[a\]/);
  });
});

describe('import_playbook vars', () => {
  it('apply to every imported play, over its own vars, and to its templated hosts', async () => {
    const p = await project({
      'inv.yml': LOCAL_INVENTORY,
      'play.yml': '- import_playbook: inner.yml\n  vars: { target: db, greeting: from-import }\n- import_playbook: inner.yml\n',
      'inner.yml': '- hosts: "{{ target }}"\n  gather_facts: false\n  vars: { target: web, greeting: from-play }\n  tasks:\n    - debug: { msg: "{{ greeting }}" }\n',
    });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json');
    expect(r.code).toBe(0);
    const said = r.events.flatMap((e) => (e.event === 'host_result' && e.task === 'debug' ? [`${e.host} ${String(e.result?.msg)}`] : []));
    expect(said).toEqual(['d1 from-import', 'w1 from-play', 'w2 from-play', 'w3 from-play']);
  });
});
