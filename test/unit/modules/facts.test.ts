import { describe, expect, it } from 'vitest';
import { parseAptPolicy, parseDpkg } from '../../../engine/facts/dpkg.ts';
import { fileFact, parseFileStat } from '../../../engine/facts/file.ts';
import { parseUnitState } from '../../../engine/facts/systemd.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';

const ok = (stdout: string) => ({ rc: 0, stdout, stderr: '' });

describe.each([
  { out: 'absent\n', want: { exists: false } },
  {
    out: 'stat regular file|644|0|0|root|root|12|1700000000\nsum abc\n',
    want: { exists: true, type: 'file', mode: 0o644, uid: 0, gid: 0, owner: 'root', group: 'root', size: 12, mtime: 1700000000, checksum: 'abc' },
  },
  { out: 'stat regular empty file|600|1|2|a|b|0|1\n', want: { type: 'file', mode: 0o600 } },
  { out: 'stat directory|4755|0|0|root|root|4096|1\n', want: { type: 'directory', mode: 0o4755 } },
  { out: 'stat symbolic link|777|0|0|root|root|7|1\nlink /a b\n', want: { type: 'link', target: '/a b' } },
  { out: 'stat fifo|644|0|0|root|root|0|1\n', want: { type: 'other' } },
])('parseFileStat($out)', ({ out, want }) => {
  it('parses', () => expect(parseFileStat(ok(out), '/p')).toMatchObject(want));
});

it('parseFileStat throws on a failed command', () => {
  expect(() => parseFileStat({ rc: 1, stdout: '', stderr: 'Permission denied' }, '/p')).toThrow(/stat \/p failed: Permission denied/);
});

it('fileFact runs against a real path with a quoted name', async () => {
  const t = new LocalTransport('local');
  const fact = fileFact('/etc/hostname');
  const s = fact.parse(await t.exec(fact.command));
  expect(s).toMatchObject({ exists: true, type: 'file', owner: 'root' });
  const missing = fileFact("/no such/'file");
  expect(missing.parse(await t.exec(missing.command))).toEqual({ exists: false });
});

describe.each([
  {
    out: 'ActiveState=active\nUnitFileState=enabled\nLoadState=loaded\nNeedDaemonReload=no\n',
    want: { activeState: 'active', unitFileState: 'enabled', loadState: 'loaded', needDaemonReload: false },
  },
  {
    out: 'LoadState=not-found\nActiveState=inactive\nUnitFileState=\n',
    want: { activeState: 'inactive', unitFileState: '', loadState: 'not-found', needDaemonReload: false },
  },
  { out: 'NeedDaemonReload=yes\nLoadState=loaded\n', want: { needDaemonReload: true } },
])('parseUnitState', ({ out, want }) => {
  it(`parses ${JSON.stringify(out)}`, () => expect(parseUnitState(ok(out), 'x')).toMatchObject(want));
});

it('parseDpkg keeps installed state and prefers an installed architecture', () => {
  const m = parseDpkg(ok('adduser 3.134 ii \nold-thing 1.0 rc \nlibc6 2.36 un \nlibc6 2.36-9 ii \nhalf 1 iF \n'));
  expect(m.get('adduser')).toEqual({ version: '3.134', status: 'ii', installed: true });
  expect(m.get('old-thing')?.installed).toBe(false);
  expect(m.get('libc6')).toMatchObject({ version: '2.36-9', installed: true });
  expect(m.get('half')?.installed).toBe(false);
});

it('parseAptPolicy reads installed and candidate versions', () => {
  const out = [
    'curl:',
    '  Installed: 7.88.1-10+deb12u14',
    '  Candidate: 7.88.1-10+deb12u15',
    '  Version table:',
    '     7.88.1-10+deb12u15 500',
    'nginx:',
    '  Installed: (none)',
    '  Candidate: 1.22.1-9',
    'ghost:',
    '  Installed: (none)',
    '  Candidate: (none)',
  ].join('\n');
  const m = parseAptPolicy(ok(out));
  expect(m.get('curl')).toEqual({ installed: '7.88.1-10+deb12u14', candidate: '7.88.1-10+deb12u15' });
  expect(m.get('nginx')).toEqual({ installed: null, candidate: '1.22.1-9' });
  expect(m.get('ghost')).toEqual({ installed: null, candidate: null });
});
