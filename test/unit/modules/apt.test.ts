import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aptGet } from '../../../engine/modules/apt.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { RecordingTransport, type Rule } from '../../support/recording-transport.ts';
import { runModule } from '../../support/run-module.ts';

const DPKG = 'curl 7.88.1-10 ii \nnginx-common 1.22 rc \nopenssl 3.0.1 ii \n';
const POLICY = 'curl:\n  Installed: 7.88.1-10\n  Candidate: 7.88.1-11\nopenssl:\n  Installed: 3.0.1\n  Candidate: 3.0.1\n';

function host(extra: Rule[] = [], cacheAge = 99999): RecordingTransport {
  return new RecordingTransport([
    ...extra,
    { match: 'dpkg-query', result: { stdout: DPKG } },
    { match: 'apt-cache policy', result: { stdout: POLICY } },
    { match: 'update-success-stamp', result: { stdout: `${cacheAge}\n` } },
    { match: 'apt-get' },
  ]);
}
const install = (...p: string[]): string => aptGet('install', p);

describe.each([
  { name: 'installs what is missing', args: { name: ['curl', 'nginx'] }, run: [install('nginx')] },
  { name: 'comma-separated names', args: { name: 'curl,nginx' }, run: [install('nginx')] },
  { name: 'present is ok when installed', args: { name: 'curl' }, run: [] },
  { name: 'a pinned version that differs', args: { name: 'curl=7.88.1-11' }, run: [install('curl=7.88.1-11')] },
  { name: 'a pinned version that matches', args: { name: 'curl=7.88.1-10' }, run: [] },
  { name: 'a version pattern that matches', args: { name: 'curl=7.88.1-*' }, run: [] },
  { name: 'a version pattern that differs', args: { name: 'curl=7.88.2-*' }, run: [install('curl=7.88.2-*')] },
  { name: 'held packages may change when asked', args: { name: 'curl=7.88.2-*', allow_change_held_packages: true }, run: [aptGet('install', ['curl=7.88.2-*'], false, true)] },
  { name: 'latest upgrades to the candidate', args: { name: ['curl', 'openssl'], state: 'latest' }, run: [install('curl', 'openssl')] },
  { name: 'latest is ok at the candidate', args: { name: 'openssl', state: 'latest' }, run: [] },
  { name: 'absent removes installed ones', args: { name: ['curl', 'nginx-common'], state: 'absent' }, run: [aptGet('remove', ['curl'])] },
  { name: 'purge also clears config-only packages', args: { name: ['nginx-common'], state: 'absent', purge: true }, run: [aptGet('purge', ['nginx-common'])] },
  { name: 'update_cache alone is a change', args: { update_cache: true }, run: [aptGet('update', [])] },
  { name: 'update_cache within cache_valid_time is ok', args: { update_cache: true, cache_valid_time: 3600 }, age: 10, run: [] },
  { name: 'update_cache with nothing to install is ok', args: { name: 'curl', update_cache: true }, run: [] },
  { name: 'update_cache runs before an install', args: { name: 'nginx', update_cache: true }, run: [aptGet('update', []), install('nginx')] },
])('apt: $name', ({ args, run, age }) => {
  it('plans these apt-get commands', async () => {
    const t = host([], age);
    const r = await runModule('apt', args, { transport: t });
    expect(r.status).toBe(run.length ? 'changed' : 'ok');
    expect(t.commands.filter((c) => c.includes('apt-get'))).toEqual(run);
  });
});

describe('apt', () => {
  it('builds a noninteractive apt-get that keeps config files and skips recommends', () => {
    expect(install('a b')).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get -y -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold -o DPkg::Lock::Timeout=120 install --no-install-recommends 'a b'",
    );
  });

  it('latest with a stale cache refreshes it before reading candidates', async () => {
    const t = host();
    await runModule('apt', { name: 'openssl', state: 'latest', update_cache: true }, { transport: t });
    const cmds = t.commands;
    expect(cmds.findIndex((c) => c === aptGet('update', []))).toBeLessThan(cmds.findIndex((c) => c.includes('apt-cache policy')));
  });

  it('latest fails when no version is available', async () => {
    const r = await runModule('apt', { name: 'ghost', state: 'latest' }, { transport: host() });
    expect(r).toMatchObject({ status: 'failed', msg: "No package matching 'ghost' is available" });
  });

  it('reports apt-get output when an install fails', async () => {
    const t = host([{ match: 'install', result: { rc: 100, stderr: 'E: Unable to locate package nope\n' } }]);
    const r = await runModule('package', { name: 'nope' }, { transport: t });
    expect(r).toMatchObject({ status: 'failed', msg: 'install nope failed: E: Unable to locate package nope' });
  });

  it('rejects a bad state by schema', async () => {
    await expect(runModule('apt', { name: 'x', state: 'installed' }, { transport: host() })).rejects.toThrow(/invalid args/);
  });
});

const canDpkg = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('dpkg-deb', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!canDpkg)('apt with a real .deb (hap-test-dummy)', () => {
  let dir: string;
  const t = new LocalTransport('local');
  const installed = (): string => {
    try {
      return execFileSync('dpkg-query', ['-W', '-f', '${Version} ${db:Status-Abbrev}', 'hap-test-dummy'], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  async function buildDeb(version: string): Promise<string> {
    const root = join(dir, `pkg-${version}`);
    await mkdir(join(root, 'DEBIAN'), { recursive: true });
    await mkdir(join(root, 'usr/share/hap-test-dummy'), { recursive: true });
    await writeFile(join(root, 'usr/share/hap-test-dummy/VERSION'), `${version}\n`);
    await writeFile(
      join(root, 'DEBIAN/control'),
      `Package: hap-test-dummy\nVersion: ${version}\nArchitecture: all\nMaintainer: hap <hap@example.invalid>\nDescription: hap test package\n`,
    );
    const deb = join(dir, `hap-test-dummy_${version}_all.deb`);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, deb], { stdio: 'ignore' });
    return deb;
  }
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-apt-'));
    execFileSync('dpkg', ['--purge', 'hap-test-dummy'], { stdio: 'ignore' });
  });
  afterAll(async () => {
    execFileSync('dpkg', ['--purge', 'hap-test-dummy'], { stdio: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  });

  it('installs a deb, is idempotent, upgrades, and removes', { timeout: 240_000 }, async () => {
    const v1 = await buildDeb('1.0');
    const dry = await runModule('apt', { deb: v1 }, { transport: t, check: true });
    expect(dry.changes).toEqual([`install hap-test-dummy 1.0 from ${v1}`]);
    expect(installed()).toBe('');

    expect((await runModule('apt', { deb: v1 }, { transport: t })).status).toBe('changed');
    expect(installed()).toBe('1.0 ii');
    expect((await runModule('apt', { deb: v1 }, { transport: t })).status).toBe('ok');
    expect((await runModule('apt', { name: 'hap-test-dummy' }, { transport: t })).status).toBe('ok');

    const v2 = await buildDeb('2.0');
    const up = await runModule('apt', { deb: v2 }, { transport: t });
    expect(up.changes).toEqual([`install hap-test-dummy 2.0 from ${v2} (was 1.0)`]);
    expect(installed()).toBe('2.0 ii');

    expect((await runModule('apt', { name: 'hap-test-dummy', state: 'absent' }, { transport: t })).status).toBe('changed');
    expect(installed()).not.toMatch(/ii$/);
    expect((await runModule('apt', { name: 'hap-test-dummy', state: 'absent' }, { transport: t })).status).toBe('ok');
  });
});
