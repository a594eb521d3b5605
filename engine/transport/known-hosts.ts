import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One usable line of a known_hosts file (markers other than @revoked are skipped). */
export interface KnownHostEntry {
  line: number;
  patterns: string;
  keyType: string;
  key: Buffer;
  revoked: boolean;
}

export type HostKeyVerdict =
  | { kind: 'match' }
  | { kind: 'unknown' }
  | { kind: 'changed'; line: number; keyType: string }
  | { kind: 'revoked'; line: number };

/** The name OpenSSH looks up: `host`, or `[host]:port` when the port is not 22. */
export function knownHostName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      if (fields[0] !== '@revoked') return; // @cert-authority: certificates are not supported
      revoked = true;
      fields.shift();
    }
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64) return;
    entries.push({ line: i + 1, patterns, keyType, key: Buffer.from(b64, 'base64'), revoked });
  });
  return entries;
}

/** Does a pattern list (comma-separated, `*`/`?` wildcards, `!` negation, or `|1|salt|hash`) name `host`? */
export function patternsMatch(patterns: string, host: string): boolean {
  if (patterns.startsWith('|1|')) return hashedMatch(patterns, host);
  let matched = false;
  for (const p of patterns.split(',')) {
    const negated = p.startsWith('!');
    const glob = negated ? p.slice(1) : p;
    if (!globMatch(glob.toLowerCase(), host.toLowerCase())) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedMatch(entry: string, host: string): boolean {
  const [, , salt, hash] = entry.split('|');
  if (!salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(host).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function globMatch(glob: string, s: string): boolean {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(s);
}

/** The key type inside an SSH public key blob (its first length-prefixed string). */
export function blobKeyType(blob: Buffer): string {
  if (blob.length < 4) return '';
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** Compares a server key with the entries for `name`, the way OpenSSH's check_host_key does. */
export function verifyHostKey(entries: KnownHostEntry[], name: string, blob: Buffer): HostKeyVerdict {
  const type = blobKeyType(blob);
  const forHost = entries.filter((e) => patternsMatch(e.patterns, name));
  const revoked = forHost.find((e) => e.revoked && e.key.equals(blob));
  if (revoked) return { kind: 'revoked', line: revoked.line };
  if (forHost.some((e) => !e.revoked && e.key.equals(blob))) return { kind: 'match' };
  const changed = forHost.find((e) => !e.revoked && e.keyType === type);
  if (changed) return { kind: 'changed', line: changed.line, keyType: type };
  return { kind: 'unknown' };
}

/** ssh2 host-key algorithm names for a known_hosts key type. */
const ALGORITHMS_FOR: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_ORDER = Object.values(ALGORITHMS_FOR).flat();

/**
 * Host-key algorithms with the types already known for `name` first, so a host known by its
 * RSA key is not reported as unknown because it also offers ed25519 (OpenSSH does the same).
 */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], name: string): string[] {
  const known = entries.filter((e) => !e.revoked && patternsMatch(e.patterns, name)).flatMap((e) => ALGORITHMS_FOR[e.keyType] ?? []);
  return [...new Set([...known, ...DEFAULT_ORDER])];
}

export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    return parseKnownHosts(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** Appends `name type key` (accept-new), creating the file and its directory when missing. */
export async function appendKnownHost(file: string, name: string, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const current = await readFile(file, 'utf8');
    if (current.length > 0 && !current.endsWith('\n')) prefix = '\n';
  } catch {
    // a missing file is created by appendFile
  }
  await appendFile(file, `${prefix}${name} ${blobKeyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}
