import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, project } from '../support/project.ts';

// Debian's ansible-core (in .ci/apt-packages): the format must work both ways with the real tool
const ansibleVault = (...args: string[]) => execFileSync('ansible-vault', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

describe('compatibility with ansible-vault', () => {
  const PLAIN = 'db_password: s3cr3t-Value\nlist: [1, 2]\n';

  it.each([
    ['1.1', []],
    ['1.2 with a vault-id', ['--encrypt-vault-id', 'prod']],
  ])('a file hap encrypts (%s) is read by ansible-vault, and the reverse', async (_name, extra) => {
    const { dir } = await project({ pw: 'pass word\n', 'a.yml': PLAIN, 'b.yml': PLAIN });
    const id = extra.length ? ['--vault-id', `prod@${join(dir, 'pw')}`] : ['--vault-password-file', join(dir, 'pw')];
    // hap → ansible-vault
    const r = await hap('vault', 'encrypt', join(dir, 'a.yml'), ...id, ...extra);
    expect(r.code).toBe(0);
    const hapText = await readFile(join(dir, 'a.yml'), 'utf8');
    expect(hapText).not.toContain('s3cr3t');
    expect(hapText.split('\n')[0]).toBe(extra.length ? '$ANSIBLE_VAULT;1.2;AES256;prod' : '$ANSIBLE_VAULT;1.1;AES256');
    expect(ansibleVault('view', join(dir, 'a.yml'), ...id)).toBe(PLAIN);
    // ansible-vault → hap
    ansibleVault('encrypt', join(dir, 'b.yml'), ...id, ...extra);
    const v = await hap('vault', 'view', join(dir, 'b.yml'), ...id);
    expect(v.code).toBe(0);
    expect(v.out.join('\n')).toBe(PLAIN.trimEnd());
    const d = await hap('vault', 'decrypt', join(dir, 'b.yml'), ...id);
    expect(d.code).toBe(0);
    expect(await readFile(join(dir, 'b.yml'), 'utf8')).toBe(PLAIN);
  });

  it('encrypt-string output is a !vault value ansible reads', async () => {
    const { dir } = await project({ pw: 'pw-1234\n' });
    const r = await hap('vault', 'encrypt-string', 'the-token-value', '--name', 'token', '--vault-password-file', join(dir, 'pw'));
    expect(r.code).toBe(0);
    const yml = join(dir, 'vars.yml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(yml, `${r.out.join('\n')}\n`);
    const out = execFileSync(
      'ansible',
      ['localhost', '-m', 'debug', '-a', 'var=token', '-e', `@${yml}`, '--vault-password-file', join(dir, 'pw')],
      { encoding: 'utf8', env: { ...process.env, ANSIBLE_LOCALHOST_WARNING: 'false', ANSIBLE_INVENTORY_UNPARSED_WARNING: 'false' } },
    );
    expect(out).toContain('"token": "the-token-value"');
  });

  it('edit re-encrypts what the editor wrote, keeping the vault-id', async () => {
    const { dir } = await project({ pw: 'pw-1234\n', 'e.yml': 'a: 1\n', 'ed.sh': '#!/bin/sh\necho "b: 2" >> "$1"\n' });
    ansibleVault('encrypt', join(dir, 'e.yml'), '--vault-id', `ops@${join(dir, 'pw')}`, '--encrypt-vault-id', 'ops');
    process.env.EDITOR = `sh ${join(dir, 'ed.sh')}`;
    try {
      expect((await hap('vault', 'edit', join(dir, 'e.yml'), '--vault-id', `ops@${join(dir, 'pw')}`)).code).toBe(0);
    } finally {
      delete process.env.EDITOR;
    }
    expect((await readFile(join(dir, 'e.yml'), 'utf8')).split('\n')[0]).toBe('$ANSIBLE_VAULT;1.2;AES256;ops');
    expect(ansibleVault('view', join(dir, 'e.yml'), '--vault-id', `ops@${join(dir, 'pw')}`)).toBe('a: 1\nb: 2\n');
  });

  it('a wrong password is a clear error naming the file', async () => {
    const { dir } = await project({ pw: 'right\n', bad: 'wrong\n', 'c.yml': PLAIN });
    ansibleVault('encrypt', join(dir, 'c.yml'), '--vault-password-file', join(dir, 'pw'));
    const r = await hap('vault', 'view', join(dir, 'c.yml'), '--vault-password-file', join(dir, 'bad'));
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toBe(`ERROR: ${join(dir, 'c.yml')}: vault decryption failed: wrong password (tried ${join(dir, 'bad')})`);
    expect(r.out).toEqual([]);
  });
});
