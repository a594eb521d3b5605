import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_MESSAGE_KEYWORD } from '../../../engine/schemas/ajv.ts';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findModule, modules } from '../../../engine/modules/registry.ts';
import { LocalTransport } from '../../../engine/transport/local.ts';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule, type RunOptions } from '../../support/run-module.ts';

const none: RunOptions = { transport: new RecordingTransport() };
const local: RunOptions = { transport: new LocalTransport('local') };

describe('registry', () => {
  it('names every module and alias, and FQCN names', () => {
    expect([...modules.keys()].sort()).toEqual(
      ['apt', 'assert', 'blockinfile', 'command', 'copy', 'debug', 'etcd_member', 'fail', 'fetch', 'file', 'group_by', 'haproxy_server', 'lineinfile', 'package', 'pause', 'pki', 'pki_revoke', 'service', 'set_fact', 'shell', 'slurp', 'stat', 'systemd', 'systemd_service', 'template', 'uri', 'wait_for'],
    );
    expect(findModule('ansible.builtin.copy')).toBe(modules.get('copy'));
    expect(findModule('service')?.name).toBe('systemd');
    expect(findModule('include_vars')).toBeUndefined();
  });

  it.each([...new Set(modules.values())].map((m) => [m.name, m] as const))('%s: schema compiles under strict ajv', (_, m) => {
    const ajv = new Ajv({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true });
    ajv.addKeyword(ERROR_MESSAGE_KEYWORD);
    expect(() => ajv.compile(m.schema)).not.toThrow();
    if (m.name !== 'set_fact') expect(m.schema.additionalProperties).toBe(false);
  });
});

describe('assert', () => {
  const vars = { ok: true, n: 0, list: [1], empty: [] };
  const opts = { ...none, vars };
  it.each([
    [{ that: 'ok' }, 'ok', undefined],
    [{ that: ['ok', 'list'] }, 'ok', undefined],
    [{ that: ['ok', 'n'] }, 'failed', 'Assertion failed'],
    [{ that: 'empty', fail_msg: 'no items' }, 'failed', 'no items'],
    [{ that: [true, false], msg: 'templated false' }, 'failed', 'templated false'],
    [{ that: 'missing' }, 'failed', /cannot evaluate "missing"/],
  ])('%j → %s', async (args, status, msg) => {
    const r = await runModule('assert', args, opts);
    expect(r.status).toBe(status);
    if (msg) expect(r.msg).toMatch(msg);
  });

  it('names the first false expression', async () => {
    const r = await runModule('assert', { that: ['ok', 'n', 'empty'] }, opts);
    expect(r.result).toEqual({ assertion: 'n', evaluated_to: false });
  });

  it('uses success_msg', async () => {
    expect((await runModule('assert', { that: 'ok', success_msg: 'fine' }, opts)).result.msg).toBe('fine');
  });
});

describe('set_fact, debug, fail, pause', () => {
  it('set_fact returns ansible_facts without cacheable', async () => {
    const r = await runModule('set_fact', { a: 1, b: { c: [2] }, cacheable: true }, none);
    expect(r).toMatchObject({ status: 'ok', result: { ansible_facts: { a: 1, b: { c: [2] } } } });
  });

  it('set_fact rejects names that are not identifiers', async () => {
    await expect(runModule('set_fact', { 'bad-name': 1 }, none)).rejects.toThrow(/invalid args/);
  });

  it('debug msg and var', async () => {
    expect((await runModule('debug', { msg: ['a', 1] }, none)).result).toEqual({ msg: ['a', 1] });
    expect((await runModule('debug', {}, none)).result).toEqual({ msg: 'Hello world!' });
    const vars = { etcd: { peers: 3 } };
    expect((await runModule('debug', { var: 'etcd.peers' }, { ...none, vars })).result).toEqual({ 'etcd.peers': 3 });
    expect((await runModule('debug', { var: 'nope' }, none)).result).toEqual({ nope: 'VARIABLE IS NOT DEFINED!' });
  });

  it('debug skips below its verbosity', async () => {
    expect((await runModule('debug', { msg: 'x', verbosity: 2 }, { ...none, vars: { ansible_verbosity: 1 } })).status).toBe('skipped');
    expect((await runModule('debug', { msg: 'x', verbosity: 1 }, { ...none, vars: { ansible_verbosity: 1 } })).status).toBe('ok');
  });

  it('fail', async () => {
    expect(await runModule('fail', { msg: 'stop here' }, none)).toMatchObject({ status: 'failed', msg: 'stop here' });
    expect((await runModule('fail', {}, none)).msg).toBe('Failed as requested from task');
  });

  it('pause waits, and stops when the run is aborted', async () => {
    const start = Date.now();
    expect((await runModule('pause', { seconds: 0.3 }, none)).status).toBe('ok');
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const r = await runModule('pause', { minutes: 5 }, { ...none, signal: ac.signal });
    expect(r).toMatchObject({ status: 'failed', msg: 'pause interrupted' });
  });
});

describe('stat and slurp', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-stat-'));
    await writeFile(join(dir, 'f'), 'hello\n', { mode: 0o640 });
    await symlink(join(dir, 'f'), join(dir, 'l'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stat of a file, with sha1 by default and other algorithms', async () => {
    const r = await runModule('stat', { path: join(dir, 'f') }, local);
    expect(r.result.stat).toMatchObject({
      exists: true, isreg: true, isdir: false, islnk: false, mode: '0640', size: 6, pw_name: 'root',
      checksum: 'f572d396fae9206628714fb2ce00f72e94f2258f',
    });
    const sha256 = await runModule('stat', { path: join(dir, 'f'), checksum_algorithm: 'sha256' }, local);
    expect((sha256.result.stat as { checksum: string }).checksum).toBe('5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03');
    const noSum = await runModule('stat', { path: join(dir, 'f'), get_checksum: false }, local);
    expect(noSum.result.stat).not.toHaveProperty('checksum');
  });

  it('stat of a link, a directory, and a missing path', async () => {
    expect((await runModule('stat', { path: join(dir, 'l') }, local)).result.stat).toMatchObject({ islnk: true, lnk_target: join(dir, 'f') });
    expect((await runModule('stat', { path: dir }, local)).result.stat).toMatchObject({ isdir: true });
    expect((await runModule('stat', { path: join(dir, 'none') }, local)).result).toEqual({ stat: { exists: false } });
  });

  it('slurp returns base64 content', async () => {
    const r = await runModule('slurp', { src: join(dir, 'f') }, local);
    expect(r.result).toEqual({ content: Buffer.from('hello\n').toString('base64'), encoding: 'base64', source: join(dir, 'f') });
    expect((await runModule('slurp', { src: join(dir, 'none') }, local)).status).toBe('failed');
  });
});
