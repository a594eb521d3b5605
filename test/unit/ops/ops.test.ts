import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listRuns, readRun } from '../../../engine/ops/runs.ts';
import { hap, project } from '../../support/project.ts';

const BIN = new URL('../../../bin/hap.mjs', import.meta.url).pathname;

// local hosts; each task appends its host to a file so the test sees who ran what
const files = (sleep = 0.4) => ({
  'inv.yml': `all:
  vars:
    ansible_connection: local
    hap_lock_file: "$DIR/locks/{{ inventory_hostname }}.lock"
  hosts: { a: {}, b: {}, c: {} }
`,
  'pb.yml': `- hosts: all
  serial: 1
  gather_facts: false
  tasks:
    - shell: echo {{ inventory_hostname }} >> $DIR/ran && sleep ${sleep}
    - shell: echo {{ inventory_hostname }} >> $DIR/done
`,
});

const lines = async (f: string) => (await readFile(f, 'utf8').catch(() => '')).split('\n').filter(Boolean);
const locks = async (dir: string) => (await readdir(join(dir, 'locks')).catch(() => [] as string[])).filter((f) => f.endsWith('.lock'));
const run = (dir: string, ...extra: string[]) => hap('run', join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '--lock', ...extra);

describe('run journal, lock, interrupt, resume', () => {
  it('journals every event with monotonic times; runs and report read it', async () => {
    const { dir } = await project(files(0));
    expect((await run(dir)).code).toBe(0);
    const [r] = await listRuns(join(dir, '.hap/runs'));
    expect(r!.start).toMatchObject({ playbook: join(dir, 'pb.yml'), inventory: join(dir, 'inv.yml'), check: false });
    expect(r!.end).toMatchObject({ outcome: 'ok', exit: 0 });
    const ts = r!.lines.map((l) => l.t);
    expect(ts).toEqual([...ts].sort((x, y) => x - y));
    expect(r!.lines.filter((l) => l.event === 'batch_end').map((l) => (l as { hosts: string[] }).hosts)).toEqual([['a'], ['b'], ['c']]);
    const runs = await hap('runs', '-i', join(dir, 'inv.yml'));
    expect(runs.out[0]).toMatch(new RegExp(`^${r!.id} .* ok +3 batches  ${join(dir, 'pb.yml')}`));
    const report = await hap('report', '-i', join(dir, 'inv.yml'));
    expect(report.out.join('\n')).toMatch(/^b: 2 tasks, 2 changed\n  play 'all' batch 2 \[b\]/m);
    expect(await locks(dir)).toEqual([]);
  });

  it('two runs started together: exactly one runs, the other is refused before any change, naming it', async () => {
    const { dir } = await project(files());
    const [x, y] = await Promise.all([run(dir), run(dir)]);
    const [won, lost] = x.code === 0 ? [x, y] : [y, x];
    expect(won.code).toBe(0);
    expect(lost.code).toBe(7);
    const runs = await listRuns(join(dir, '.hap/runs'));
    const winner = runs.find((r) => r.end?.outcome === 'ok')!;
    expect(lost.err.join('\n')).toMatch(new RegExp(`refused before any change: the cluster is locked by run ${winner.id} of ${join(dir, 'pb.yml')} by \\S+@\\S+ \\(pid ${process.pid}\\) since 20`));
    expect(await lines(join(dir, 'ran'))).toEqual(['a', 'b', 'c']);
    expect(await locks(dir)).toEqual([]);
  });

  it('--check takes no lock', async () => {
    const { dir } = await project(files(0));
    const held = run(dir);
    const check = await run(dir, '--check');
    expect(check.code).toBe(0);
    expect((await held).code).toBe(0);
  });

  it('the first SIGINT finishes the running batch, starts no other, releases the lock, exits 99', async () => {
    const { dir } = await project(files(1));
    const p = run(dir, '-o', 'json');
    // interrupt once the first batch has started its first task
    for (let i = 0; i < 100 && !(await lines(join(dir, 'ran'))).length; i++) await new Promise((r) => setTimeout(r, 50));
    process.emit('SIGINT', 'SIGINT');
    const r = await p;
    expect(r.code).toBe(99);
    expect(await lines(join(dir, 'done'))).toEqual(['a']); // the batch finished
    expect(await lines(join(dir, 'ran'))).toEqual(['a']); // nothing else was touched
    expect(r.events.find((e) => e.event === 'stopped')).toEqual({ event: 'stopped', reason: expect.stringMatching(/^interrupted/), undone: [{ play: 'all', hosts: ['b', 'c'] }] });
    expect(r.events.at(-1)?.event).toBe('recap');
    expect(await locks(dir)).toEqual([]);
    const [j] = await listRuns(join(dir, '.hap/runs'));
    expect(j!.end).toMatchObject({ outcome: 'interrupted', exit: 99 });
  });

  it('a SIGKILLed run leaves a stale lock; --resume takes it over and runs only the batches left', async () => {
    const { dir } = await project(files(1));
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '--lock'], { stdio: 'ignore' });
    // kill once b's batch has started: a completed, b interrupted, c never started
    for (let i = 0; i < 400 && !(await lines(join(dir, 'ran'))).includes('b'); i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    expect(await locks(dir)).toEqual(['a.lock', 'b.lock', 'c.lock']);
    const again = await run(dir);
    expect(again.code).toBe(7);
    expect(again.err.join('\n')).toMatch(/STALE: that process is gone .*--resume' continues it, 'hap unlock -i INVENTORY' removes the lock/);
    const shown = await hap('lock', '-i', join(dir, 'inv.yml'));
    expect(shown.out).toHaveLength(3);
    expect(shown.out.every((l) => /^[abc]: locked by run .* STALE/.test(l))).toBe(true);
    const resumed = await run(dir, '--resume', '-o', 'json');
    expect(resumed.code).toBe(0);
    expect(resumed.events.filter((e) => e.event === 'warning').map((e) => (e as { msg: string }).msg).join('\n')).toMatch(/stale lock of run \S+ \(pid \d+ is gone\) on a taken over/);
    // a ran once; b ran again from the start of its batch; c ran
    expect(await lines(join(dir, 'ran'))).toEqual(['a', 'b', 'b', 'c']);
    expect(await lines(join(dir, 'done'))).toEqual(['a', 'b', 'c']);
    expect(await locks(dir)).toEqual([]);
    const runs = await listRuns(join(dir, '.hap/runs'));
    expect(runs.at(-1)!.start.resumes).toBe(runs[0]!.id);
    const nothing = await run(dir, '--resume');
    expect(nothing.code).toBe(1);
    expect(nothing.err.join('\n')).toMatch(/--resume: no unfinished run/);
  });

  it('a second SIGINT stops at once; the journal says where', async () => {
    const { dir } = await project(files(30));
    const child = spawn(process.execPath, [BIN, 'run', join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '--lock'], { stdio: 'ignore' });
    for (let i = 0; i < 400 && !(await lines(join(dir, 'ran'))).length; i++) await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const code = await new Promise((r) => child.on('exit', (c) => r(c)));
    expect(code).toBe(99);
    expect(Date.now() - t0).toBeLessThan(5000); // not the 30 s task
    const [j] = await listRuns(join(dir, '.hap/runs'));
    expect(j!.end).toMatchObject({ outcome: 'interrupted', exit: 99 });
    const last = j!.lines.filter((l) => l.event === 'warning').at(-1) as { msg: string };
    expect(last.msg).toMatch(/second interrupt: stopped at once/);
    expect(j!.lines.some((l) => l.event === 'task_start')).toBe(true);
    expect(await lines(join(dir, 'done'))).toEqual([]);
    expect(await locks(dir)).toEqual([]); // released in the moment before the exit
  });

  it('a lock file that cannot be written is an error saying what to do; nothing runs', async () => {
    const { dir } = await project({ ...files(0), 'locks/blocker': 'a file, not a folder' });
    const r = await hap('run', join(dir, 'pb.yml'), '-i', join(dir, 'inv.yml'), '--lock', '-e', `hap_lock_file=${join(dir, 'locks/blocker/x.lock')}`);
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toMatch(/cannot write the cluster lock .*blocker\/x.lock on a: .*set hap_lock_file to a path that user can write/);
    expect(await lines(join(dir, 'ran'))).toEqual([]);
  });

  it('hap unlock removes a stale lock and keeps a live one', async () => {
    const { dir } = await project({ ...files(0), 'locks/a.lock': JSON.stringify({ holder: 'x@y', controller: 'elsewhere', pid: 1, run: 'R1', playbook: 'p', since: 's' }) });
    const r = await hap('unlock', '-i', join(dir, 'inv.yml'));
    expect(r.out).toEqual(['a: removed run R1 of p by x@y (pid 1) since s', 'b: free', 'c: free']);
    expect(await locks(dir)).toEqual([]);
  });

  it('the HTML report is one page with an SVG lane per host and a bar per task', async () => {
    const { dir } = await project(files(0));
    await run(dir);
    const r = await hap('report', '-i', join(dir, 'inv.yml'), '--html', join(dir, 'r.html'));
    expect(r.code).toBe(0);
    const html = await readFile(join(dir, 'r.html'), 'utf8');
    expect(html.match(/<g class="lane"/g)).toHaveLength(3);
    expect(html.match(/<rect class="bar"/g)).toHaveLength(6);
    expect(html.match(/<rect class="batch"/g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const run1 = (await listRuns(join(dir, '.hap/runs')))[0]!;
    expect((await readRun(run1.path))!.id).toBe(run1.id);
  });
});
