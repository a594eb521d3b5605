import type { ScalarTag } from 'yaml';
import { HapError, type SourcePos } from './errors.ts';

/** Decrypts ansible-vault text met while loading YAML (errors name `where`) and remembers values to hide. */
export interface YamlDecrypt {
  reveal(text: string, where: SourcePos | string): string;
  hide(value: string): void;
}

// Loaders are plain functions called from many places; the vault password is load-time
// configuration set once by the CLI before anything is read, so it is kept here rather than
// threaded through every loader.
let decrypt: YamlDecrypt | undefined;

/** Installs (or with undefined removes) the decrypter the YAML loader uses. */
export function setYamlDecrypt(fn: YamlDecrypt | undefined): void {
  decrypt = fn;
}

const VAULT_HEADER = '$ANSIBLE_VAULT;';

function need(where: SourcePos | string): YamlDecrypt {
  if (decrypt) return decrypt;
  const msg = 'is vault-encrypted and no vault password was given: use --vault-password-file FILE or set ANSIBLE_VAULT_PASSWORD_FILE';
  throw typeof where === 'string' ? new HapError(`${where} ${msg}`) : new HapError(`this value ${msg}`, where);
}

/** `!vault |` scalars: kept as text here, decrypted in convert(). */
export const vaultTag: ScalarTag = { tag: '!vault', default: false, resolve: (s: string) => s };

/** The plain text of a `!vault` scalar. */
export function vaultScalar(text: string, pos: SourcePos): string {
  return need(pos).reveal(text, pos);
}

/** A whole file encrypted with ansible-vault is decrypted before parsing. */
export function vaultFile(text: string, file: string): { text: string; vaulted: boolean } {
  return text.trimStart().startsWith(VAULT_HEADER) ? { text: need(file).reveal(text, file), vaulted: true } : { text, vaulted: false };
}

/** Every string in a decrypted vault file is a secret. */
export function hideLeaves(value: unknown): void {
  if (typeof value === 'string') decrypt?.hide(value);
  else if (Array.isArray(value)) value.forEach(hideLeaves);
  else if (value && typeof value === 'object') Object.values(value).forEach(hideLeaves);
}
