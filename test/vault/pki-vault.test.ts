import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, project } from '../support/project.ts';

const play = (vaultKeys: boolean) => `- hosts: h1
  gather_facts: false
  tasks:
    - pki:
        dir: $DIR/pki
        cas: [{ name: ca, cn: test-ca }]
        certs: [{ name: server, ca: ca, cn: s1, usages: [server] }]
        service_account: false
        vault_keys: ${vaultKeys}
    - copy: { src: "{{ playbook_dir }}/pki/ca.key", dest: $DIR/out/ca.key, mode: "0600" }
`;

describe('pki: CA keys kept vault-encrypted on the controller', () => {
  it('a plain CA key is encrypted in place, read back to sign, copied decrypted, and never printed', async () => {
    const { dir } = await project({
      pw: 'pki-pass\n',
      'out/.keep': '',
      'inv.yml': 'all:\n  vars: { ansible_connection: local }\n  hosts: { h1: {} }\n',
      'plain.yml': play(false),
      'vaulted.yml': play(true),
    });
    const pw = ['--vault-password-file', join(dir, 'pw')];
    const first = await hap('run', join(dir, 'plain.yml'), '-i', join(dir, 'inv.yml'));
    expect(first.code, [...first.out, ...first.err].join('\n')).toBe(0);
    const plainKey = await readFile(join(dir, 'pki/ca.key'), 'utf8');
    expect(plainKey).toMatch(/^-----BEGIN/);

    const noPw = await hap('run', join(dir, 'vaulted.yml'), '-i', join(dir, 'inv.yml'), '-o', 'json');
    expect(noPw.code).toBe(2);
    expect(JSON.stringify(noPw.events)).toContain('vault_keys: the CA keys are kept vault-encrypted, so a vault password is needed');

    const r = await hap('run', join(dir, 'vaulted.yml'), '-i', join(dir, 'inv.yml'), ...pw, '-vv', '--diff');
    expect(r.code, r.out.join('\n')).toBe(0);
    expect(r.out.join('\n')).toContain(`encrypt ${join(dir, 'pki/ca.key')} with the vault`);
    const stored = await readFile(join(dir, 'pki/ca.key'), 'utf8');
    expect(stored.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    // Debian's ansible-vault reads it; the copy on the host is the plain key
    expect(execFileSync('ansible-vault', ['view', join(dir, 'pki/ca.key'), ...pw], { encoding: 'utf8' })).toBe(plainKey);
    expect(await readFile(join(dir, 'out/ca.key'), 'utf8')).toBe(plainKey);

    // again: nothing to do (the encrypted key is read and still signs the server certificate)
    const again = await hap('run', join(dir, 'vaulted.yml'), '-i', join(dir, 'inv.yml'), ...pw, '-o', 'json');
    expect(again.code).toBe(0);
    expect(again.events.filter((e) => e.event === 'host_result' && e.status === 'changed')).toEqual([]);

    // the key's body appears in no output and no journal
    const body = plainKey.split('\n')[1]!;
    expect([...r.out, ...r.err, ...again.out].join('\n')).not.toContain(body);
    for (const j of await readdir(join(dir, '.hap/runs'))) expect(await readFile(join(dir, '.hap/runs', j), 'utf8')).not.toContain(body);
  });
});
