import { describe, expect, it } from 'vitest';
import { firstServiceIp, hostFiles, kubeadmLayout, KUBEADM_DEFAULTS, type KubeadmLayoutInput } from '../../../engine/pki/kubeadm.ts';

const input: KubeadmLayoutInput = {
  ...KUBEADM_DEFAULTS,
  kubeletClientOrganization: ['kubeadm:cluster-admins'],
  apiserverEtcdClientOrganization: [],
  etcdMembers: [
    { name: 'cp1', addresses: ['10.0.0.11'] },
    { name: 'cp2', addresses: ['10.0.0.12', 'fd00::12'] },
  ],
  controlPlane: [
    { name: 'cp1', addresses: ['10.0.0.11'] },
    { name: 'cp2', addresses: ['10.0.0.12', 'fd00::12'] },
  ],
  endpoints: ['10.0.0.100:6443', 'api.example.com'],
  extraApiserverSans: ['Extra.Example.com'],
};

describe.each([
  ['10.96.0.0/12', '10.96.0.1'],
  ['10.96.5.7/12', '10.96.0.1'],
  ['192.168.0.0/16', '192.168.0.1'],
  ['fd00:10:96::/112', 'fd00:10:96::1'],
  ['fd00:0:0:0:0:0:0:0/108', 'fd00::1'],
])('firstServiceIp(%s)', (cidr, ip) => {
  it(`is ${ip}`, () => expect(firstServiceIp(cidr)).toBe(ip));
});

describe('firstServiceIp errors', () => {
  it.each(['10.96.0.0', '10.96.0.0/32', 'x/12', '10.96.0.0/abc'])('rejects %s', (cidr) => {
    expect(() => firstServiceIp(cidr)).toThrow(/invalid service CIDR/);
  });
});

describe('kubeadmLayout', () => {
  const { cas, certs } = kubeadmLayout(input);
  const byName = new Map(certs.map((c) => [c.name, c]));

  it('has kubeadm CAs and every leaf, etcd ones per host', () => {
    expect(cas.map((c) => [c.name, c.cn])).toEqual([
      ['ca', 'kubernetes-ca'],
      ['etcd/ca', 'etcd-ca'],
      ['front-proxy-ca', 'kubernetes-front-proxy-ca'],
    ]);
    expect([...byName.keys()].sort()).toEqual(
      [
        'apiserver',
        'apiserver-etcd-client',
        'apiserver-kubelet-client',
        'etcd/healthcheck-client',
        'etcd/peer-cp1',
        'etcd/peer-cp2',
        'etcd/server-cp1',
        'etcd/server-cp2',
        'front-proxy-client',
      ].sort(),
    );
  });

  it('etcd member certs carry the host names and loopbacks', () => {
    const s = byName.get('etcd/server-cp2');
    expect(s).toMatchObject({ ca: 'etcd/ca', cn: 'cp2', usages: ['server', 'client'] });
    expect(s?.sans.dns.sort()).toEqual(['cp2', 'localhost']);
    expect(s?.sans.ips.sort()).toEqual(['10.0.0.12', '127.0.0.1', '::1', 'fd00::12'].sort());
    expect(byName.get('etcd/peer-cp2')?.sans).toEqual(s?.sans);
  });

  it('apiserver SANs: endpoint without port, every control plane, service names and IP', () => {
    const a = byName.get('apiserver');
    expect(a?.usages).toEqual(['server']);
    expect(a?.sans.dns.sort()).toEqual(
      ['api.example.com', 'cp1', 'cp2', 'extra.example.com', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'].sort(),
    );
    expect(a?.sans.ips.sort()).toEqual(['10.0.0.100', '10.0.0.11', '10.0.0.12', '10.96.0.1', 'fd00::12'].sort());
  });

  it('client certs: usages, issuers and organizations', () => {
    expect(byName.get('apiserver-kubelet-client')).toMatchObject({ ca: 'ca', usages: ['client'], organization: ['kubeadm:cluster-admins'] });
    expect(byName.get('apiserver-etcd-client')).toMatchObject({ ca: 'etcd/ca', usages: ['client'], organization: [] });
    expect(byName.get('front-proxy-client')).toMatchObject({ ca: 'front-proxy-ca', usages: ['client'] });
    expect(byName.get('etcd/healthcheck-client')).toMatchObject({ ca: 'etcd/ca', usages: ['client'] });
  });
});

describe('hostFiles', () => {
  const layout = {
    etcdMembers: [{ name: 'e1', addresses: [] }, { name: 'cp1', addresses: [] }],
    controlPlane: [{ name: 'cp1', addresses: [] }, { name: 'cp2', addresses: [] }],
  };
  const dests = (h: string) => hostFiles(layout, h).map((f) => f.dest).sort();

  it('an etcd-only host gets its own certs under kubeadm names, no CA keys', () => {
    const files = hostFiles(layout, 'e1');
    expect(files).toContainEqual({ src: 'etcd/server-e1.crt', dest: 'etcd/server.crt', mode: '0644' });
    expect(files).toContainEqual({ src: 'etcd/peer-e1.key', dest: 'etcd/peer.key', mode: '0600' });
    expect(dests('e1')).not.toContain('etcd/ca.key');
    expect(dests('e1')).not.toContain('apiserver.crt');
    expect(files.some((f) => f.src.includes('cp1'))).toBe(false);
  });

  it('a stacked control plane gets the shared CA keys including etcd/ca.key', () => {
    expect(dests('cp1')).toEqual(expect.arrayContaining(['ca.key', 'front-proxy-ca.key', 'etcd/ca.key', 'sa.key', 'sa.pub', 'apiserver.crt', 'etcd/server.crt']));
  });

  it('a control plane with external etcd gets no etcd member certs or etcd CA key', () => {
    expect(dests('cp2')).toContain('apiserver-etcd-client.key');
    expect(dests('cp2')).toContain('etcd/ca.crt');
    expect(dests('cp2')).not.toContain('etcd/ca.key');
    expect(dests('cp2')).not.toContain('etcd/server.crt');
  });

  it('a load balancer gets the cluster CA certificate only; a host in no list gets nothing', () => {
    expect(hostFiles({ ...layout, caOnly: ['lb1'] }, 'lb1')).toEqual([{ src: 'ca.crt', dest: 'ca.crt', mode: '0644' }]);
    expect(hostFiles({ ...layout, caOnly: ['lb1'] }, 'lb2')).toEqual([]);
    expect(dests('cp2').filter((d) => d === 'ca.crt')).toHaveLength(1);
  });

  it('keys are 0600 and everything else 0644', () => {
    for (const f of hostFiles(layout, 'cp1')) expect(f.mode).toBe(f.dest.endsWith('.key') ? '0600' : '0644');
  });
});
