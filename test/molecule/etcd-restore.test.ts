import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';
import { moleculeTest } from '../support/molecule.ts';

/**
 * etcd-backup.yml, etcd-restore.yml and etcd-defrag.yml on 3 control-plane lab hosts (stacked
 * etcd, apiserver stand-in, haproxy + keepalived co-located) under a client loop through the
 * VIP: keys and a ConfigMap written, backed up; the restore refused without the token (nothing
 * changed, no request failed), run over the running cluster (the outage measured and bounded),
 * then after every member's data was destroyed: every key back, the ConfigMap read through the
 * VIP, old data dirs aside; defrag one member at a time, leader last, no request failing.
 */
describe('molecule etcd-restore', () => {
  it('passes create → converge → idempotence → side_effect → verify → destroy', async () => {
    const log = await moleculeTest('etcd-restore');
    // the scenario's figures (its debug lines), for the README
    console.log(log.split('\n').filter((l) => /^ {4}\[/.test(l) && !/"figures"|action_output/.test(l)).join('\n'));
    const figures = JSON.parse(await readFile(`${workDir(await loadScenario('etcd-restore'))}-figures.json`, 'utf8')) as Record<
      string,
      { failed: number; requests: number; longest_gap_s: number; first_failure_s: number | null; last_failure_s: number | null; action_s: number }
    >;
    const rows = Object.entries(figures).map(([phase, f]) =>
      `${phase}: ${f.requests} requests, ${f.failed} failed (first ${f.first_failure_s} s, last ${f.last_failure_s} s after the start), longest gap ${f.longest_gap_s} s, run ${f.action_s} s`);
    console.log(`etcd-restore figures through the VIP:\n  ${rows.join('\n  ')}`);
    expect(figures['restore without the token']?.failed).toBe(0);
    expect(figures['restore over the running cluster']?.failed).toBeGreaterThan(0);
    expect(figures['restore over the running cluster']?.longest_gap_s).toBeLessThanOrEqual(10);
    expect(figures.defrag?.failed).toBe(0);
    expect(log).toMatch(/restore took [0-9.]+s/);
    expect(log).toMatch(/h2: restored from .*etcd-snapshot-.*; the old data dir is \/var\/lib\/etcd\/data\.before-restore-/);
    expect(log).toMatch(/reclaimed [0-9]+ bytes/);
    expect(log).toMatch(/side_effect done in[\s\S]*verify done in/);
  }, 900_000);
});
