import { beforeAll, describe, expect, it } from 'vitest';
import { decide, decideCa } from '../../../engine/pki/decide.ts';
import { generateKey, issueCa, issueLeaf } from '../../../engine/pki/issue.ts';
import { decideServiceAccount } from '../../../engine/pki/plan.ts';
import type { CaSpec, CertSpec, DecideOptions, Issued } from '../../../engine/pki/types.ts';

const KEY = { type: 'rsa', bits: 2048 } as const;
const NOW = new Date('2030-06-01T00:00:00Z');
const DAY = 86_400_000;
const OPTS: DecideOptions = { renewBeforeDays: 30, rotate: [] };

const caSpec: CaSpec = { name: 'etcd/ca', cn: 'etcd-ca', days: 3650 };
const spec: CertSpec = {
  name: 'etcd/server-h1',
  ca: 'etcd/ca',
  cn: 'h1',
  organization: ['example'],
  sans: { dns: ['h1', 'localhost'], ips: ['10.0.0.1', '127.0.0.1', '::1'] },
  usages: ['server', 'client'],
  days: 365,
};

let ca: Issued;
/** Another CA with the very same subject: only the signature tells them apart. */
let impostorCa: Issued;
let leaf: Issued;
let otherLeaf: Issued;
let caLeaf: Issued;

beforeAll(async () => {
  ca = issueCa(caSpec, await generateKey(KEY), NOW);
  impostorCa = issueCa(caSpec, await generateKey(KEY), NOW);
  leaf = issueLeaf(spec, await generateKey(KEY), ca, NOW);
  otherLeaf = issueLeaf(spec, await generateKey(KEY), ca, NOW);
  caLeaf = issueLeaf({ ...spec, name: 'x' }, await generateKey(KEY), ca, NOW);
});

type Case = {
  title: string;
  spec?: Partial<CertSpec>;
  existing?: () => { certPem?: string; keyPem?: string; caCertPem: string };
  now?: Date;
  opts?: Partial<DecideOptions>;
  reasons: RegExp[] | 'keep';
};

const cases: Case[] = [
  { title: 'matching pair is kept', reasons: 'keep' },
  { title: 'SANs compared as sets, IPv6 spelling ignored', spec: { sans: { dns: ['LOCALHOST', 'h1'], ips: ['0:0::1', '127.0.0.1', '10.0.0.1'] } }, reasons: 'keep' },
  { title: 'renewal window not reached', now: new Date(NOW.getTime() + 300 * DAY), reasons: 'keep' },
  { title: 'rotate naming another cert', opts: { rotate: ['etcd/peer-h1'] }, reasons: 'keep' },
  { title: 'missing certificate', existing: () => ({ keyPem: leaf.keyPem, caCertPem: ca.certPem }), reasons: [/^certificate missing$/] },
  { title: 'missing key', existing: () => ({ certPem: leaf.certPem, caCertPem: ca.certPem }), reasons: [/^key missing$/] },
  { title: 'unparsable certificate', existing: () => ({ certPem: 'garbage', keyPem: leaf.keyPem, caCertPem: ca.certPem }), reasons: [/cannot parse certificate/] },
  { title: 'expiring within the window', now: new Date(NOW.getTime() + 350 * DAY), reasons: [/^expires \d{4}-\d\d-\d\d \(within 30 days\)$/] },
  { title: 'expired', now: new Date(NOW.getTime() + 400 * DAY), reasons: [/^expired /] },
  { title: 'SAN added', spec: { sans: { dns: spec.sans.dns, ips: [...spec.sans.ips, '10.0.0.5'] } }, reasons: [/^SANs changed: \+10\.0\.0\.5$/] },
  { title: 'SAN removed', spec: { sans: { dns: ['h1'], ips: spec.sans.ips } }, reasons: [/^SANs changed: -localhost$/] },
  { title: 'CN changed', spec: { cn: 'h2' }, reasons: [/^CN changed: h1 → h2$/] },
  { title: 'organization changed', spec: { organization: ['system:masters'] }, reasons: [/^organization changed: \+system:masters -example$/] },
  { title: 'usages changed', spec: { usages: ['client'] }, reasons: [/^usages changed: -server$/] },
  { title: 'signed by another CA with the same name', existing: () => ({ ...leaf, caCertPem: impostorCa.certPem }), reasons: [/^not signed by the current CA etcd\/ca$/] },
  { title: 'key of another certificate', existing: () => ({ certPem: leaf.certPem, keyPem: otherLeaf.keyPem, caCertPem: ca.certPem }), reasons: [/^key does not match certificate$/] },
  { title: 'rotate names it', opts: { rotate: ['etcd/server-h1'] }, reasons: [/^rotation requested$/] },
  { title: 'rotate all', opts: { rotate: 'all' }, reasons: [/^rotation requested$/] },
  { title: 'rotate leaves', opts: { rotate: 'leaves' }, reasons: [/^rotation requested$/] },
  { title: 'several reasons at once', spec: { cn: 'h9', usages: ['server'] }, opts: { rotate: 'all' }, reasons: [/rotation/, /^CN changed/, /^usages changed: -client$/] },
];

describe.each(cases)('decide: $title', (c) => {
  it('returns the expected decision', () => {
    const d = decide(
      { ...spec, ...c.spec },
      c.existing ? c.existing() : { ...leaf, caCertPem: ca.certPem },
      c.now ?? NOW,
      { ...OPTS, ...c.opts },
    );
    if (c.reasons === 'keep') {
      expect(d).toEqual({ action: 'keep' });
      return;
    }
    expect(d.action).toBe('issue');
    const reasons = d.action === 'issue' ? d.reasons : [];
    expect(reasons).toHaveLength(c.reasons.length);
    for (const re of c.reasons) expect(reasons.some((r) => re.test(r)), `${re} in ${JSON.stringify(reasons)}`).toBe(true);
  });
});

describe('decideCa', () => {
  it('keeps a valid CA', () => {
    expect(decideCa(caSpec, ca, NOW, OPTS)).toEqual({ action: 'keep' });
  });
  it('is not rotated with the leaves', () => {
    expect(decideCa(caSpec, ca, NOW, { ...OPTS, rotate: 'leaves' })).toEqual({ action: 'keep' });
  });
  it('ignores a CN change (replacing a CA is never implicit)', () => {
    expect(decideCa({ ...caSpec, cn: 'renamed' }, ca, NOW, OPTS)).toEqual({ action: 'keep' });
  });
  it.each([
    ['missing', () => ({ keyPem: ca.keyPem }), NOW, OPTS, /certificate missing/],
    ['expiring', () => ca, new Date(NOW.getTime() + 3640 * DAY), OPTS, /^expires/],
    ['rotated', () => ca, NOW, { ...OPTS, rotate: ['etcd/ca'] }, /rotation requested/],
    ['key mismatch', () => ({ certPem: ca.certPem, keyPem: impostorCa.keyPem }), NOW, OPTS, /key does not match/],
    ['not a CA', () => caLeaf, NOW, OPTS, /not a CA/],
  ] as const)('re-issues when %s', (_t, existing, now, opts, re) => {
    const d = decideCa(caSpec, existing(), now, opts);
    expect(d.action).toBe('issue');
    expect(d.action === 'issue' && d.reasons.some((r) => re.test(r))).toBe(true);
  });
});

describe('decideServiceAccount', () => {
  it('keeps a matching pair and re-issues missing, mismatched or rotated ones', async () => {
    const a = await generateKey(KEY);
    const b = await generateKey(KEY);
    expect(decideServiceAccount(a.privatePem, a.publicPem, OPTS)).toEqual({ action: 'keep' });
    expect(decideServiceAccount(undefined, a.publicPem, OPTS)).toEqual({ action: 'issue', reasons: ['key missing'] });
    expect(decideServiceAccount(a.privatePem, b.publicPem, OPTS)).toEqual({ action: 'issue', reasons: ['public key does not match private key'] });
    expect(decideServiceAccount(a.privatePem, a.publicPem, { ...OPTS, rotate: ['sa'] })).toEqual({ action: 'issue', reasons: ['rotation requested'] });
  });
});
