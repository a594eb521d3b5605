import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, LOCAL_INVENTORY, project, resultsOf } from '../../support/project.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

async function setup(playbook: string, extra: Record<string, string> = {}) {
  const p = await project({ 'inv.yml': LOCAL_INVENTORY, 'play.yml': playbook, ...extra });
  const run = (...args: string[]) => hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json', ...args);
  return { dir: p.dir, run };
}

describe('handlers', () => {
  const play = `
- hosts: web
  gather_facts: false
  tasks:
    - file: { path: "$DIR/out", state: directory }
      run_once: true
    - name: write
      copy: { content: "v={{ version }}\\n", dest: "$DIR/out/{{ inventory_hostname }}.conf" }
      notify: [restart, restart]
    - name: unrelated
      command: "true"
      changed_when: false
      notify: restart
  handlers:
    - name: restart
      shell: echo x >> $DIR/out/{{ inventory_hostname }}.restarts
`;
  it('run once per notifying host after the tasks, and not when nothing changed', async () => {
    const { dir, run } = await setup(play);
    const first = await run('-e', 'version=1');
    expect(first.code).toBe(0);
    expect(await readFile(join(dir, 'out/w1.restarts'), 'utf8')).toBe('x\n');
    const order = first.events.filter((e) => e.event === 'task_start').map((e) => (e as { name: string }).name);
    expect(order.at(-1)).toBe('restart');
    const second = await run('-e', 'version=1');
    expect(second.recap!.w1!.changed).toBe(0);
    expect(await readFile(join(dir, 'out/w1.restarts'), 'utf8')).toBe('x\n');
    await run('-e', 'version=2', '--limit', 'w2');
    expect(await readFile(join(dir, 'out/w2.restarts'), 'utf8')).toBe('x\nx\n');
    expect(await readFile(join(dir, 'out/w1.restarts'), 'utf8')).toBe('x\n');
  });

  it('flush_handlers runs them mid-play', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - copy: { content: "a", dest: "$DIR/flag" }
      notify: mark
    - meta: flush_handlers
    - name: after flush
      command: cat $DIR/marked
      register: m
    - assert: { that: "m.stdout == 'yes'" }
  handlers:
    - name: mark
      copy: { content: "yes", dest: "$DIR/marked" }
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await exists(join(dir, 'marked'))).toBe(true);
  });
});

describe('block / rescue / always', () => {
  it('rescues a failure, runs always, counts rescued not failed', async () => {
    const { dir, run } = await setup(`
- hosts: w1,w2
  gather_facts: false
  tasks:
    - block:
        - command: "false"
          when: inventory_hostname == 'w1'
        - copy: { content: "b", dest: "$DIR/{{ inventory_hostname }}.block" }
      rescue:
        - copy: { content: "r", dest: "$DIR/{{ inventory_hostname }}.rescue" }
      always:
        - copy: { content: "a", dest: "$DIR/{{ inventory_hostname }}.always" }
    - copy: { content: "after", dest: "$DIR/{{ inventory_hostname }}.after" }
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(r.recap!.w1).toMatchObject({ failed: 0, rescued: 1 });
    expect(await exists(join(dir, 'w1.block'))).toBe(false);
    expect(await exists(join(dir, 'w1.rescue'))).toBe(true);
    expect(await exists(join(dir, 'w2.rescue'))).toBe(false);
    for (const h of ['w1', 'w2']) {
      expect(await exists(join(dir, `${h}.always`))).toBe(true);
      expect(await exists(join(dir, `${h}.after`))).toBe(true);
    }
  });

  it('without rescue the host fails after always, and the run exits 2', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - block:
        - command: "false"
      always:
        - copy: { content: "a", dest: "$DIR/always" }
    - copy: { content: "never", dest: "$DIR/after" }
`);
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.recap!.w1!.failed).toBe(1);
    expect(await exists(join(dir, 'always'))).toBe(true);
    expect(await exists(join(dir, 'after'))).toBe(false);
  });
});

describe('serial batches and failure limits', () => {
  it('runs batches of serial [1, 2] in order, the last size repeating', async () => {
    const { run } = await setup(`
- hosts: all
  gather_facts: false
  serial: [1, 2]
  tasks:
    - debug: { msg: "{{ ansible_play_batch }}" }
`);
    const r = await run();
    const batches = r.events.filter((e) => e.event === 'batch_start').map((e) => (e as { hosts: string[] }).hosts);
    expect(batches).toEqual([['w1'], ['w2', 'w3'], ['d1']]);
  });

  it('hosts: may be a template of -e values', async () => {
    const { run } = await setup(`
- hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - debug: { msg: hi }
`);
    const r = await run('-e', 'target=db');
    expect(Object.keys(r.recap!)).toEqual(['d1']);
  });

  it('max_fail_percentage stops later batches', async () => {
    const { dir, run } = await setup(`
- hosts: web
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - command: "false"
      when: inventory_hostname == 'w1'
    - copy: { content: "x", dest: "$DIR/{{ inventory_hostname }}" }
`);
    const r = await run();
    expect(r.code).toBe(2);
    expect(Object.keys(r.recap!)).toEqual(['w1']);
    expect(await exists(join(dir, 'w2'))).toBe(false);
  });

  it('any_errors_fatal stops every host', async () => {
    const { dir, run } = await setup(`
- hosts: web
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - command: "false"
      when: inventory_hostname == 'w2'
    - copy: { content: "x", dest: "$DIR/{{ inventory_hostname }}" }
`);
    const r = await run();
    expect(r.code).toBe(2);
    expect(await exists(join(dir, 'w1'))).toBe(false);
  });
});

describe('task keywords', () => {
  it('loop, register, when, until and changed_when', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  vars:
    names: [a, b, c]
  tasks:
    - copy: { content: "{{ item }}", dest: "$DIR/{{ item }}.txt" }
      loop: "{{ names }}"
      register: written
    - assert:
        that:
          - written.results | length == 3
          - written.changed
          - written.results[1].changed
    - shell: "n=$(cat $DIR/count 2>/dev/null || echo 0); echo $((n+1)) > $DIR/count; cat $DIR/count"
      register: counter
      until: counter.stdout | int >= 3
      retries: 5
      delay: 0
      changed_when: false
    - assert: { that: "counter.attempts == 3" }
    - command: echo skipped
      when: "'z' in names"
      register: s
    - assert: { that: [s is skipped] }
`);
    const r = await run();
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('b');
    expect(await readFile(join(dir, 'count'), 'utf8')).toBe('3\n');
  });

  it('templated retries/delay, forgiven failures, run_once failures, computed values, loop items', async () => {
    const { run } = await setup(`
- hosts: web
  gather_facts: false
  vars:
    tries: 2
    pause: 0
    hosts_list: "{{ groups.web | map('upper') | list }}"
  tasks:
    - command: "false"
      register: f
      until: f.rc == 0
      retries: "{{ tries }}"
      delay: "{{ pause }}"
      ignore_errors: true
    - assert: { that: [f.attempts == 3, f is failed] }
    - name: until decides alone
      shell: echo other error >&2; exit 1
      register: g
      until: "'unhealthy' not in g.stderr"
      retries: 5
      delay: 0
      ignore_errors: true
    - assert: { that: [g.attempts == 1, g is failed] }
    - name: forgiven
      command: "false"
      changed_when: false
      failed_when: false
    - debug: { msg: "{{ item }}" }
      loop: [a, b]
      register: looped
    - assert:
        that:
          - hosts_list == ['W1', 'W2', 'W3']
          - looped.results | map(attribute='item') | list == ['a', 'b']
    - name: once
      command: "false"
      run_once: true
    - name: never
      debug: { msg: unreachable }
`);
    const r = await run();
    expect(resultsOf(r, 'forgiven').w1!.status).toBe('ok');
    for (const h of ['w1', 'w2', 'w3']) expect(r.recap![h]).toMatchObject({ failed: 1, ignored: 2 });
    expect(resultsOf(r, 'never')).toEqual({});
    expect(r.code).toBe(2);
  });

  it('meta: end_play ends this play only, and only when its condition holds', async () => {
    const { dir, run } = await setup(`
- hosts: web
  gather_facts: false
  serial: 1
  tasks:
    - meta: end_play
      when: false
    - copy: { content: "1", dest: "$DIR/{{ inventory_hostname }}.first" }
    - meta: end_play
      when: inventory_hostname == 'w1'
    - copy: { content: "x", dest: "$DIR/{{ inventory_hostname }}.never" }
- hosts: db
  gather_facts: false
  tasks:
    - copy: { content: "2", dest: "$DIR/second-play" }
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await exists(join(dir, 'w1.first'))).toBe(true);
    expect(await exists(join(dir, 'w1.never'))).toBe(false);
    expect(await exists(join(dir, 'w2.first'))).toBe(false);
    expect(await exists(join(dir, 'second-play'))).toBe(true);
  });

  it('registered output is data, never a template; --limit must match a host', async () => {
    const { run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - shell: printf '%s' 'a {''{ nope }} b'
      register: out
      changed_when: false
    - assert: { that: ["out.stdout == 'a {' ~ '{ nope }} b'", "ansible_limit == 'w1'"] }
`);
    expect((await run('--limit', 'w1')).code).toBe(0);
    const none = await run('--limit', 'nosuchhost');
    expect(none.code).toBe(1);
    expect(none.err.join('\n')).toMatch(/--limit 'nosuchhost' matches no host/);
  });

  it('tags and skip-tags select tasks', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - copy: { content: "1", dest: "$DIR/one" }
      tags: [one]
    - copy: { content: "2", dest: "$DIR/two" }
      tags: [two]
    - copy: { content: "a", dest: "$DIR/always" }
      tags: [always]
`);
    await run('--tags', 'one');
    expect(await exists(join(dir, 'one'))).toBe(true);
    expect(await exists(join(dir, 'two'))).toBe(false);
    expect(await exists(join(dir, 'always'))).toBe(true);
    await run('--skip-tags', 'one');
    expect(await exists(join(dir, 'two'))).toBe(true);
  });

  it('run_once runs on one host and registers for all', async () => {
    const { dir, run } = await setup(`
- hosts: web
  gather_facts: false
  tasks:
    - shell: echo {{ inventory_hostname }} >> $DIR/once
      register: o
      run_once: true
    - assert: { that: "o.rc == 0" }
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'once'), 'utf8')).toBe('w1\n');
  });

  it('an undefined variable fails that host naming the variable and file:line', async () => {
    const { run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - name: uses a missing var
      copy: { content: "{{ nope }}", dest: /tmp/never }
`);
    const r = await run();
    expect(r.code).toBe(2);
    const msg = resultsOf(r, 'uses a missing var').w1!.msg!;
    expect(msg).toContain('nope');
    expect(msg).toMatch(/play\.yml:\d+/);
  });
});

describe('check mode, diff and idempotence', () => {
  it('--check --diff reports changes with a diff and changes nothing; a second run changes nothing', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - copy: { content: "new\\n", dest: "$DIR/f.txt" }
    - command: touch $DIR/touched
`, { 'f.txt': 'old\n' });
    const c = await run('--check', '--diff');
    expect(c.code).toBe(0);
    const res = c.events.find((e) => e.event === 'host_result' && e.diff) as { diff: Array<{ before: string; after: string }> };
    expect(res.diff[0]).toMatchObject({ before: 'old\n', after: 'new\n' });
    expect(await readFile(join(dir, 'f.txt'), 'utf8')).toBe('old\n');
    expect(await exists(join(dir, 'touched'))).toBe(false);
    expect(c.recap!.w1).toMatchObject({ changed: 1, skipped: 1 });
    await run();
    const again = await run();
    expect(again.recap!.w1!.changed).toBe(1); // the command always runs
    expect(await readFile(join(dir, 'f.txt'), 'utf8')).toBe('new\n');
  });

  it('ends with the exact recap line', async () => {
    const { run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - debug: { msg: hi }
`);
    const r = await run();
    expect(r.out.at(-1)).toBe('{"event":"recap","hosts":{"w1":{"ok":1,"changed":0,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0}}}');
  });
});
