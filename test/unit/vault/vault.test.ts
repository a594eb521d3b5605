import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptEnvelope, encrypt, parseEnvelope } from '../../../engine/vault/format.ts';
import { Keyring } from '../../../engine/vault/keyring.ts';
import { HIDDEN, redactValue } from '../../../engine/vault/redact.ts';
import { hap, project } from '../../support/project.ts';

const FIX = new URL('../../fixtures/vault/', import.meta.url).pathname;
const PW = Buffer.from('fixture-password');
const keyring = () => new Keyring([{ label: 'default', password: PW, source: 'pw' }]);

describe('ansible-vault format', () => {
  it.each(['ansible-1.1.yml', 'ansible-1.2.yml'])('decrypts %s written by ansible-vault', async (f) => {
    const text = await readFile(join(FIX, f), 'utf8');
    expect(decryptEnvelope(parseEnvelope(text), PW).toString()).toBe('ca_passphrase: correct-horse-battery\nreplicas: 3\n');
  });

  it('reads the 1.2 label', async () => {
    expect(parseEnvelope(await readFile(join(FIX, 'ansible-1.2.yml'), 'utf8')).label).toBe('team');
  });

  it('writes the exact bytes ansible-vault writes for the same salt', async () => {
    // same salt + password → same keys and IV → the same envelope: compare with the fixture
    const text = await readFile(join(FIX, 'ansible-1.1.yml'), 'utf8');
    const salt = parseEnvelope(text).salt;
    expect(encrypt('ca_passphrase: correct-horse-battery\nreplicas: 3\n', PW, undefined, salt)).toBe(text);
  });

  it.each(['', 'x', '0123456789abcdef', 'a'.repeat(100), 'ünïcødé ✓'])('round-trips %j', (plain) => {
    const env = encrypt(plain, PW, 'lbl');
    expect(env.startsWith('$ANSIBLE_VAULT;1.2;AES256;lbl\n')).toBe(true);
    expect(env.split('\n').slice(1, -1).every((l) => l.length <= 80)).toBe(true);
    expect(decryptEnvelope(parseEnvelope(env), PW).toString()).toBe(plain);
  });

  it('a wrong password names the file and never the password', () => {
    const k = new Keyring([{ label: 'default', password: Buffer.from('nope-nope'), source: '/tmp/pw-file' }]);
    const env = encrypt('s', PW);
    expect(() => k.decrypt(env, 'group_vars/all/vault.yml')).toThrow(/^group_vars\/all\/vault.yml: vault decryption failed: wrong password \(tried \/tmp\/pw-file\)$/);
  });

  it('no password given says how to give one', () => {
    expect(() => new Keyring([]).decrypt(encrypt('s', PW), 'v.yml')).toThrow(/--vault-password-file/);
  });

  it('redacts revealed values everywhere in an event', () => {
    const k = keyring();
    k.reveal(encrypt('hunter2-secret', PW), 'x');
    const e = { event: 'host_result', msg: 'pw=hunter2-secret!', result: { a: ['hunter2-secret'] } };
    expect(redactValue(e, k.revealed)).toEqual({ event: 'host_result', msg: `pw=${HIDDEN}!`, result: { a: [HIDDEN] } });
  });
});

describe('vault values in a run', () => {
  const files = async (pwText = 'fixture-password\n') =>
    project({
      'pw': pwText,
      'inv/hosts.yml': 'all:\n  vars: { ansible_connection: local }\n  hosts: { h1: {} }\n',
      'inv/group_vars/all/vault.yml': await readFile(join(FIX, 'ansible-1.1.yml'), 'utf8'),
      'inv/group_vars/all/plain.yml': await readFile(join(FIX, 'inline.yml'), 'utf8'),
      'site.yml': `- hosts: all
  gather_facts: false
  tasks:
    - debug: { msg: "token {{ api_token }} and {{ ca_passphrase }} for {{ replicas }}" }
    - command: echo {{ api_token }}
      register: r
    - assert: { that: ["r.stdout == 'inline-secret-9'", "ca_passphrase == 'correct-horse-battery'"] }
    - command: echo plain-but-no-log-77
      no_log: true
`,
    });

  it('decrypts whole files and !vault values, and hides them in every line printed', async () => {
    const { dir } = await files();
    for (const output of ['pretty', 'json']) {
      const r = await hap('run', join(dir, 'site.yml'), '-i', join(dir, 'inv'), '--vault-password-file', join(dir, 'pw'), '-vv', '-o', output);
      const all = [...r.out, ...r.err].join('\n');
      expect(r.code, all).toBe(0);
      expect(all).toContain(`token ${HIDDEN} and ${HIDDEN} for 3`);
      expect(all).not.toContain('inline-secret-9');
      expect(all).not.toContain('correct-horse-battery');
      expect(all).not.toContain('plain-but-no-log-77');
    }
    // the run journals hold neither the vault values nor the no_log task's output
    const journals = await readdir(join(dir, 'inv/.hap/runs'));
    expect(journals).toHaveLength(2);
    for (const j of journals) {
      const text = await readFile(join(dir, 'inv/.hap/runs', j), 'utf8');
      expect(text).toContain('"event":"run_end"');
      for (const secret of ['inline-secret-9', 'correct-horse-battery', 'plain-but-no-log-77', 'fixture-password']) expect(text).not.toContain(secret);
    }
  });

  it('vault values in play vars, vars_files and -e @file; vault-id labels', async () => {
    const k = new Keyring([{ label: 'prod', password: Buffer.from('prod-pw'), source: 'x' }]);
    const block = (plain: string) => `!vault |\n${k.encrypt(plain, 'prod').trimEnd().split('\n').map((l) => `      ${l}`).join('\n')}`;
    const { dir } = await project({
      pw: 'prod-pw\n',
      'inv.yml': 'all:\n  vars: { ansible_connection: local }\n  hosts: { h1: {} }\n',
      'files.yml': k.encrypt('from_file: file-secret-1\n', 'prod'),
      'extra.yml': k.encrypt('from_extra: extra-secret-2\n', 'prod'),
      'site.yml': `- hosts: all
  gather_facts: false
  vars_files: [files.yml]
  vars:
    from_play: ${block('play-secret-3')}
  tasks:
    - assert: { that: ["from_file == 'file-secret-1'", "from_extra == 'extra-secret-2'", "from_play == 'play-secret-3'"] }
    - debug: { msg: "{{ from_file }} {{ from_extra }} {{ from_play }}" }
`,
    });
    const r = await hap('run', join(dir, 'site.yml'), '-i', join(dir, 'inv.yml'), '-e', `@${join(dir, 'extra.yml')}`, '--vault-id', `prod@${join(dir, 'pw')}`);
    const all = [...r.out, ...r.err].join('\n');
    expect(r.code, all).toBe(0);
    expect(all).toContain(`"${HIDDEN} ${HIDDEN} ${HIDDEN}"`);
    for (const s of ['file-secret-1', 'extra-secret-2', 'play-secret-3']) expect(all).not.toContain(s);
  });

  it('the password file may come from ANSIBLE_VAULT_PASSWORD_FILE', async () => {
    const { dir } = await files();
    process.env.ANSIBLE_VAULT_PASSWORD_FILE = join(dir, 'pw');
    try {
      expect((await hap('run', join(dir, 'site.yml'), '-i', join(dir, 'inv'))).code).toBe(0);
    } finally {
      delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    }
  });

  it('a wrong password is an error naming the file; nothing runs', async () => {
    const { dir } = await files('not-the-password\n');
    const r = await hap('run', join(dir, 'site.yml'), '-i', join(dir, 'inv'), '--vault-password-file', join(dir, 'pw'), '-o', 'json');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain(`${join(dir, 'inv/group_vars/all/vault.yml')}: vault decryption failed: wrong password`);
    expect(r.out).toEqual([]);
  });

  it('an inline value without a password names its line', async () => {
    const { dir } = await files();
    const r = await hap('run', join(dir, 'site.yml'), '-i', join(dir, 'inv'));
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/vault-encrypted and no vault password was given/);
  });
});
