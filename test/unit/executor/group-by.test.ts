import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, LOCAL_INVENTORY, project } from '../../support/project.ts';

describe('group_by', () => {
  it('puts the hosts a task picks into a group that later plays and `groups` see', async () => {
    const p = await project({
      'inv.yml': LOCAL_INVENTORY,
      'play.yml': [
        '- hosts: web',
        '  gather_facts: false',
        '  tasks:',
        '    - group_by: { key: picked }',
        '      when: inventory_hostname != "w2"',
        '    - group_by: { key: "only_{{ inventory_hostname }}", parents: picked_parent }',
        '      run_once: true',
        '- hosts: picked',
        '  gather_facts: false',
        '  tasks:',
        '    - debug: { msg: "{{ groups.picked | join(\',\') }} {{ groups.only_w1 | join(\',\') }} {{ groups.picked_parent | join(\',\') }} {{ group_names | join(\',\') }}" }',
        '- hosts: nothing_here',
        '  gather_facts: false',
        '  tasks: [{ debug: { msg: never } }]',
        '',
      ].join('\n'),
    });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json');
    expect(r.code).toBe(0);
    const said = r.events.flatMap((e) => (e.event === 'host_result' && e.task === 'debug' ? [`${e.host}: ${String(e.result?.msg)}`] : []));
    expect(said).toEqual(['w1: w1,w3 w1 w1 picked,picked_parent,web,only_w1', 'w3: w1,w3 w1 w1 picked,web']);
  });
});

describe('controller-only modules', () => {
  it('set_fact, debug, assert and group_by work on an unreachable host; a command there is unreachable', async () => {
    const p = await project({
      'inv.yml': 'all:\n  hosts:\n    dead: { ansible_connection: ssh, ansible_host: 127.0.0.1, ansible_port: 1, ansible_user: nobody }\n',
      'play.yml': [
        '- hosts: dead',
        '  gather_facts: false',
        '  tasks:',
        '    - set_fact: { seen: yes }',
        '    - assert: { that: seen }',
        '    - group_by: { key: dead_ones }',
        '    - debug: { msg: "{{ groups.dead_ones | join(\',\') }}" }',
        '    - command: "true"',
        '      ignore_unreachable: true',
        '      register: ping',
        '    - debug: { msg: "reachable={{ not ping.failed }}" }',
        '',
      ].join('\n'),
    });
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json');
    const said = r.events.flatMap((e) => (e.event === 'host_result' && e.task === 'debug' ? [String(e.result?.msg)] : []));
    expect(said).toEqual(['dead', 'reachable=False']);
    expect(r.recap?.dead).toMatchObject({ unreachable: 0, failed: 0 });
  });
});
