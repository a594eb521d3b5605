import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/** kubeadm-init and kubeadm-join-cp on 3 lab hosts (stacked etcd) through the kubeadm and kube-apiserver stand-ins. */
describe('molecule kubeadm-cp', () => {
  it('passes create → prepare → converge → idempotence → verify → destroy', async () => {
    const log = await moleculeTest('kubeadm-cp');
    expect(log).toContain('TASK kubeadm-init : kubeadm init');
    expect(log).toContain('TASK kubeadm-join-cp : kubeadm join');
    expect(log).toContain('second converge: changed=0');
    expect(log).toMatch(/verify done in/);
  }, 900_000);
});
