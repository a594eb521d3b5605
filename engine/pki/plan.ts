import { createPrivateKey, createPublicKey } from 'node:crypto';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { Change, Plan } from '../modules/types.ts';
import { decide, decideCa } from './decide.ts';
import { describeCert, inspectCert, type CertInfo } from './inspect.ts';
import { generateKey, issueCa, issueLeaf, type KeyPair } from './issue.ts';
import type { CaSpec, CertSpec, Decision, DecideOptions, Issued, KeyOptions } from './types.ts';

/** Everything the pki module was asked for, after defaults. */
export interface PkiRequest {
  dir: string;
  cas: CaSpec[];
  certs: CertSpec[];
  serviceAccount: boolean;
  key: KeyOptions;
  renewBeforeDays: number;
  rotate: string[] | 'all' | 'leaves';
}

/** File access on the host the PKI lives on (the module maps it onto ctx.transport). */
export interface PkiIo {
  read(path: string): Promise<string | undefined>;
  write(path: string, data: string, mode: number): Promise<void>;
  mkdirp(dir: string): Promise<void>;
}

export const SA_NAME = 'sa';
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

/** Reads the PKI directory, decides what to (re-)issue and returns one change per file set. */
export async function planPki(req: PkiRequest, io: PkiIo, now: Date): Promise<Plan> {
  const problems = validate(req);
  if (problems.length) return { status: 'failed', msg: problems.join('; ') };
  const path = (name: string, ext: string): string => join(req.dir, `${name}${ext}`);
  const readPair = async (name: string) => ({ certPem: await io.read(path(name, '.crt')), keyPem: await io.read(path(name, '.key')) });
  const opts: DecideOptions = { renewBeforeDays: req.renewBeforeDays, rotate: req.rotate };

  const made = new Set<string>();
  const ensureDir = async (dir: string): Promise<void> => {
    if (made.has(dir)) return;
    await io.mkdirp(dir);
    made.add(dir);
  };
  const writePair = async (name: string, issued: Issued): Promise<void> => {
    await ensureDir(dirname(path(name, '.crt')));
    await io.write(path(name, '.key'), issued.keyPem, KEY_MODE);
    await io.write(path(name, '.crt'), issued.certPem, CERT_MODE);
  };

  // keys for everything to issue are generated together on the first apply: RSA keygen
  // dominates the run time and Node runs it on the libuv thread pool, one per core
  const keys = new Map<string, Promise<KeyPair>>();
  const keyFor = (name: string): Promise<KeyPair> => {
    if (keys.size === 0) {
      for (const n of issued) {
        const p = generateKey(req.key);
        p.catch(() => {}); // awaited by its own change; not unhandled if that never runs
        keys.set(n, p);
      }
    }
    return keys.get(name) ?? generateKey(req.key);
  };

  // CA material used to sign leaves: kept CAs are loaded now, re-issued ones when applied
  const signers = new Map<string, Issued>();
  const changes: Change[] = [];
  const issued: string[] = [];
  const kept: string[] = [];
  const reissuedCas = new Set<string>();
  const certificates: CertListing[] = [];
  const caCn = new Map(req.cas.map((c) => [c.name, c.cn]));

  for (const ca of req.cas) {
    const existing = await readPair(ca.name);
    const d = decideCa(ca, existing, now, opts);
    certificates.push(listing(ca.name, true, existing.certPem, d, now));
    if (d.action === 'keep' && existing.certPem && existing.keyPem) {
      signers.set(ca.name, { certPem: existing.certPem, keyPem: existing.keyPem });
      kept.push(ca.name);
      continue;
    }
    reissuedCas.add(ca.name);
    issued.push(ca.name);
    changes.push({
      summary: summary(ca.name, d),
      diff: certDiff(path(ca.name, '.crt'), existing.certPem, caInfo(ca, now)),
      apply: async () => {
        const fresh = issueCa(ca, await keyFor(ca.name), now);
        await writePair(ca.name, fresh);
        signers.set(ca.name, fresh);
      },
    });
  }

  for (const cert of req.certs) {
    const existing = await readPair(cert.name);
    const caPem = signers.get(cert.ca)?.certPem;
    const d: Decision =
      reissuedCas.has(cert.ca) || caPem === undefined
        ? { action: 'issue', reasons: newCaReasons(cert.ca, existing) }
        : decide(cert, { ...existing, caCertPem: caPem }, now, opts);
    certificates.push(listing(cert.name, false, existing.certPem, d, now));
    if (d.action === 'keep') {
      kept.push(cert.name);
      continue;
    }
    issued.push(cert.name);
    changes.push({
      summary: summary(cert.name, d),
      diff: certDiff(path(cert.name, '.crt'), existing.certPem, leafInfo(cert, caCn.get(cert.ca) ?? cert.ca, now)),
      apply: async () => {
        const signer = signers.get(cert.ca);
        if (!signer) return { failed: `CA ${cert.ca} was not issued, cannot sign ${cert.name}` };
        await writePair(cert.name, issueLeaf(cert, await keyFor(cert.name), signer, now));
      },
    });
  }

  if (req.serviceAccount) {
    const keyPem = await io.read(path(SA_NAME, '.key'));
    const pubPem = await io.read(path(SA_NAME, '.pub'));
    const d = decideServiceAccount(keyPem, pubPem, opts);
    if (d.action === 'keep') kept.push(SA_NAME);
    else {
      issued.push(SA_NAME);
      changes.push({
        summary: summary(SA_NAME, d, 'service-account key pair'),
        apply: async () => {
          const key = await keyFor(SA_NAME);
          await ensureDir(req.dir);
          await io.write(path(SA_NAME, '.key'), key.privatePem, KEY_MODE);
          await io.write(path(SA_NAME, '.pub'), key.publicPem, CERT_MODE);
        },
      });
    }
  }

  const result = { issued, kept, certificates };
  return changes.length ? { status: 'change', changes, result } : { status: 'ok', result };
}

/** One certificate as it is now and what this run does with it (cert-renew lists these). */
export interface CertListing {
  name: string;
  ca: boolean;
  /** ISO time; null when the certificate is missing or unreadable. */
  not_after: string | null;
  days_left: number | null;
  serial: string | null;
  renew: boolean;
  reasons: string[];
}

function listing(name: string, ca: boolean, certPem: string | undefined, d: Decision, now: Date): CertListing {
  let info: CertInfo | undefined;
  try {
    info = certPem === undefined ? undefined : inspectCert(certPem);
  } catch {
    info = undefined; // the decision already says why it cannot be read
  }
  return {
    name,
    ca,
    not_after: info ? info.notAfter.toISOString() : null,
    days_left: info ? Math.floor((info.notAfter.getTime() - now.getTime()) / 86_400_000) : null,
    serial: info?.serial ?? null,
    renew: d.action === 'issue',
    reasons: d.action === 'issue' ? d.reasons : [],
  };
}

/** The service-account pair is kept unless missing, unreadable, mismatched or rotated. */
export function decideServiceAccount(keyPem: string | undefined, pubPem: string | undefined, opts: DecideOptions): Decision {
  const reasons = opts.rotate === 'all' || (typeof opts.rotate !== 'string' && opts.rotate.includes(SA_NAME)) ? ['rotation requested'] : [];
  if (keyPem === undefined) reasons.push('key missing');
  if (pubPem === undefined) reasons.push('public key missing');
  if (keyPem !== undefined && pubPem !== undefined) {
    try {
      const derived = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
      const onDisk = createPublicKey(pubPem).export({ type: 'spki', format: 'der' });
      if (!derived.equals(onDisk)) reasons.push('public key does not match private key');
    } catch (e) {
      reasons.push(`cannot parse key: ${(e as Error).message}`);
    }
  }
  return reasons.length ? { action: 'issue', reasons } : { action: 'keep' };
}

/** A leaf under a new CA is always re-issued; say "missing" on a first run, not "re-issued". */
function newCaReasons(ca: string, existing: { certPem?: string; keyPem?: string }): string[] {
  const missing = [
    ...(existing.certPem === undefined ? ['certificate missing'] : []),
    ...(existing.keyPem === undefined ? ['key missing'] : []),
  ];
  return missing.length ? missing : [`CA ${ca} re-issued`];
}

function summary(name: string, d: Decision, what?: string): string {
  const reasons = d.action === 'issue' ? d.reasons.join('; ') : '';
  return `issue ${name}${what ? ` ${what}` : ''} (${reasons})`;
}

/** A readable before/after of the certificate's fields; keys never appear in diffs. */
function certDiff(path: string, beforePem: string | undefined, after: CertInfo): Change['diff'] {
  let before = '';
  if (beforePem !== undefined) {
    try {
      before = describeCert(inspectCert(beforePem));
    } catch (e) {
      before = `${(e as Error).message}\n`;
    }
  }
  return { path, before, after: describeCert(after) };
}

function caInfo(ca: CaSpec, now: Date): CertInfo {
  return { cn: ca.cn, issuer: ca.cn, organization: [], dns: [], ips: [], usages: [], isCa: true, notBefore: now, notAfter: addDays(now, ca.days) };
}

function leafInfo(c: CertSpec, issuer: string, now: Date): CertInfo {
  return {
    cn: c.cn,
    issuer,
    organization: c.organization ?? [],
    dns: c.sans.dns,
    ips: c.sans.ips,
    usages: c.usages,
    isCa: false,
    notBefore: now,
    notAfter: addDays(now, c.days),
  };
}

function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

/** Every problem with the request at once; names must stay inside the PKI directory. */
export function validate(req: PkiRequest): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const caNames = new Set(req.cas.map((c) => c.name));
  for (const { name } of [...req.cas, ...req.certs]) {
    if (names.has(name)) problems.push(`${name} is defined twice`);
    names.add(name);
    if (!name || isAbsolute(name) || normalize(name) !== name || name.startsWith('..')) {
      problems.push(`${JSON.stringify(name)} must be a relative path inside dir without ..`);
    }
  }
  if (req.serviceAccount && names.has(SA_NAME)) problems.push(`${SA_NAME} is reserved for the service-account key`);
  for (const c of req.certs) {
    if (!caNames.has(c.ca)) problems.push(`${c.name}: unknown CA ${c.ca} (known: ${[...caNames].join(', ') || 'none'})`);
    if (c.usages.length === 0) problems.push(`${c.name}: usages must not be empty`);
  }
  if (typeof req.rotate !== 'string') {
    for (const r of req.rotate) {
      if (!names.has(r) && !(req.serviceAccount && r === SA_NAME)) problems.push(`rotate: unknown certificate ${r}`);
    }
  }
  return problems;
}
