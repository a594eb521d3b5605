import { generateKeyPair as nodeGenerateKeyPair, randomBytes, sign } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { CaSpec, CertSpec, Issued, KeyOptions } from './types.ts';

const generateRsa = promisify(nodeGenerateKeyPair);
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface KeyPair {
  /** PKCS#1 `RSA PRIVATE KEY`, as kubeadm writes it. */
  privatePem: string;
  /** SubjectPublicKeyInfo `PUBLIC KEY`. */
  publicPem: string;
}

/** Node's crypto generates keys (native, fast); forge only builds the X.509 structure. */
export async function generateKey(opts: KeyOptions): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: opts.bits });
  return {
    privatePem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A self-signed CA certificate for `key`. */
export function issueCa(spec: CaSpec, key: KeyPair, now: Date): Issued {
  const cert = baseCert(key, now, spec.days);
  const subject = [{ shortName: 'CN', value: spec.cn }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    // self-signed: the authority key is this certificate's own key
    { name: 'authorityKeyIdentifier', keyIdentifier: true },
  ]);
  signWith(cert, key.privatePem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.privatePem };
}

/** A leaf certificate for `key`, signed by `ca`. */
export function issueLeaf(spec: CertSpec, key: KeyPair, ca: Issued, now: Date): Issued {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = baseCert(key, now, spec.days);
  cert.setSubject([
    ...(spec.organization ?? []).map((o) => ({ shortName: 'O', value: o })),
    { shortName: 'CN', value: spec.cn },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...spec.sans.dns.map((value) => ({ type: 2, value })),
    ...spec.sans.ips.map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: spec.usages.includes('server'), clientAuth: spec.usages.includes('client') },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caKeyIdentifier(caCert) },
  ]);
  signWith(cert, ca.keyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.privatePem };
}

/**
 * forge builds the TBSCertificate and the signature algorithm (sha256WithRSAEncryption); Node
 * signs it natively, ~100x faster than forge's JavaScript RSA.
 */
function signWith(cert: forge.pki.Certificate, keyPem: string): void {
  const signer = {
    // forge calls this right after it set cert.tbsCertificate
    sign: () => sign('sha256', Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary'), keyPem).toString('binary'),
  };
  cert.sign(signer as unknown as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
}

function baseCert(key: KeyPair, now: Date, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(key.publicPem);
  cert.serialNumber = randomSerial();
  // back-dated like kubeadm's, so hosts with a slightly slow clock accept it at once
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
  return cert;
}

/** 128 random bits as hex; the top bits are fixed so the DER integer is positive and minimal. */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40;
  return b.toString('hex');
}

/** The CA's own subjectKeyIdentifier, so chains built by other tools still link up. */
function caKeyIdentifier(caCert: forge.pki.Certificate): string {
  const ski = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | null;
  return ski?.subjectKeyIdentifier
    ? forge.util.hexToBytes(ski.subjectKeyIdentifier)
    : caCert.generateSubjectKeyIdentifier().getBytes();
}
