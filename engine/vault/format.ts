import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * ansible-vault's file format, versions 1.1 and 1.2 (1.2 adds a vault-id label):
 *
 *   $ANSIBLE_VAULT;1.1;AES256            or  $ANSIBLE_VAULT;1.2;AES256;<label>
 *   hex( hex(salt) "\n" hex(hmac) "\n" hex(ciphertext) ), in lines of 80
 *
 * keys = PBKDF2-SHA256(password, salt 32 bytes, 10000 iterations, 80 bytes): AES key, HMAC
 * key, counter IV; ciphertext = AES-256-CTR(PKCS#7-padded plaintext); hmac = HMAC-SHA256 of
 * the ciphertext. Ansible pads even in CTR mode, so we do too (a file must decrypt both ways).
 */
export const VAULT_HEADER = '$ANSIBLE_VAULT';
const ITERATIONS = 10000;

export interface Envelope {
  version: '1.1' | '1.2';
  label?: string;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

export class VaultFormatError extends Error {}
/** The HMAC did not match: a wrong password (or a damaged file). */
export class VaultPasswordError extends Error {}

export function isVaulted(text: string | Buffer): boolean {
  const s = typeof text === 'string' ? text : text.subarray(0, VAULT_HEADER.length).toString('latin1');
  return s.trimStart().startsWith(VAULT_HEADER);
}

function deriveKeys(password: Buffer, salt: Buffer): { key: Buffer; hmacKey: Buffer; iv: Buffer } {
  const k = pbkdf2Sync(password, salt, ITERATIONS, 80, 'sha256');
  return { key: k.subarray(0, 32), hmacKey: k.subarray(32, 64), iv: k.subarray(64, 80) };
}

function pad(data: Buffer): Buffer {
  const n = 16 - (data.length % 16);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

function unpad(data: Buffer): Buffer {
  const n = data[data.length - 1] ?? 0;
  if (n < 1 || n > 16 || n > data.length) throw new VaultFormatError('bad padding after decryption');
  return data.subarray(0, data.length - n);
}

function unhex(s: string, what: string): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) throw new VaultFormatError(`${what} is not hexadecimal`);
  return Buffer.from(s, 'hex');
}

export function parseEnvelope(text: string): Envelope {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  const header = (lines[0] ?? '').split(';').map((p) => p.trim());
  if (header[0] !== VAULT_HEADER) throw new VaultFormatError('not an ansible-vault file (no $ANSIBLE_VAULT header)');
  const version = header[1];
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format version '${version}' is not supported (1.1 and 1.2 are)`);
  if (header[2] !== 'AES256') throw new VaultFormatError(`vault cipher '${header[2]}' is not supported (AES256 is)`);
  const inner = unhex(lines.slice(1).join(''), 'the vault body').toString('latin1').split('\n');
  if (inner.length !== 3) throw new VaultFormatError('the vault body does not hold salt, hmac and ciphertext');
  return {
    version,
    label: version === '1.2' ? header[3] : undefined,
    salt: unhex(inner[0]!, 'the salt'),
    hmac: unhex(inner[1]!, 'the hmac'),
    ciphertext: unhex(inner[2]!, 'the ciphertext'),
  };
}

export function decryptEnvelope(env: Envelope, password: Buffer): Buffer {
  const { key, hmacKey, iv } = deriveKeys(password, env.salt);
  const mac = createHmac('sha256', hmacKey).update(env.ciphertext).digest();
  if (mac.length !== env.hmac.length || !timingSafeEqual(mac, env.hmac)) throw new VaultPasswordError('HMAC mismatch');
  const d = createDecipheriv('aes-256-ctr', key, iv);
  return unpad(Buffer.concat([d.update(env.ciphertext), d.final()]));
}

/** Encrypts to the envelope text ansible-vault writes (ending in a newline). */
export function encrypt(plaintext: Buffer | string, password: Buffer, label?: string, salt: Buffer = randomBytes(32)): string {
  const { key, hmacKey, iv } = deriveKeys(password, salt);
  const c = createCipheriv('aes-256-ctr', key, iv);
  const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
  const ciphertext = Buffer.concat([c.update(pad(data)), c.final()]);
  const mac = createHmac('sha256', hmacKey).update(ciphertext).digest('hex');
  const body = Buffer.from([salt.toString('hex'), mac, ciphertext.toString('hex')].join('\n'), 'latin1').toString('hex');
  const header = label ? `${VAULT_HEADER};1.2;AES256;${label}` : `${VAULT_HEADER};1.1;AES256`;
  const lines = [header];
  for (let i = 0; i < body.length; i += 80) lines.push(body.slice(i, i + 80));
  return `${lines.join('\n')}\n`;
}
