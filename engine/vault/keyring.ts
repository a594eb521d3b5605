import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { HapError, type SourcePos } from '../source/errors.ts';
import { decryptEnvelope, encrypt, parseEnvelope, VaultFormatError, VaultPasswordError } from './format.ts';

/** One vault password and where it came from (never the password itself in messages). */
export interface VaultSecret {
  label: string;
  password: Buffer;
  source: string;
}

/** Ansible's environment variable naming the password file. */
export const PASSWORD_FILE_ENV = 'ANSIBLE_VAULT_PASSWORD_FILE';

/**
 * The vault passwords of one hap process and every value they revealed. The revealed values
 * are what reporters hide (see redact.ts): decrypted text lives in memory only.
 */
export class Keyring {
  readonly revealed = new Set<string>();

  constructor(readonly secrets: VaultSecret[]) {}

  /** Decrypts vault text; errors name `where` (the file, or file:line:col of an inline value). */
  decrypt(text: string, where: string | SourcePos): Buffer {
    const pos = typeof where === 'string' ? undefined : where;
    const name = typeof where === 'string' ? where : '';
    const fail = (msg: string) => new HapError(name ? `${name}: ${msg}` : msg, pos);
    let env;
    try {
      env = parseEnvelope(text);
    } catch (e) {
      if (e instanceof VaultFormatError) throw fail(`bad vault data: ${e.message}`);
      throw e;
    }
    if (this.secrets.length === 0) {
      throw fail(`is vault-encrypted and no vault password was given: use --vault-password-file FILE, --vault-id [LABEL@]FILE or set ${PASSWORD_FILE_ENV}`);
    }
    // a labelled (1.2) envelope tries the secret with its label first, as ansible-vault does
    const order = [...this.secrets.filter((s) => s.label === env.label), ...this.secrets.filter((s) => s.label !== env.label)];
    for (const s of order) {
      try {
        return decryptEnvelope(env, s.password);
      } catch (e) {
        if (!(e instanceof VaultPasswordError || e instanceof VaultFormatError)) throw e;
      }
    }
    const tried = order.map((s) => s.source).join(', ');
    throw fail(`vault decryption failed: wrong password (tried ${tried})${env.label ? ` for vault-id '${env.label}'` : ''}`);
  }

  /** Decrypts to text and remembers it as a value to hide. */
  reveal(text: string, where: string | SourcePos): string {
    const plain = this.decrypt(text, where).toString('utf8');
    this.hide(plain);
    return plain;
  }

  /** Marks a value as secret; very short values would hide ordinary words, so they are skipped. */
  hide(value: string): void {
    const v = value.trim();
    if (v.length >= 4) this.revealed.add(v);
  }

  /** Encrypts with the secret of `label` (1.2 envelope), else the first secret (1.1). */
  encrypt(plaintext: Buffer | string, label?: string): string {
    const s = label ? this.secrets.find((x) => x.label === label) : this.secrets[0];
    if (!s) throw new HapError(label ? `no vault secret with vault-id '${label}'` : `no vault password given: use --vault-password-file FILE or set ${PASSWORD_FILE_ENV}`);
    return encrypt(plaintext, s.password, label);
  }
}

/** Reads a password file; an executable file is a script whose output is the password (as in Ansible). */
async function readPassword(file: string): Promise<Buffer> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new HapError(`vault password file ${file} not found`);
  if (info.mode & 0o111) {
    try {
      const { stdout } = await promisify(execFile)(file, [], { encoding: 'buffer' });
      return Buffer.from(stdout.toString('utf8').replace(/^[\r\n]+|[\r\n]+$/g, ''), 'utf8');
    } catch (e) {
      throw new HapError(`vault password script ${file} failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const pw = (await readFile(file, 'utf8')).trim();
  if (!pw) throw new HapError(`vault password file ${file} is empty`);
  return Buffer.from(pw, 'utf8');
}

export interface VaultOptions {
  passwordFiles?: string[];
  /** `label@file` or `file` (label "default"), like --vault-id. */
  vaultIds?: string[];
  env?: NodeJS.ProcessEnv;
}

/** The keyring from the command line and the environment (the env file only if no option names one). */
export async function loadKeyring(o: VaultOptions): Promise<Keyring> {
  const secrets: VaultSecret[] = [];
  const specs: Array<{ label: string; file: string }> = [];
  for (const id of o.vaultIds ?? []) {
    const at = id.indexOf('@');
    specs.push(at > 0 ? { label: id.slice(0, at), file: id.slice(at + 1) } : { label: 'default', file: id });
  }
  for (const f of o.passwordFiles ?? []) specs.push({ label: 'default', file: f });
  const envFile = (o.env ?? process.env)[PASSWORD_FILE_ENV];
  if (specs.length === 0 && envFile) specs.push({ label: 'default', file: envFile });
  for (const s of specs) secrets.push({ label: s.label, password: await readPassword(s.file), source: s.file });
  return new Keyring(secrets);
}
