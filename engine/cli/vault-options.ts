import { setYamlDecrypt } from '../source/yaml-vault.ts';
import { loadKeyring, type Keyring } from '../vault/keyring.ts';
import { redactValue } from '../vault/redact.ts';
import type { parseRunArgs } from './args.ts';
import type { Io } from './run.ts';

/**
 * Loads the vault passwords of a command, lets the YAML loader decrypt with them, and wraps
 * the command's output so no revealed value is ever printed (error messages included).
 */
export async function withVault(a: ReturnType<typeof parseRunArgs>, io: Io): Promise<{ io: Io; keyring: Keyring }> {
  const keyring = await loadKeyring({ passwordFiles: a.values['vault-password-file'], vaultIds: a.values['vault-id'] });
  setYamlDecrypt({ reveal: (text, where) => keyring.reveal(text, where), hide: (v) => keyring.hide(v) });
  const hide = (s: string) => (keyring.revealed.size ? (redactValue(s, keyring.revealed) as string) : s);
  return { io: { out: (s) => io.out(hide(s)), err: (s) => io.err(hide(s)) }, keyring };
}
