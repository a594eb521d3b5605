import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/**
 * cert-renew.yml on 3 lab hosts whose h1 and h2 etcd certificates expire within the
 * threshold: --check lists and changes nothing; the run re-issues only those, restarts h1 and
 * h2 one after the other under the quorum guard; a writer through all endpoints loses nothing.
 */
describe('molecule cert-renew', () => {
  it('passes create → converge → idempotence → side_effect → verify → destroy', async () => {
    const log = await moleculeTest('cert-renew');
    // the scenario's figures (its debug lines), for the README
    console.log(log.split('\n').filter((l) => /^ {4}\[/.test(l)).join('\n'));
    expect(log).toMatch(/etcd\/server-h1 expires .* — RENEW \(expires/);
    expect(log).toMatch(/h3: nothing to restart/);
    expect(log).toMatch(/acked=[0-9]+ failed=0 longest_gap_s=[0-9.]+/);
    expect(log).toMatch(/side_effect done in[\s\S]*verify done in/);
  }, 900_000);
});
