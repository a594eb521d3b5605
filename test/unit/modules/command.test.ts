import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { splitArgs } from '../../../engine/modules/run-command.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule, type RunOptions } from '../../support/run-module.ts';

describe.each([
  ['echo a b', ['echo', 'a', 'b']],
  ["echo 'a b'  c", ['echo', 'a b', 'c']],
  ['echo "a \\"q\\" $x"', ['echo', 'a "q" $x']],
  ['printf a\\ b', ['printf', 'a b']],
  ["x ''", ['x', '']],
  ['a|b > c', ['a|b', '>', 'c']],
])('splitArgs(%j)', (line, want) => {
  it('splits like a POSIX shell without expanding', () => expect(splitArgs(line)).toEqual(want));
});

it('splitArgs rejects an unterminated quote', () => {
  expect(() => splitArgs("echo 'oops")).toThrow(/unterminated/);
});

describe('command and shell', () => {
  let dir: string;
  let opts: RunOptions;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-cmd-'));
    opts = { transport: new LocalTransport('local') };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('command runs without a shell: operators are plain arguments', async () => {
    const r = await runModule('command', 'echo a | tr a b', opts);
    expect(r.status).toBe('changed');
    expect(r.result).toMatchObject({ rc: 0, stdout: 'a | tr a b', stdout_lines: ['a | tr a b'], cmd: ['echo', 'a', '|', 'tr', 'a', 'b'] });
  });

  it('shell runs a pipeline', async () => {
    const r = await runModule('shell', 'echo a | tr a b; echo err >&2', opts);
    expect(r.result).toMatchObject({ rc: 0, stdout: 'b', stderr: 'err', stderr_lines: ['err'], cmd: 'echo a | tr a b; echo err >&2' });
  });

  it('shell uses executable', async () => {
    const r = await runModule('shell', { cmd: 'echo ${BASH_VERSION:+bash}', executable: '/bin/bash' }, opts);
    expect(r.result.stdout).toBe('bash');
  });

  it.each(['command', 'shell'])('%s: a non-zero rc fails with the result', async (module) => {
    const r = await runModule(module, { cmd: 'ls /definitely-missing' }, opts);
    expect(r.status).toBe('failed');
    expect(r.msg).toBe('non-zero return code');
    expect(r.result.rc).toBe(2);
    expect(String(r.result.stderr)).toMatch(/definitely-missing/);
  });

  it('argv keeps each word intact', async () => {
    const r = await runModule('command', { argv: ['printf', '%s|', 'a b', "it's"] }, opts);
    expect(r.result.stdout).toBe("a b|it's|");
  });

  it('chdir and stdin', async () => {
    const r = await runModule('shell', { cmd: 'pwd; cat', chdir: dir, stdin: 'hi' }, opts);
    expect(r.result.stdout_lines).toEqual([dir, 'hi']);
  });

  it('creates: ok when the path exists, runs otherwise (relative to chdir)', async () => {
    const args = { cmd: 'touch made', chdir: dir, creates: 'made' };
    expect((await runModule('command', args, opts)).status).toBe('changed');
    const again = await runModule('command', args, opts);
    expect(again).toMatchObject({ status: 'ok', msg: "Did not run command since 'made' exists" });
  });

  it('removes: ok when the path is absent', async () => {
    const path = join(dir, 'victim');
    const args = { cmd: `rm ${path}`, removes: path };
    expect((await runModule('command', args, opts)).status).toBe('ok');
    await writeFile(path, '');
    expect((await runModule('command', args, opts)).status).toBe('changed');
  });

  it('check mode reports the command as skipped (its outcome is unknown) and runs nothing', async () => {
    const t = new RecordingTransport();
    const r = await runModule('shell', 'rm -rf /important', { transport: t, check: true });
    expect(r).toMatchObject({ status: 'skipped', changes: ['run rm -rf /important'] });
    expect(t.calls).toEqual([]);
  });

  it('builds quoted commands with become, chdir and creates', async () => {
    const t = new RecordingTransport([{ match: 'if [', result: { stdout: '' } }, { match: /./ }]);
    const become = { user: 'root', method: 'sudo' as const };
    await runModule('command', { cmd: "echo 'a b'", chdir: '/srv/my app', creates: '/x y' }, { transport: t, become });
    expect(t.commands).toEqual(["cd -- '/srv/my app' && if [ -e '/x y' ]; then echo creates; fi", "cd -- '/srv/my app' && echo 'a b'"]);
    expect(t.calls.every((c) => c.op === 'exec' && c.opts.become === become)).toBe(true);
  });

  it('rejects both cmd and argv', async () => {
    expect((await runModule('command', { cmd: 'a', argv: ['a'] }, opts)).status).toBe('failed');
    await expect(runModule('shell', { cmd: 'a', argv: ['a'] }, opts)).rejects.toThrow(/invalid args/);
  });
});
