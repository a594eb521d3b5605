import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labFault, labUp, type LabHost } from '../../engine/lab/index.ts';
import { hap, project, resultsOf } from '../support/project.ts';

/** A host that cannot be reached is UNREACHABLE, leaves the play, and the others go on. */
describe('unreachable host on lab hosts', () => {
  const lab = 't-unreach';
  let inv = '';
  let hosts: LabHost[] = [];

  beforeAll(async () => {
    const up = await labUp({ name: lab, hosts: 3, inventory: `/tmp/hap-${lab}.yml` });
    hosts = up.hosts;
    inv = up.inventoryFile;
  }, 600_000);
  afterAll(async () => {
    await labDown(lab);
  }, 120_000);

  it('kill h3, run a play: h3 unreachable (exit 4), h1/h2 finish every task', async () => {
    await labFault(lab, 'kill', 'h3');
    const p = await project({
      'play.yml': `
- hosts: all
  gather_facts: false
  tasks:
    - name: first
      command: hostname
      changed_when: false
    - name: second
      copy: { content: "x", dest: /tmp/after }
`,
    });
    const t0 = Date.now();
    const r = await hap('run', join(p.dir, 'play.yml'), '-i', inv, '--output', 'json', '-e', 'ansible_ssh_timeout=3', '-e', 'ansible_ssh_retries=0');
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(r.code).toBe(4);
    expect(r.recap!.h3).toMatchObject({ unreachable: 1, ok: 0 });
    expect(r.recap!.h1).toMatchObject({ ok: 2, unreachable: 0, failed: 0 });
    expect(resultsOf(r, 'first').h3!.msg).toMatch(new RegExp(hosts[2]!.address.replace(/\./g, '\\.')));
    expect(resultsOf(r, 'second').h3).toBeUndefined();
  }, 120_000);
});
