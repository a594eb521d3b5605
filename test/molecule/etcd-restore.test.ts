import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/**
 * etcd-backup.yml, etcd-restore.yml and etcd-defrag.yml on 3 lab hosts: keys written, backed
 * up, every member's data destroyed; the restore refused without the token (nothing changed),
 * then run: every key back, old data dirs aside; defrag one member at a time, leader last.
 */
describe('molecule etcd-restore', () => {
  it('passes create → converge → idempotence → side_effect → verify → destroy', async () => {
    const log = await moleculeTest('etcd-restore');
    // the scenario's figures (its debug lines), for the README
    console.log(log.split('\n').filter((l) => /^ {4}\[/.test(l)).join('\n'));
    expect(log).toContain('TASK Without the token');
    expect(log).toMatch(/restore took [0-9.]+s/);
    expect(log).toMatch(/h2: restored from .*etcd-snapshot-.*; the old data dir is \/var\/lib\/etcd\/data\.before-restore-/);
    expect(log).toMatch(/reclaimed [0-9]+ bytes/);
    expect(log).toMatch(/side_effect done in[\s\S]*verify done in/);
  }, 900_000);
});
