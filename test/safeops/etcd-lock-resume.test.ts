// Real hosts: a 3-member etcd lab; the cluster lock, SIGINT and SIGKILL + --resume on etcd-rolling-restart.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labSsh, labUp, type LabUpResult } from '../../engine/lab/index.ts';
import { loadLab } from '../../engine/lab/state.ts';
import type { LabIds } from '../../engine/lab/paths.ts';
import { listRuns, type RunInfo } from '../../engine/ops/runs.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin/hap.mjs');
const RESTART = join(ROOT, 'playbooks/etcd-rolling-restart.yml');
const NAME = `so${randomBytes(2).toString('hex')}`;
const MIN = 60_000;
const MEMBERS = ['h1', 'h2', 'h3'];

interface Proc {
  pid: number;
  done: Promise<{ code: number | null; out: string }>;
  kill: (sig: NodeJS.Signals) => void;
}

function hap(...args: string[]): Proc {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  return { pid: p.pid!, kill: (s) => p.kill(s), done: new Promise((res) => p.on('close', (code) => res({ code, out }))) };
}

describe.skipIf(process.getuid?.() !== 0)('cluster lock, Ctrl-C and --resume on a real etcd cluster', () => {
  let up: LabUpResult;
  let ids: LabIds;
  let dir: string;
  let inv: string;
  const runsDir = () => join(dir, '.hap/runs');

  /** etcd's main PID and start time on each member. */
  const etcdPids = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const h of up.hosts) {
      const r = await labSsh(ids, h.address, 'systemctl show etcd -p ExecMainPID -p ActiveEnterTimestamp --value | paste -sd" "', 20_000);
      out[h.name] = r.stdout.trim();
    }
    return out;
  };
  const lockFiles = async () => {
    const out: string[] = [];
    for (const h of up.hosts) if ((await labSsh(ids, h.address, 'test -e /var/lib/hap/lock', 20_000)).rc === 0) out.push(h.name);
    return out;
  };
  /** Polls the journals until `pred` holds for the newest run; returns it. */
  const waitForRun = async (pred: (r: RunInfo) => boolean, ms = 3 * MIN): Promise<RunInfo> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = (await listRuns(runsDir())).at(-1);
      if (r && pred(r)) return r;
      if (Date.now() > deadline) throw new Error('journal condition not reached');
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const count = (r: RunInfo, event: string) => r.lines.filter((l) => l.event === event).length;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-safeops-'));
    inv = join(dir, 'inv.yml');
    up = await labUp({ name: NAME, hosts: 3, inventory: inv, groups: { etcd: MEMBERS } });
    ids = (await loadLab(NAME))!;
    const deploy = await hap('run', join(ROOT, 'playbooks/etcd.yml'), '-i', inv).done;
    if (deploy.code !== 0) throw new Error(`etcd deploy failed:\n${deploy.out}`);
  }, 15 * MIN);

  afterAll(async () => {
    await labDown(NAME).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 2 * MIN);

  it('two rolling restarts started together: one runs, the other is refused before any change, naming it', async () => {
    const [a, b] = [hap('run', RESTART, '-i', inv), hap('run', RESTART, '-i', inv)];
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const [won, lost] = ra.code === 0 ? [ra, rb] : [rb, ra];
    expect(won.code, won.out).toBe(0);
    expect(lost.code, lost.out).toBe(7);
    const runs = await listRuns(runsDir());
    const winner = runs.find((r) => r.start.playbook === RESTART && r.end?.outcome === 'ok')!;
    const loser = runs.find((r) => r.end?.outcome === 'refused')!;
    expect(lost.out).toMatch(new RegExp(`refused before any change: the cluster is locked by run ${winner.id} of ${RESTART} by root@\\S+ \\(pid \\d+\\) since 20\\S+ \\(lock on h1\\)`));
    // the refused run's journal holds no task at all
    expect(count(loser, 'task_start') + count(loser, 'host_result')).toBe(0);
    expect(count(winner, 'batch_end')).toBe(3);
    expect(await lockFiles()).toEqual([]);
  }, 5 * MIN);

  it('SIGINT in the middle of a batch: the batch finishes, no other member is touched, the lock is released, exit 99', async () => {
    const before = await etcdPids();
    const p = hap('run', RESTART, '-i', inv);
    const started = await waitForRun((r) => r.start.pid === p.pid && count(r, 'task_start') >= 1);
    p.kill('SIGINT');
    const r = await p.done;
    expect(r.code, r.out).toBe(99);
    expect(r.out).toContain('SIGINT: finishing the running batch');
    const j = (await listRuns(runsDir())).find((x) => x.id === started.id)!;
    expect(j.end).toMatchObject({ outcome: 'interrupted', exit: 99 });
    expect(count(j, 'batch_start')).toBe(1);
    expect(count(j, 'batch_end')).toBe(1);
    const first = (j.lines.find((l) => l.event === 'batch_start') as { hosts: string[] }).hosts;
    const stopped = j.lines.find((l) => l.event === 'stopped') as { undone: Array<{ hosts: string[] }> };
    expect(stopped.undone[0]!.hosts.sort()).toEqual(MEMBERS.filter((h) => !first.includes(h)));
    const after = await etcdPids();
    for (const h of MEMBERS) {
      if (first.includes(h)) expect(after[h], `${h} restarted in its batch`).not.toBe(before[h]);
      else expect(after[h], `${h} untouched`).toBe(before[h]);
    }
    expect(await lockFiles()).toEqual([]);
    expect(r.out).toMatch(/left undone in play 'Rolling restart of etcd': h\d, h\d/);
  }, 5 * MIN);

  it('SIGKILL after the first member: the lock is stale, --resume restarts only the remaining members', async () => {
    const p = hap('run', RESTART, '-i', inv);
    const killed = await waitForRun((r) => r.start.pid === p.pid && count(r, 'batch_end') >= 1);
    p.kill('SIGKILL');
    await p.done;
    const atKill = await etcdPids();
    expect(await lockFiles()).toEqual(MEMBERS);
    // without --resume: refused, the lock named as stale, the unfinished run named with how to resume
    const plain = await hap('run', RESTART, '-i', inv).done;
    expect(plain.code).toBe(7);
    expect(plain.out).toContain(`run ${killed.id} of this playbook and inventory`);
    expect(plain.out).toMatch(/--resume' continues it/);
    expect(plain.out).toMatch(/STALE: that process is gone/);
    const shown = await hap('lock', '-i', inv).done;
    expect(shown.out).toMatch(new RegExp(`h1: locked by run ${killed.id} .*STALE`));

    const resumed = await hap('run', RESTART, '-i', inv, '--resume').done;
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toMatch(new RegExp(`stale lock of run ${killed.id} \\(pid ${p.pid} is gone\\) on h1 taken over`));
    expect(resumed.out).toMatch(/resuming run \S+: 1 of 3 hosts of play 'Rolling restart of etcd' finished there and are skipped/);
    const done = ((await listRuns(runsDir())).find((x) => x.id === killed.id)!.lines.find((l) => l.event === 'batch_end') as { hosts: string[] }).hosts;
    const after = await etcdPids();
    for (const h of MEMBERS) {
      if (done.includes(h)) expect(after[h], `${h} finished before the kill: not restarted again`).toBe(atKill[h]);
      else expect(after[h], `${h} restarted by the resumed run`).not.toBe(atKill[h]);
    }
    // the resume's quorum guard measured before its first batch
    const last = (await listRuns(runsDir())).at(-1)!;
    expect(last.start.resumes).toBe(killed.id);
    const firstHealth = last.lines.findIndex((l) => l.event === 'cluster_health');
    const firstBatch = last.lines.findIndex((l) => l.event === 'batch_start');
    expect(firstHealth).toBeGreaterThan(-1);
    expect(firstHealth).toBeLessThan(firstBatch);
    expect(await lockFiles()).toEqual([]);
    expect((await hap('runs', '-i', inv).done).out).toContain('unfinished (no end: killed?)');
  }, 6 * MIN);

  it('hap report renders the resumed rolling restart; chromium draws its SVG', async () => {
    const html = join(dir, 'report.html');
    const r = await hap('report', '-i', inv, '--html', html).done;
    expect(r.code, r.out).toBe(0);
    const text = await hap('report', '-i', inv).done;
    expect(text.out).toMatch(/etcd group 'etcd': \d+ measurements, fewest healthy/);
    const { chromiumDom } = await import('../support/chromium.ts');
    const dom = await chromiumDom(html, join(dir, 'report.png'));
    expect(dom.match(/<g class="lane"/g)?.length).toBe(2); // the two members the resume restarted
    expect(dom.match(/<rect class="bar"/g)?.length).toBeGreaterThan(6);
    expect(dom).toContain('class="health-line"');
    expect((await readdir(dir)).includes('report.png')).toBe(true);
    expect((await readFile(join(dir, 'report.png'))).subarray(1, 4).toString()).toBe('PNG');
  }, 3 * MIN);
});
