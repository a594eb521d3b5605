import { isVaulted } from './format.ts';
import type { Keyring } from './keyring.ts';
import { HapError } from '../source/errors.ts';

/**
 * A controller file's bytes, decrypted when it is vault-encrypted (as Ansible's copy does by
 * default). The plain text is remembered as a secret so it is never printed.
 */
export function decryptIfVaulted(data: Buffer, path: string, vault: Keyring | undefined): { data: Buffer; vaulted: boolean } {
  if (!isVaulted(data)) return { data, vaulted: false };
  if (!vault) throw new HapError(`${path} is vault-encrypted and no vault password was given: use --vault-password-file FILE or set ANSIBLE_VAULT_PASSWORD_FILE`);
  const plain = vault.decrypt(data.toString('utf8'), path);
  vault.hide(plain.toString('utf8'));
  return { data: plain, vaulted: true };
}
