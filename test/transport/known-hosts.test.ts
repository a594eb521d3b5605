import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendKnownHost,
  blobKeyType,
  knownHostName,
  parseKnownHosts,
  patternsMatch,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../engine/transport/known-hosts.ts';

/** A fake SSH public key blob: length-prefixed type, then some key bytes. */
function blob(type: string, seed: string): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from(seed)]);
}

function hashed(host: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`;
}

const ed = blob('ssh-ed25519', 'key-a');
const ed2 = blob('ssh-ed25519', 'key-b');
const rsa = blob('ssh-rsa', 'key-r');
const line = (hosts: string, b: Buffer) => `${hosts} ${blobKeyType(b)} ${b.toString('base64')}`;

describe('known_hosts', () => {
  it('names non-22 ports in brackets', () => {
    expect(knownHostName('10.0.0.1', 22)).toBe('10.0.0.1');
    expect(knownHostName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it.each([
    ['10.0.0.1', '10.0.0.1', true],
    ['a.example,10.0.0.1', '10.0.0.1', true],
    ['10.0.0.*', '10.0.0.7', true],
    ['10.0.0.?', '10.0.0.17', false],
    ['10.0.0.*,!10.0.0.7', '10.0.0.7', false],
    ['[10.0.0.1]:2222', '[10.0.0.1]:2222', true],
    ['[10.0.0.1]:2222', '10.0.0.1', false],
    ['Web.Example', 'web.example', true],
  ])('pattern %s vs %s → %s', (patterns, host, expected) => {
    expect(patternsMatch(patterns, host)).toBe(expected);
  });

  it('matches hashed entries, including [host]:port', () => {
    expect(patternsMatch(hashed('10.0.0.1'), '10.0.0.1')).toBe(true);
    expect(patternsMatch(hashed('10.0.0.1'), '10.0.0.2')).toBe(false);
    expect(patternsMatch(hashed('[10.0.0.1]:2200'), '[10.0.0.1]:2200')).toBe(true);
  });

  it('skips comments, blank lines and @cert-authority, keeps line numbers', () => {
    const entries = parseKnownHosts(['# c', '', `@cert-authority *.x ${blobKeyType(ed)} AAAA`, line('h1', ed), line(hashed('h2'), rsa)].join('\n'));
    expect(entries.map((e) => e.line)).toEqual([4, 5]);
  });

  it('verdicts: match, unknown, changed with the line of the old entry, revoked', () => {
    const entries = parseKnownHosts([line('other', ed2), line('h1', rsa), line('h1', ed), `@revoked * ${blobKeyType(ed2)} ${ed2.toString('base64')}`].join('\n'));
    expect(verifyHostKey(entries, 'h1', ed)).toEqual({ kind: 'match' });
    expect(verifyHostKey(entries, 'h1', rsa)).toEqual({ kind: 'match' });
    expect(verifyHostKey(entries, 'h2', ed)).toEqual({ kind: 'unknown' });
    expect(verifyHostKey(entries, 'h1', ed2)).toEqual({ kind: 'revoked', line: 4 });
    const changed = parseKnownHosts([line('x', rsa), line('h1', ed)].join('\n'));
    expect(verifyHostKey(changed, 'h1', ed2)).toEqual({ kind: 'changed', line: 2, keyType: 'ssh-ed25519' });
    // a type not on record is unknown, not changed (OpenSSH would ask, accept-new records it)
    expect(verifyHostKey(parseKnownHosts(line('h1', ed)), 'h1', rsa)).toEqual({ kind: 'unknown' });
  });

  it('prefers the host key algorithms already known for the host', () => {
    const entries = parseKnownHosts(line('h1', rsa));
    expect(preferredHostKeyAlgorithms(entries, 'h1').slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferredHostKeyAlgorithms(entries, 'h2')[0]).toBe('ssh-ed25519');
  });

  it('appends entries, adding a missing final newline and creating the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hap-kh-'));
    try {
      const file = join(dir, 'sub', 'known_hosts');
      await appendKnownHost(file, '[h1]:2222', ed);
      const text = await readFile(file, 'utf8');
      expect(verifyHostKey(parseKnownHosts(text), '[h1]:2222', ed)).toEqual({ kind: 'match' });
      const file2 = join(dir, 'kh2');
      await writeFile(file2, line('h0', rsa));
      await appendKnownHost(file2, 'h1', ed);
      expect(parseKnownHosts(await readFile(file2, 'utf8')).map((e) => e.line)).toEqual([1, 2]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
