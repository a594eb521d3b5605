import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';
import { moleculeTest } from '../support/molecule.ts';

/**
 * cert-renew.yml on 3 control-plane lab hosts (stacked etcd, apiserver stand-in, haproxy +
 * keepalived co-located, the VIP on 8443) whose h1 and h2 etcd certificates and the apiserver
 * certificate expire within the threshold: --check lists and changes nothing; the run re-issues
 * only those, restarts etcd on h1 and h2 and the apiserver on all three, one node at a time
 * under the quorum guard, each apiserver out of haproxy while it restarts; a client on the
 * controller reading through the VIP sees no failure, and a writer through the etcd endpoints
 * (putting again a put a restart cut in flight, as etcd clients do) has every put acknowledged
 * and loses none.
 */
describe('molecule cert-renew', () => {
  it('passes create → converge → idempotence → side_effect → verify → destroy', async () => {
    const log = await moleculeTest('cert-renew');
    // the scenario's figures (its debug lines), for the README
    console.log(log.split('\n').filter((l) => /^ {4}\[/.test(l) && !/action_output/.test(l)).join('\n'));
    const vip = (JSON.parse(await readFile(`${workDir(await loadScenario('cert-renew'))}-figures.json`, 'utf8')) as Record<
      string,
      { requests: number; failed: number; resets_retried: number; longest_gap_s: number; action_s: number }
    >)['cert-renew']!;
    console.log(`cert-renew through the VIP: ${vip.requests} requests, ${vip.failed} failed, ${vip.resets_retried} resets retried, longest gap ${vip.longest_gap_s} s, run ${vip.action_s} s`);
    expect(vip.failed).toBe(0);
    expect(vip.requests).toBeGreaterThan(100);
    expect(log).toMatch(/etcd\/server-h1 expires .* — RENEW \(expires/);
    expect(log).toMatch(/h3: restarted kube-apiserver-standin/);
    expect(log).toMatch(/"writer_seen":\{"acked":[0-9]+,"last":[0-9]+,"failed_attempts":[0-9]+,"longest_gap_s":[0-9.]+/);
    expect(log).toMatch(/side_effect done in[\s\S]*verify done in/);
  }, 900_000);
});
