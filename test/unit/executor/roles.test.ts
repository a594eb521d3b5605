import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, LOCAL_INVENTORY, project, resultsOf } from '../../support/project.ts';

const exists = (p: string) => access(p).then(() => true, () => false);

const ROLE = {
  'roles/base/defaults/main.yml': 'base_word: default\nbase_dir: $DIR/out\n',
  'roles/base/tasks/main.yml': '- file: { path: "{{ base_dir }}", state: directory }\n',
  'roles/app/defaults/main.yml': 'app_port: 80\n',
  'roles/app/meta/main.yml': 'dependencies: [base]\nargument_specs:\n  main:\n    options:\n      app_port: { type: int, required: true }\n',
  'roles/app/tasks/main.yml': '- name: app conf\n  template: { src: app.conf.hbs, dest: "{{ base_dir }}/{{ inventory_hostname }}.conf" }\n  notify: app changed\n- import_tasks: extra.yml\n',
  'roles/app/tasks/extra.yml': '- copy: { content: "{{ base_word }}", dest: "{{ base_dir }}/{{ inventory_hostname }}.word" }\n',
  'roles/app/tasks/other.yml': '- copy: { content: "other {{ app_port }}", dest: "{{ base_dir }}/other" }\n',
  'roles/app/templates/app.conf.hbs': 'port={{app_port}} role={{role_name}}\n',
  'roles/app/handlers/main.yml': '- name: app changed\n  copy: { content: "x", dest: "{{ base_dir }}/{{ inventory_hostname }}.handled" }\n',
};

async function setup(playbook: string, extra: Record<string, string> = {}) {
  const p = await project({ 'inv.yml': LOCAL_INVENTORY, 'play.yml': playbook, ...ROLE, ...extra });
  const run = (...args: string[]) => hap('run', join(p.dir, 'play.yml'), '-i', join(p.dir, 'inv.yml'), '--output', 'json', ...args);
  return { dir: p.dir, run };
}

describe('roles', () => {
  it('runs dependencies first, role templates, imports and role handlers; role params beat defaults', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  roles:
    - role: app
      app_port: 8080
`);
    const r = await run();
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'out/w1.conf'), 'utf8')).toBe('port=8080 role=app\n');
    expect(await readFile(join(dir, 'out/w1.word'), 'utf8')).toBe('default');
    expect(await exists(join(dir, 'out/w1.handled'))).toBe(true);
    expect((await run()).recap!.w1!.changed).toBe(0);
  });

  it('validates role arguments before the role runs', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  roles:
    - role: app
      app_port: not-a-number
`);
    const r = await run();
    expect(r.code).toBe(2);
    const msgs = r.events.filter((e) => e.event === 'host_result' && e.status === 'failed').map((e) => (e as { msg: string }).msg);
    expect(msgs.join('\n')).toMatch(/role 'app' arguments are invalid: .*app_port.* must be integer/);
    expect(await exists(join(dir, 'out/w1.conf'))).toBe(false);
  });

  it('accepts an int argument written as text, as Ansible does (-e app_port=8080 is a string)', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  roles:
    - role: app
      app_port: "8080"
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'out/w1.conf'), 'utf8')).toBe('port=8080 role=app\n');
  });

  it("checks the argument spec of the entry point run, as Ansible does: main's not for tasks_from", async () => {
    const spec = 'argument_specs:\n  main:\n    options:\n      app_port: { type: int, required: true }\n  other:\n    options:\n      other_word: { type: str, required: true }\n';
    const { dir, run } = await setup(
      `
- hosts: w1
  gather_facts: false
  tasks:
    - include_role: { name: app, tasks_from: other }
      vars: { app_port: "not main's business" }
`,
      { 'roles/app/meta/main.yml': `dependencies: [base]\n${spec}` },
    );
    const r = await run();
    expect(r.code).toBe(2);
    const msgs = r.events.filter((e) => e.event === 'host_result' && e.status === 'failed').map((e) => (e as { msg: string }).msg);
    expect(msgs.join('\n')).toMatch(/role 'app' arguments are invalid: .*other_word/);
    expect(msgs.join('\n')).not.toMatch(/app_port/);
    expect(await exists(join(dir, 'out/other'))).toBe(false);
  });

  it('runs a role of `roles:` once per play, but each import_role and include_role every time, as Ansible', async () => {
    const count = { 'roles/count/tasks/main.yml': '- shell: echo x >> $DIR/count.txt\n' };
    const { dir, run } = await setup(
      `
- hosts: w1
  gather_facts: false
  roles: [count, count]
  tasks:
    - include_role: { name: count }
    - include_role: { name: count }
    - import_role: { name: count }
`,
      count,
    );
    expect((await run()).code).toBe(0);
    expect((await readFile(join(dir, 'count.txt'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(4);
    const dup = await setup('- hosts: w1\n  gather_facts: false\n  roles: [count, count]\n', { ...count, 'roles/count/meta/main.yml': 'allow_duplicates: true\n' });
    expect((await dup.run()).code).toBe(0);
    expect((await readFile(join(dup.dir, 'count.txt'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('include_role with tasks_from and vars, import_role', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - import_role: { name: base }
    - include_role:
        name: app
        tasks_from: other
      vars:
        app_port: 99
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'out/other'), 'utf8')).toBe('other 99');
  });
});

describe('task context', () => {
  it("delegate_to runs elsewhere with the host's own variables; environment reaches commands", async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  environment: { HAP_PLAY_ENV: play }
  tasks:
    - shell: echo "$HAP_PLAY_ENV $HAP_TASK_ENV {{ inventory_hostname }}" > $DIR/env.txt
      environment: { HAP_TASK_ENV: task }
      delegate_to: w2
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'env.txt'), 'utf8')).toBe('play task w1\n');
    expect(resultsOf(r, 'shell').w1!.delegatedTo).toBe('w2');
  });

  it('check_mode: true on a task plans only, even in a normal run', async () => {
    const { dir, run } = await setup(`
- hosts: w1
  gather_facts: false
  tasks:
    - copy: { content: "x", dest: "$DIR/never" }
      check_mode: true
`);
    const r = await run();
    expect(r.code).toBe(0);
    expect(await exists(join(dir, 'never'))).toBe(false);
  });
});
