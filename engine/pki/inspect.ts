import { X509Certificate, createPrivateKey } from 'node:crypto';
import { isIPv6 } from 'node:net';
import forge from 'node-forge';
import type { Usage } from './types.ts';

/** The parts of a certificate that decide() compares against a spec. */
export interface CertInfo {
  cn: string;
  /** The issuer's CN (the subject's own for a self-signed CA). */
  issuer: string;
  organization: string[];
  dns: string[];
  ips: string[];
  usages: Usage[];
  isCa: boolean;
  notBefore: Date;
  notAfter: Date;
  /** Hex, as openssl prints it (upper case); absent for planned certificates. */
  serial?: string;
}

/** One spelling per address, so `::1` and `0:0::1` compare equal. */
export function canonicalIp(ip: string): string {
  // the WHATWG URL parser serialises IPv6 in its canonical compressed form
  return isIPv6(ip) ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

export function canonicalDns(name: string): string {
  return name.toLowerCase();
}

/** Parses a PEM certificate; throws with a short message when it is not one hap can read. */
export function inspectCert(pem: string): CertInfo {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(pem);
  } catch (e) {
    // forge only reads RSA keys; any other key type is unusable for hap too
    throw new Error(`cannot parse certificate: ${(e as Error).message}`);
  }
  const cn = cert.subject.getField('CN') as { value: string } | null;
  const issuer = cert.issuer.getField('CN') as { value: string } | null;
  const orgs = cert.subject.attributes.filter((a) => a.shortName === 'O').map((a) => String(a.value));
  const san = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value: string; ip?: string }> } | null;
  const dns: string[] = [];
  const ips: string[] = [];
  for (const n of san?.altNames ?? []) {
    if (n.type === 2) dns.push(canonicalDns(n.value));
    else if (n.type === 7 && n.ip) ips.push(canonicalIp(n.ip));
  }
  const eku = cert.getExtension('extKeyUsage') as Record<string, unknown> | null;
  const usages: Usage[] = [];
  if (eku?.serverAuth === true) usages.push('server');
  if (eku?.clientAuth === true) usages.push('client');
  const bc = cert.getExtension('basicConstraints') as { cA?: boolean } | null;
  return {
    cn: cn?.value ?? '',
    issuer: issuer?.value ?? '',
    organization: orgs,
    dns,
    ips,
    usages,
    isCa: bc?.cA === true,
    notBefore: cert.validity.notBefore,
    notAfter: cert.validity.notAfter,
    serial: cert.serialNumber.toUpperCase(),
  };
}

/** True when `certPem` carries a valid signature by the key of `caCertPem`. */
export function signedBy(certPem: string, caCertPem: string): boolean {
  try {
    const ca = new X509Certificate(caCertPem);
    return new X509Certificate(certPem).verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** True when the private key belongs to the certificate's public key. */
export function keyMatches(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** A human-readable summary of a certificate for --diff (never key material). */
export function describeCert(info: CertInfo): string {
  const lines = [`subject: CN=${info.cn}${info.organization.map((o) => `, O=${o}`).join('')}`, `issuer: CN=${info.issuer}`];
  if (info.isCa) lines.push('CA: true');
  if (info.dns.length || info.ips.length) {
    lines.push(`SANs: ${[...info.dns.map((d) => `DNS:${d}`), ...info.ips.map((i) => `IP:${i}`)].join(', ')}`);
  }
  if (info.usages.length) lines.push(`usages: ${info.usages.join(', ')}`);
  lines.push(`not after: ${info.notAfter.toISOString()}`);
  return `${lines.join('\n')}\n`;
}
