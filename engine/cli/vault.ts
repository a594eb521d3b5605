import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { HapError } from '../source/errors.ts';
import { isVaulted, parseEnvelope } from '../vault/format.ts';
import { loadKeyring, type Keyring } from '../vault/keyring.ts';
import { EXIT } from './exit-codes.ts';
import type { Io } from './run.ts';

export const VAULT_HELP = `hap vault encrypt|decrypt|view|edit|create FILE... [--output FILE|-]
hap vault encrypt-string [STRING|-] [--name NAME]
  password: --vault-password-file FILE | --vault-id [LABEL@]FILE | $ANSIBLE_VAULT_PASSWORD_FILE
  --encrypt-vault-id LABEL  encrypt with that vault-id's password (format 1.2, labelled)`;

function args(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'vault-password-file': { type: 'string', multiple: true },
        'vault-id': { type: 'string', multiple: true },
        'encrypt-vault-id': { type: 'string' },
        output: { type: 'string' },
        name: { type: 'string', short: 'n' },
        'stdin-name': { type: 'string' },
      },
    });
  } catch (e) {
    throw new HapError(`${(e as Error).message}\n${VAULT_HELP}`);
  }
}

async function readText(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new HapError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

async function writeOut(file: string, data: string, io: Io): Promise<void> {
  if (file === '-') io.out(data.replace(/\n$/, ''));
  else await writeFile(file, data, { mode: 0o600 });
}

/** Ansible's encrypt_string output: a `!vault |` block indented by ten spaces. */
export function vaultBlock(envelope: string, name?: string): string {
  const body = envelope.trimEnd().split('\n').map((l) => `          ${l}`).join('\n');
  return `${name ? `${name}: ` : ''}!vault |\n${body}`;
}

async function edit(file: string, keyring: Keyring, label: string | undefined, create: boolean): Promise<void> {
  let plain = '';
  let keep = label;
  if (!create) {
    const text = await readText(file);
    keep ??= parseEnvelope(text).label;
    plain = keyring.decrypt(text, file).toString('utf8');
  }
  // the plain text exists only in a private temporary folder, removed whatever happens
  const dir = await mkdtemp(join(tmpdir(), 'hap-vault-'));
  await chmod(dir, 0o700);
  const tmp = join(dir, basename(file));
  try {
    await writeFile(tmp, plain, { mode: 0o600 });
    const editor = process.env.EDITOR || process.env.VISUAL || 'vi';
    const rc = await new Promise<number>((res, rej) => {
      const p = spawn('sh', ['-c', `${editor} "$1"`, 'editor', tmp], { stdio: 'inherit' });
      p.on('error', rej);
      p.on('exit', (c) => res(c ?? 1));
    });
    if (rc !== 0) throw new HapError(`editor '${editor}' exited with ${rc}; ${file} left unchanged`);
    const edited = await readFile(tmp, 'utf8');
    if (!create && edited === plain) return;
    await writeFile(file, keyring.encrypt(edited, keep), { mode: 0o600 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function vaultMain(argv: string[], io: Io): Promise<number> {
  const a = args(argv);
  const [sub, ...files] = a.positionals;
  if (!sub) {
    io.err(VAULT_HELP);
    return EXIT.badOptions;
  }
  const keyring = await loadKeyring({ passwordFiles: a.values['vault-password-file'], vaultIds: a.values['vault-id'] });
  const label = a.values['encrypt-vault-id'];
  const need = () => {
    if (files.length === 0) throw new HapError(`hap vault ${sub}: no file given\n${VAULT_HELP}`);
    if (a.values.output && files.length > 1) throw new HapError('--output takes one input file');
  };
  switch (sub) {
    case 'encrypt':
      need();
      for (const f of files) {
        const text = await readText(f);
        if (isVaulted(text)) throw new HapError(`${f} is already vault-encrypted`);
        await writeOut(a.values.output ?? f, keyring.encrypt(text, label), io);
      }
      io.err('Encryption successful');
      return EXIT.ok;
    case 'decrypt':
      need();
      for (const f of files) await writeOut(a.values.output ?? f, keyring.decrypt(await readText(f), f).toString('utf8'), io);
      io.err('Decryption successful');
      return EXIT.ok;
    case 'view':
      need();
      for (const f of files) io.out(keyring.decrypt(await readText(f), f).toString('utf8').replace(/\n$/, ''));
      return EXIT.ok;
    case 'edit':
    case 'create':
      need();
      await edit(files[0]!, keyring, label, sub === 'create');
      return EXIT.ok;
    case 'encrypt-string':
    case 'encrypt_string': {
      const stdinName = a.values['stdin-name'];
      const values = files.length && !stdinName ? files : [(await readText('-')).replace(/\n$/, '')];
      const name = a.values.name ?? stdinName;
      for (const v of values) io.out(vaultBlock(keyring.encrypt(v === '-' ? (await readText('-')).replace(/\n$/, '') : v, label), name));
      io.err('Encryption successful');
      return EXIT.ok;
    }
    default:
      io.err(`unknown vault command '${sub}'\n${VAULT_HELP}`);
      return EXIT.badOptions;
  }
}
