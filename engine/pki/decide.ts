import { canonicalDns, canonicalIp, inspectCert, keyMatches, signedBy, type CertInfo } from './inspect.ts';
import type { CaSpec, CertSpec, Decision, DecideOptions, Existing } from './types.ts';

const DAY_MS = 86_400_000;

/**
 * Whether a leaf certificate on disk still fits its spec. Re-issues only for a reason the
 * user can act on (listed in the result), so a second run changes nothing.
 */
export function decide(
  spec: CertSpec,
  existing: Existing & { caCertPem: string },
  now: Date,
  opts: DecideOptions,
): Decision {
  const reasons = rotationReason(spec.name, false, opts);
  const parsed = readPair(existing, reasons);
  if (!parsed) return { action: 'issue', reasons };
  const { info, certPem, keyPem } = parsed;

  reasons.push(...expiryReasons(info, now, opts.renewBeforeDays));
  const sans = setChange(
    [...spec.sans.dns.map(canonicalDns), ...spec.sans.ips.map(canonicalIp)],
    [...info.dns, ...info.ips],
  );
  if (sans) reasons.push(`SANs changed: ${sans}`);
  if (info.cn !== spec.cn) reasons.push(`CN changed: ${info.cn || '(none)'} → ${spec.cn}`);
  const org = setChange(spec.organization ?? [], info.organization);
  if (org) reasons.push(`organization changed: ${org}`);
  const usages = setChange(spec.usages, info.usages);
  if (usages) reasons.push(`usages changed: ${usages}`);
  if (!signedBy(certPem, existing.caCertPem)) reasons.push(`not signed by the current CA ${spec.ca}`);
  if (!keyMatches(certPem, keyPem)) reasons.push('key does not match certificate');
  return reasons.length ? { action: 'issue', reasons } : { action: 'keep' };
}

/**
 * Whether a CA on disk is kept. A CA is replaced only when it is missing, unusable, expiring
 * or rotated: replacing it invalidates every certificate it signed.
 */
export function decideCa(spec: CaSpec, existing: Existing, now: Date, opts: DecideOptions): Decision {
  const reasons = rotationReason(spec.name, true, opts);
  const parsed = readPair(existing, reasons);
  if (!parsed) return { action: 'issue', reasons };
  const { info, certPem, keyPem } = parsed;
  reasons.push(...expiryReasons(info, now, opts.renewBeforeDays));
  if (!info.isCa) reasons.push('certificate is not a CA');
  if (!keyMatches(certPem, keyPem)) reasons.push('key does not match certificate');
  return reasons.length ? { action: 'issue', reasons } : { action: 'keep' };
}

/** `leaves` rotates every certificate but the CAs (and the service-account key). */
function rotationReason(name: string, isCa: boolean, opts: DecideOptions): string[] {
  const all = opts.rotate === 'all' || (opts.rotate === 'leaves' && !isCa);
  return all || (typeof opts.rotate !== 'string' && opts.rotate.includes(name)) ? ['rotation requested'] : [];
}

/** Parses the pair, or records why it cannot be used and returns undefined. */
function readPair(
  existing: Existing,
  reasons: string[],
): { info: CertInfo; certPem: string; keyPem: string } | undefined {
  const { certPem, keyPem } = existing;
  if (certPem === undefined) reasons.push('certificate missing');
  if (keyPem === undefined) reasons.push('key missing');
  if (certPem === undefined || keyPem === undefined) return undefined;
  try {
    return { info: inspectCert(certPem), certPem, keyPem };
  } catch (e) {
    reasons.push((e as Error).message);
    return undefined;
  }
}

function expiryReasons(info: CertInfo, now: Date, renewBeforeDays: number): string[] {
  const left = info.notAfter.getTime() - now.getTime();
  const date = info.notAfter.toISOString().slice(0, 10);
  if (left <= 0) return [`expired ${date}`];
  if (left <= renewBeforeDays * DAY_MS) return [`expires ${date} (within ${renewBeforeDays} days)`];
  if (info.notBefore.getTime() > now.getTime()) return [`not valid before ${info.notBefore.toISOString()}`];
  return [];
}

/** `+added -removed` between the wanted and the actual set, or '' when equal. */
function setChange(wanted: readonly string[], actual: readonly string[]): string {
  const w = new Set(wanted);
  const a = new Set(actual);
  const added = [...w].filter((x) => !a.has(x)).map((x) => `+${x}`);
  const removed = [...a].filter((x) => !w.has(x)).map((x) => `-${x}`);
  return [...added, ...removed].join(' ');
}
