import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, LOCAL_INVENTORY, project, type HapRun } from '../../support/project.ts';

// Each expectation is what ansible-core 2.14 does (test/differential runs the same against it).
async function run(play: string, files: Record<string, string> = {}): Promise<HapRun> {
  const p = await project({ 'inv.yml': LOCAL_INVENTORY, 'play.yml': play, ...files });
  return hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json');
}

const printed = (r: HapRun, host: string) => r.events.flatMap((e) => (e.event === 'debug' && e.host === host ? [e.msg] : []));

describe('Ansible 2.14 semantics', () => {
  it('a handler that notifies itself runs once per flush', async () => {
    const r = await run(`
- hosts: w1
  gather_facts: false
  tasks:
    - command: "true"
      notify: a
  handlers:
    - name: a
      debug: { msg: a }
      changed_when: true
      notify: [b, a]
    - name: b
      debug: { msg: b }
      changed_when: true
      notify: a
`);
    // the tasks' flush runs a then b; b's notification of a waits for the post_tasks flush
    expect(printed(r, 'w1')).toEqual(['a', 'b', 'a', 'b']);
  });

  it('any_errors_fatal lets a rescue run and the play go on', async () => {
    const r = await run(`
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - block:
        - fail: { msg: x }
          when: inventory_hostname == 'w1'
      rescue:
        - debug: { msg: rescued }
    - debug: { msg: after }
`);
    expect(r.code).toBe(0);
    expect(printed(r, 'w1')).toEqual(['rescued', 'after']);
    expect(printed(r, 'w2')).toEqual(['after']);
  });

  it('max_fail_percentage stops the play after the task that exceeds it', async () => {
    const r = await run(`
- hosts: web
  gather_facts: false
  max_fail_percentage: 30
  tasks:
    - fail: { msg: x }
      when: inventory_hostname == 'w1'
    - debug: { msg: not reached }
`);
    expect(r.code).toBe(2);
    expect(printed(r, 'w2')).toEqual([]);
  });

  it("a block's when is evaluated for each task", async () => {
    const r = await run(`
- hosts: w1
  gather_facts: false
  tasks:
    - block:
        - debug: { msg: first }
        - set_fact: { stop: true }
        - debug: { msg: second }
      when: stop is not defined
`);
    expect(printed(r, 'w1')).toEqual(['first']);
    expect(r.recap?.w1).toMatchObject({ ok: 2, skipped: 1 });
  });

  it('include_tasks with a templated name loads per host at run time, and counts ok', async () => {
    const r = await run(
      `
- hosts: web
  gather_facts: false
  tasks:
    - set_fact: { os: "{{ 'redhat' if inventory_hostname == 'w2' else 'debian' }}" }
    - include_tasks: "t/{{ os }}.yml"
`,
      { 't/debian.yml': '- debug: { msg: debian }\n', 't/redhat.yml': '- debug: { msg: redhat }\n' },
    );
    expect(r.code).toBe(0);
    expect(printed(r, 'w1')).toEqual(['debian']);
    expect(printed(r, 'w2')).toEqual(['redhat']);
    expect(r.recap?.w1).toMatchObject({ ok: 3 });
  });

  it('an include inside a looped include keeps the outer loop variable after it returns', async () => {
    const r = await run(
      `
- hosts: w1
  gather_facts: false
  tasks:
    - include_tasks: outer.yml
      loop: [a, b]
      loop_control: { loop_var: outer_item }
`,
      { 'outer.yml': '- include_tasks: inner.yml\n- debug: { msg: "after {{ outer_item }}" }\n', 'inner.yml': '- debug: { msg: "inner {{ outer_item }}" }\n' },
    );
    expect(r.code).toBe(0);
    expect(printed(r, 'w1')).toEqual(['inner a', 'after a', 'inner b', 'after b']);
  });

  it('with_items flattens one level; loop with with_items is a load error', async () => {
    const flat = await run(`
- hosts: w1
  gather_facts: false
  tasks:
    - debug: { var: item }
      with_items: [[1, 2], 3, [[4]]]
`);
    const items = (printed(flat, 'w1')[0] as { results: Array<{ item: unknown }> }).results.map((x) => x.item);
    expect(items).toEqual([1, 2, 3, [4]]);
    const both = await run(`
- hosts: w1
  gather_facts: false
  tasks:
    - debug: { msg: x }
      loop: [1]
      with_items: [2]
`);
    expect(both.code).toBe(1);
    expect(both.err.join('\n')).toMatch(/play\.yml:7:7: a task takes either 'loop' or 'with_items', not both/);
  });
});
