import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/**
 * cert-renew.yml on 3 control-plane lab hosts (stacked etcd, apiserver stand-in) whose h1 and
 * h2 etcd certificates and the apiserver certificate expire within the threshold: --check
 * lists and changes nothing; the run re-issues only those, restarts etcd on h1 and h2 and the
 * apiserver on all three, one node at a time under the quorum guard; a writer through all
 * etcd endpoints and a /readyz reader over the apiservers see no failure.
 */
describe('molecule cert-renew', () => {
  it('passes create → converge → idempotence → side_effect → verify → destroy', async () => {
    const log = await moleculeTest('cert-renew');
    // the scenario's figures (its debug lines), for the README
    console.log(log.split('\n').filter((l) => /^ {4}\[/.test(l)).join('\n'));
    expect(log).toMatch(/etcd\/server-h1 expires .* — RENEW \(expires/);
    expect(log).toMatch(/h3: restarted kube-apiserver-standin/);
    expect(log).toMatch(/readyz_ok=[0-9]+ failed=0 longest_gap_s=[0-9.]+/);
    expect(log).toMatch(/acked=[0-9]+ failed=0 longest_gap_s=[0-9.]+/);
    expect(log).toMatch(/side_effect done in[\s\S]*verify done in/);
  }, 900_000);
});
