import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';

/**
 * 3 → 5 → 3 on 5 lab hosts: etcd-add-member for h4 and h5 (learner join, promote), five
 * healthy voting members with the data, then etcd-remove-member for h5 and h4 (refused without
 * a single-host limit), three healthy members left, the removed hosts cleaned up; second runs
 * of both playbooks change nothing.
 */
describe('molecule etcd-scale', () => {
  it('adds two members, then removes them again', async () => {
    const timings = join(workDir(await loadScenario('etcd-scale')), 'timings.txt');
    await rm(timings, { force: true });
    const log = await moleculeTest('etcd-scale');
    expect(log).toContain('second converge: changed=0');
    expect(log).toContain('TASK Add h4');
    expect(log).toContain('TASK Remove h4');
    expect(log).toMatch(/verify done in/);
    const t = await readFile(timings, 'utf8');
    console.log(`etcd-scale timings:\n${t}`);
    for (const step of [/^add h4: [0-9.]+s$/m, /^add h5: [0-9.]+s$/m, /^remove h5 \(leader\): [0-9.]+s$/m, /^remove h4: [0-9.]+s$/m]) expect(t).toMatch(step);
  }, 1_800_000);
});
