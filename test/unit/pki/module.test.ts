import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FactCache } from '../../../engine/facts/types.ts';
import { pkiModule, type PkiArgs } from '../../../engine/modules/pki.ts';
import type { ModuleContext, Plan } from '../../../engine/modules/types.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';

const root = mkdtempSync(join(tmpdir(), 'hap-pki-'));
const dir = join(root, 'inventories/prod/pki');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function context(): ModuleContext {
  const transport = new LocalTransport('localhost');
  return {
    host: 'localhost',
    transport,
    facts: new FactCache(transport),
    vars: {},
    evaluate: () => {
      throw new Error('not used');
    },
    render: (t) => t,
    findFile: async (_k, name) => name,
    signal: new AbortController().signal,
  };
}

const cp = (n: number) => ({ name: `cp${n}`, addresses: [`10.0.0.1${n}`] });
const base: PkiArgs = {
  dir,
  kubeadm: { etcd_members: [cp(1), cp(2), cp(3)], control_plane: [cp(1), cp(2), cp(3)], endpoints: ['10.0.0.100:6443', 'api.example.com'] },
};

/** Plays the runner: plans, then applies each change in order. */
async function converge(args: PkiArgs): Promise<{ plan: Plan; ms: number }> {
  const started = Date.now();
  const plan = await pkiModule.plan(args, context());
  if (plan.status === 'change') {
    for (const c of plan.changes) {
      const outcome = await c.apply();
      expect(outcome?.failed).toBeUndefined();
    }
  }
  return { plan, ms: Date.now() - started };
}

const file = (rel: string) => join(dir, rel);
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
const digest = (rel: string) => createHash('sha256').update(readFileSync(file(rel))).digest('hex');
const snapshot = (names: string[]) => Object.fromEntries(names.map((n) => [n, digest(`${n}.crt`) + digest(`${n}.key`)]));
const issued = (p: Plan) => (p.result?.issued as string[]).slice().sort();

const ETCD_LEAVES = ['etcd/server-cp1', 'etcd/server-cp2', 'etcd/server-cp3', 'etcd/peer-cp1', 'etcd/peer-cp2', 'etcd/peer-cp3', 'etcd/healthcheck-client', 'apiserver-etcd-client'];
const OTHER_LEAVES = ['apiserver', 'apiserver-kubelet-client', 'front-proxy-client'];
const CAS = ['ca', 'etcd/ca', 'front-proxy-ca'];

describe('pki module round trip (LocalTransport)', () => {
  it('plans without touching the disk (check mode shows the changes)', async () => {
    const plan = await pkiModule.plan(base, context());
    expect(plan.status).toBe('change');
    expect(existsSync(dir)).toBe(false);
    if (plan.status !== 'change') return;
    expect(plan.changes).toHaveLength(3 + 11 + 1);
    for (const c of plan.changes) {
      expect(c.summary).toMatch(/^issue \S+ .*\(.*missing.*\)$/);
      expect(`${c.summary}${c.diff?.before}${c.diff?.after}`).not.toMatch(/PRIVATE KEY|BEGIN/);
    }
    const apiserver = plan.changes.find((c) => c.summary.startsWith('issue apiserver '));
    expect(apiserver?.diff?.after).toContain('IP:10.96.0.1');
  });

  it('first converge issues the full set for 3 control-plane hosts', async () => {
    const { plan, ms } = await converge(base);
    console.log(`pki: issued ${issued(plan).length} items (RSA 2048, 3 control planes) in ${ms} ms`);
    expect(issued(plan)).toEqual([...CAS, ...ETCD_LEAVES, ...OTHER_LEAVES, 'sa'].sort());
    expect(plan.result?.kept).toEqual([]);
    const files = plan.result?.files as Record<string, Array<{ src: string; dest: string }>>;
    expect(files.cp2).toContainEqual({ src: file('etcd/server-cp2.crt'), dest: 'etcd/server.crt', mode: '0644' });
  }, 120_000);

  it('writes keys 0600 and certificates 0644', () => {
    for (const n of [...CAS, ...ETCD_LEAVES, ...OTHER_LEAVES]) {
      expect(statSync(file(`${n}.key`)).mode & 0o777, `${n}.key`).toBe(0o600);
      expect(statSync(file(`${n}.crt`)).mode & 0o777, `${n}.crt`).toBe(0o644);
    }
    expect(statSync(file('sa.key')).mode & 0o777).toBe(0o600);
    expect(statSync(file('sa.pub')).mode & 0o777).toBe(0o644);
    expect(readFileSync(file('ca.key'), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });

  it('openssl verifies every leaf against its CA', () => {
    const caOf = (n: string) => (ETCD_LEAVES.includes(n) ? 'etcd/ca' : n === 'front-proxy-client' ? 'front-proxy-ca' : 'ca');
    for (const n of [...ETCD_LEAVES, ...OTHER_LEAVES]) {
      expect(openssl('verify', '-CAfile', file(`${caOf(n)}.crt`), file(`${n}.crt`)).trim()).toBe(`${file(`${n}.crt`)}: OK`);
    }
    // and a leaf does not verify against a CA that did not sign it
    expect(() => openssl('verify', '-CAfile', file('ca.crt'), file('etcd/server-cp1.crt'))).toThrow();
  });

  it('openssl shows the SANs, usages and subjects kubeadm expects', () => {
    const text = (n: string) => openssl('x509', '-in', file(`${n}.crt`), '-noout', '-subject', '-ext', 'subjectAltName,extendedKeyUsage,basicConstraints,keyUsage');
    const etcd = text('etcd/server-cp1');
    expect(etcd).toMatch(/subject=CN = cp1/);
    expect(etcd).toMatch(/DNS:cp1/);
    expect(etcd).toMatch(/DNS:localhost/);
    expect(etcd).toMatch(/IP Address:10\.0\.0\.11/);
    expect(etcd).toMatch(/IP Address:127\.0\.0\.1/);
    expect(etcd).toMatch(/IP Address:0:0:0:0:0:0:0:1/);
    expect(etcd).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(etcd).toMatch(/CA:FALSE/);
    const api = text('apiserver');
    expect(api).toMatch(/DNS:kubernetes\.default\.svc\.cluster\.local/);
    expect(api).toMatch(/DNS:api\.example\.com/);
    expect(api).toMatch(/IP Address:10\.0\.0\.100\b/);
    expect(api).toMatch(/IP Address:10\.96\.0\.1\b/);
    expect(api).toMatch(/Extended Key Usage: *\n *TLS Web Server Authentication\n/);
    const kubeletClient = text('apiserver-kubelet-client');
    expect(kubeletClient).toMatch(/subject=O = kubeadm:cluster-admins, CN = kube-apiserver-kubelet-client/);
    expect(kubeletClient).toMatch(/Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    const ca = text('etcd/ca');
    expect(ca).toMatch(/subject=CN = etcd-ca/);
    expect(ca).toMatch(/CA:TRUE/);
    expect(ca).toMatch(/Certificate Sign/);
  });

  it('second plan is ok and re-issues nothing', async () => {
    const plan = await pkiModule.plan(base, context());
    expect(plan.status).toBe('ok');
    expect(plan.result?.issued).toEqual([]);
    expect((plan.result?.kept as string[]).length).toBe(15);
  });

  it('a changed SAN re-issues only that certificate', async () => {
    const others = [...CAS, ...ETCD_LEAVES, ...OTHER_LEAVES].filter((n) => n !== 'apiserver');
    const before = snapshot(others);
    const args = { ...base, kubeadm: { ...base.kubeadm!, extra_sans: ['10.0.0.99'] } };
    const { plan } = await converge(args);
    expect(plan.status).toBe('change');
    expect(issued(plan)).toEqual(['apiserver']);
    expect(plan.status === 'change' && plan.changes.map((c) => c.summary)).toEqual(['issue apiserver (SANs changed: +10.0.0.99)']);
    expect(snapshot(others)).toEqual(before);
    const diff = plan.status === 'change' ? plan.changes[0]?.diff : undefined;
    expect(diff?.path).toBe(file('apiserver.crt'));
    expect(diff?.before).not.toContain('IP:10.0.0.99');
    expect(diff?.after).toContain('IP:10.0.0.99');
    for (const side of [diff?.before, diff?.after]) expect(side).toMatch(/^issuer: CN=kubernetes-ca$/m);
    expect(openssl('x509', '-in', file('apiserver.crt'), '-noout', '-ext', 'subjectAltName')).toMatch(/IP Address:10\.0\.0\.99/);
    expect((await pkiModule.plan(args, context())).status).toBe('ok');
  }, 60_000);

  it('rotating the etcd CA re-issues it and its leaves, keeps the rest', async () => {
    const args = { ...base, kubeadm: { ...base.kubeadm!, extra_sans: ['10.0.0.99'] } };
    const untouched = ['ca', 'front-proxy-ca', ...OTHER_LEAVES];
    const before = snapshot(untouched);
    const oldEtcdCa = readFileSync(file('etcd/ca.crt'), 'utf8');
    const { plan } = await converge({ ...args, rotate: ['etcd/ca'] });
    expect(issued(plan)).toEqual(['etcd/ca', ...ETCD_LEAVES].sort());
    expect((plan.result?.kept as string[]).slice().sort()).toEqual([...untouched, 'sa'].sort());
    if (plan.status === 'change') {
      expect(plan.changes[0]?.summary).toBe('issue etcd/ca (rotation requested)');
      expect(plan.changes[1]?.summary).toBe('issue etcd/server-cp1 (CA etcd/ca re-issued)');
    }
    expect(readFileSync(file('etcd/ca.crt'), 'utf8')).not.toBe(oldEtcdCa);
    expect(snapshot(untouched)).toEqual(before);
    for (const n of ETCD_LEAVES) expect(openssl('verify', '-CAfile', file('etcd/ca.crt'), file(`${n}.crt`))).toMatch(/: OK/);
    expect((await pkiModule.plan(args, context())).status).toBe('ok');
  }, 60_000);

  it('rotating the leaves re-issues every leaf, no CA, not the service-account key; each is listed with its expiry', async () => {
    const args = { ...base, kubeadm: { ...base.kubeadm!, extra_sans: ['10.0.0.99'] } };
    const cas = snapshot(CAS);
    const serialOf = (n: string) => openssl('x509', '-in', file(`${n}.crt`), '-noout', '-serial').trim().replace('serial=', '');
    const before = serialOf('apiserver');
    const { plan } = await converge({ ...args, rotate: 'leaves' });
    expect(issued(plan)).toEqual([...ETCD_LEAVES, ...OTHER_LEAVES].sort());
    expect(snapshot(CAS)).toEqual(cas);
    const listed = plan.result?.certificates as Array<{ name: string; ca: boolean; renew: boolean; serial: string; days_left: number; not_after: string }>;
    expect(listed.map((c) => c.name).sort()).toEqual([...CAS, ...ETCD_LEAVES, ...OTHER_LEAVES].sort());
    const api = listed.find((c) => c.name === 'apiserver');
    // the listing shows the certificate as it was before this run
    expect(api).toMatchObject({ ca: false, renew: true, reasons: ['rotation requested'], serial: before });
    expect(api?.days_left).toBeGreaterThan(300);
    expect(listed.find((c) => c.name === 'etcd/ca')).toMatchObject({ ca: true, renew: false, reasons: [] });
    expect(serialOf('apiserver')).not.toBe(before);
    expect((await pkiModule.plan(args, context())).status).toBe('ok');
  }, 60_000);

  it('a leaf replaced on disk by one from another CA is re-issued', async () => {
    const args = { ...base, kubeadm: { ...base.kubeadm!, extra_sans: ['10.0.0.99'] } };
    execFileSync('cp', [file('front-proxy-client.crt'), file('apiserver-kubelet-client.crt')]);
    execFileSync('cp', [file('front-proxy-client.key'), file('apiserver-kubelet-client.key')]);
    const plan = await pkiModule.plan(args, context());
    expect(plan.status === 'change' && plan.changes.map((c) => c.summary)).toEqual([
      'issue apiserver-kubelet-client (CN changed: front-proxy-client → kube-apiserver-kubelet-client; organization changed: +kubeadm:cluster-admins; not signed by the current CA ca)',
    ]);
  });
});

describe('pki module argument problems', () => {
  it.each([
    [{ dir, key_type: 'ecdsa' } as PkiArgs, /ecdsa is not supported/],
    [{ dir, certs: [{ name: 'x', ca: 'nope', cn: 'x', usages: ['client'] }] } as PkiArgs, /x: unknown CA nope/],
    [{ ...base, rotate: ['etcd/server-cp9'] }, /rotate: unknown certificate etcd\/server-cp9/],
    [{ dir, cas: [{ name: '../escape', cn: 'x' }] } as PkiArgs, /must be a relative path/],
    [{ ...base, kubeadm: { ...base.kubeadm!, service_cidr: 'bogus' } }, /invalid service CIDR/],
  ])('fails the task with a clear message (%#)', async (args, re) => {
    const plan = await pkiModule.plan(args, context());
    expect(plan.status).toBe('failed');
    expect(plan.status === 'failed' && plan.msg).toMatch(re);
  });
});
