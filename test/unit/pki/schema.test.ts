import { describe, expect, it } from 'vitest';
import { pkiModule } from '../../../engine/modules/pki.ts';
import { validate } from '../../../engine/schemas/ajv.ts';

const hosts = [{ name: 'cp1', addresses: ['10.0.0.11'] }];

describe('pki argument schema', () => {
  it.each([
    [{ dir: '/x' }],
    [{ dir: '/x', kubeadm: { etcd_members: hosts, control_plane: hosts, endpoints: ['lb:6443'] }, rotate: 'all', key_size: 4096 }],
    [{ dir: '/x', cas: [{ name: 'ca', cn: 'c' }], certs: [{ name: 'l', ca: 'ca', cn: 'l', usages: ['server'], sans: { ips: ['1.2.3.4'] } }], rotate: ['l'] }],
  ])('accepts %j', (args) => {
    expect(validate(pkiModule.schema, args, 'pki')).toEqual([]);
  });

  it.each([
    [{}],
    [{ dir: '/x', key_size: 1024 }],
    [{ dir: '/x', rotate: 'some' }],
    [{ dir: '/x', certs: [{ name: 'l', ca: 'ca', cn: 'l', usages: ['peer'] }] }],
    [{ dir: '/x', certs: [{ name: 'l', ca: 'ca', cn: 'l', usages: [] }] }],
    [{ dir: '/x', kubeadm: { etcd_members: hosts } }],
    [{ dir: '/x', renew_before_days: -1 }],
    [{ dir: '/x', typo: true }],
  ])('rejects %j', (args) => {
    expect(validate(pkiModule.schema, args, 'pki').length).toBeGreaterThan(0);
  });
});
