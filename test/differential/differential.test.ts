import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasAnsible } from './ansible.ts';
import { HERE, loadCases } from './cases.ts';
import { startAll } from './jobs.ts';

// The same inventories, host patterns and plays through Debian's ansible-core and through hap.
// A case marked in cases/differences.yml must still differ (so the marker goes once it is fixed).
if (!(await hasAnsible())) throw new Error('the differential suite needs ansible-core and the json callback of ansible.posix (.ci/apt-packages): apt-get install ansible-core ansible');

const cases = loadCases();
const root = mkdtempSync(join(tmpdir(), 'hap-differential-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const results = startAll(root, cases);
const readme = readFileSync(join(HERE, '../../README.md'), 'utf8');

describe.each(cases)('$id', (c) => {
  it(c.difference ? `differs: ${c.difference}` : c.pending ? `pending: ${c.pending}` : 'is the same as ansible-core 2.14', async () => {
    const { ansible, hap } = await results.get(c.id)!;
    if (c.difference) {
      expect(readme, `README's differences table has no row '${c.difference}'`).toContain(`| ${c.difference} |`);
      expect(hap, 'now the same as Ansible: remove the marker in cases/differences.yml').not.toEqual(ansible);
    } else if (c.pending) {
      expect(hap, 'now the same as Ansible: remove the pending marker in cases/differences.yml').not.toEqual(ansible);
    } else expect(hap).toEqual(ansible);
  }, 600_000);
});
