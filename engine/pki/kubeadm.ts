import { isIP } from 'node:net';
import { canonicalIp } from './inspect.ts';
import type { CaSpec, CertSpec } from './types.ts';

/** One host of the cluster as the PKI sees it: its inventory name and every address. */
export interface PkiHost {
  name: string;
  addresses: string[];
}

export interface KubeadmLayoutInput {
  etcdMembers: PkiHost[];
  controlPlane: PkiHost[];
  /** The API endpoint: VIP and/or load-balancer DNS name (a `:port` suffix is dropped). */
  endpoints: string[];
  serviceCidr: string;
  clusterDomain: string;
  /** More apiserver SANs (DNS names or IPs), like ClusterConfiguration apiServer.certSANs. */
  extraApiserverSans: string[];
  caDays: number;
  certDays: number;
  /** kubeadm ≥ 1.29 uses `kubeadm:cluster-admins`; older releases `system:masters`. */
  kubeletClientOrganization: string[];
  /** kubeadm ≥ 1.29 sets none; older releases `system:masters`. */
  apiserverEtcdClientOrganization: string[];
}

export const KUBEADM_DEFAULTS = {
  serviceCidr: '10.96.0.0/12',
  clusterDomain: 'cluster.local',
  caDays: 3650,
  certDays: 365,
  kubeletClientOrganization: ['kubeadm:cluster-admins'],
  apiserverEtcdClientOrganization: [] as string[],
} as const;

/** The certificates kubeadm expects, with per-host etcd certs named `etcd/server-<host>`. */
export function kubeadmLayout(input: KubeadmLayoutInput): { cas: CaSpec[]; certs: CertSpec[] } {
  const cas: CaSpec[] = [
    { name: 'ca', cn: 'kubernetes-ca', days: input.caDays },
    { name: 'etcd/ca', cn: 'etcd-ca', days: input.caDays },
    { name: 'front-proxy-ca', cn: 'kubernetes-front-proxy-ca', days: input.caDays },
  ];
  const days = input.certDays;
  const certs: CertSpec[] = [];
  for (const h of input.etcdMembers) {
    const sans = splitSans([h.name, 'localhost', ...h.addresses, '127.0.0.1', '::1']);
    const member = { ca: 'etcd/ca', cn: h.name, sans, usages: ['server', 'client'] as const, days };
    certs.push({ ...member, name: `etcd/server-${h.name}`, usages: [...member.usages] });
    certs.push({ ...member, name: `etcd/peer-${h.name}`, usages: [...member.usages] });
  }
  const noSans = { dns: [], ips: [] };
  certs.push(
    { name: 'etcd/healthcheck-client', ca: 'etcd/ca', cn: 'kube-etcd-healthcheck-client', sans: noSans, usages: ['client'], days },
    {
      name: 'apiserver-etcd-client',
      ca: 'etcd/ca',
      cn: 'kube-apiserver-etcd-client',
      organization: input.apiserverEtcdClientOrganization,
      sans: noSans,
      usages: ['client'],
      days,
    },
  );
  const domain = input.clusterDomain;
  const apiserverSans = splitSans([
    ...input.endpoints.map(stripPort),
    ...input.controlPlane.flatMap((h) => [h.name, ...h.addresses]),
    'kubernetes',
    'kubernetes.default',
    'kubernetes.default.svc',
    `kubernetes.default.svc.${domain}`,
    firstServiceIp(input.serviceCidr),
    ...input.extraApiserverSans,
  ]);
  certs.push(
    { name: 'apiserver', ca: 'ca', cn: 'kube-apiserver', sans: apiserverSans, usages: ['server'], days },
    {
      name: 'apiserver-kubelet-client',
      ca: 'ca',
      cn: 'kube-apiserver-kubelet-client',
      organization: input.kubeletClientOrganization,
      sans: noSans,
      usages: ['client'],
      days,
    },
    { name: 'front-proxy-client', ca: 'front-proxy-ca', cn: 'front-proxy-client', sans: noSans, usages: ['client'], days },
  );
  return { cas, certs };
}

/** A file a host needs: `src` relative to the controller's PKI dir, `dest` to /etc/kubernetes/pki. */
export interface HostFile {
  src: string;
  dest: string;
  mode: '0600' | '0644';
}

/** Only the files `host` needs, with per-host etcd certs renamed to kubeadm's names. */
export function hostFiles(input: Pick<KubeadmLayoutInput, 'etcdMembers' | 'controlPlane'> & { caOnly?: string[] }, host: string): HostFile[] {
  const files: HostFile[] = [];
  const pair = (src: string, dest = src): void => {
    files.push({ src: `${src}.crt`, dest: `${dest}.crt`, mode: '0644' }, { src: `${src}.key`, dest: `${dest}.key`, mode: '0600' });
  };
  const isEtcd = input.etcdMembers.some((h) => h.name === host);
  const isControlPlane = input.controlPlane.some((h) => h.name === host);
  if (isEtcd || isControlPlane) files.push({ src: 'etcd/ca.crt', dest: 'etcd/ca.crt', mode: '0644' });
  if (!isControlPlane && input.caOnly?.includes(host)) files.push({ src: 'ca.crt', dest: 'ca.crt', mode: '0644' });
  if (isEtcd) {
    pair(`etcd/server-${host}`, 'etcd/server');
    pair(`etcd/peer-${host}`, 'etcd/peer');
    pair('etcd/healthcheck-client');
  }
  if (isControlPlane) {
    // kubeadm join --control-plane checks the shared CA keys are present (etcd's only when stacked)
    pair('ca');
    pair('front-proxy-ca');
    if (isEtcd) files.push({ src: 'etcd/ca.key', dest: 'etcd/ca.key', mode: '0600' });
    files.push({ src: 'sa.key', dest: 'sa.key', mode: '0600' }, { src: 'sa.pub', dest: 'sa.pub', mode: '0644' });
    pair('apiserver');
    pair('apiserver-kubelet-client');
    pair('apiserver-etcd-client');
    pair('front-proxy-client');
  }
  return files;
}

/** The service CIDR's first usable address (the `kubernetes` Service ClusterIP). */
export function firstServiceIp(cidr: string): string {
  const [addr = '', lenText = ''] = cidr.split('/');
  const family = isIP(addr);
  const len = Number(lenText);
  const bits = family === 4 ? 32 : 128;
  if (family === 0 || !/^\d+$/.test(lenText) || len > bits - 1) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  const value = family === 4 ? ipv4ToBig(addr) : ipv6ToBig(canonicalIp(addr));
  const mask = ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
  const first = (value & mask) + 1n;
  return family === 4 ? bigToIpv4(first) : bigToIpv6(first);
}

function splitSans(values: string[]): { dns: string[]; ips: string[] } {
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const v of values) {
    if (isIP(v)) ips.add(canonicalIp(v));
    else if (v) dns.add(v.toLowerCase());
  }
  return { dns: [...dns], ips: [...ips] };
}

function stripPort(endpoint: string): string {
  const v6 = /^\[(.+)\](?::\d+)?$/.exec(endpoint);
  if (v6?.[1]) return v6[1];
  return /^[^:]+:\d+$/.test(endpoint) ? endpoint.replace(/:\d+$/, '') : endpoint;
}

function ipv4ToBig(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function bigToIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

function ipv6ToBig(ip: string): bigint {
  const [head = '', tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function bigToIpv6(v: bigint): string {
  const groups = [...Array(8).keys()].map((i) => ((v >> BigInt(16 * (7 - i))) & 0xffffn).toString(16));
  return canonicalIp(groups.join(':'));
}
