import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/** The pki and etcd roles on 3 lab hosts: TLS cluster, idempotent, one certificate rotated, verified from every member. */
describe('molecule etcd-cluster', () => {
  it('passes create → converge → idempotence → side_effect → verify → destroy', async () => {
    const log = await moleculeTest('etcd-cluster');
    expect(log).toContain('TASK etcd : Initial members start together');
    expect(log).toContain('second converge: changed=0');
    expect(log).toMatch(/side_effect done in[\s\S]*verify done in/);
  }, 900_000);
});
