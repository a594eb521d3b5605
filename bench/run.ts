/**
 * hap vs Ansible on the same fake hosts (network namespaces, one sshd each).
 *
 *   npx tsx bench/run.ts [--hosts 10,50,100] [--runs K] [--ansible] [--ansible-max 50]
 *
 * For each N: start N hosts, run hap's port of the 20-task bench playbook twice (1st on a wiped
 * /tmp/hapbench, 2nd must be changed=0 on every host), optionally Ansible's original on the same
 * hosts, then print a markdown table and write it to bench/results/<date>.md. Needs root.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSshdHosts } from '../test/support/sshd-host.ts';
import { ansibleInventory, hapInventory } from './inventories.ts';
import { raiseNeighbourLimits, sessionsIn } from './net.ts';
import {
  checkRun, formatTable, median, parseAnsibleRecap, parseHapRecap, parseHostCounts, parseMaxRssKb,
  type Measure, type Phase, type Recap, type Row,
} from './lib.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const PLAYBOOK = join(HERE, 'playbook', 'bench.yml');
// beside the repository, as the workplace lays it out: ../shared/bench/ansible
const ANSIBLE_DIR = process.env.HAP_BENCH_ANSIBLE_DIR ?? join(ROOT, '..', 'shared', 'bench', 'ansible');
const TIME = '/usr/bin/time';
const WORK = '/tmp/hapbench';
// Ansible's ssh masters go here (not Ansible's /tmp/hapb-cp), so closing them touches only ours
const CONTROL_DIR = '/tmp/hbench-cp';

interface Child {
  rc: number | null;
  stdout: string;
  stderr: string;
  wallS: number;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Child> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (rc) => {
      clearTimeout(timer);
      resolve({ rc, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), wallS: (performance.now() - t0) / 1000 });
    });
  });
}

/** Asks every ssh ControlPersist master Ansible left in CONTROL_DIR to exit. */
async function closeMasters(): Promise<void> {
  const socks = await readdir(CONTROL_DIR).catch(() => [] as string[]);
  await Promise.all(socks.map((s) => runChild('ssh', ['-o', `ControlPath=${join(CONTROL_DIR, s)}`, '-O', 'exit', 'hbench'], process.env, 10_000).catch(() => undefined)));
}

type Engine = 'hap' | 'ansible';

/** Polls until no hap session is left on the hosts (sshd notices a closed connection at once). */
async function sessionsLeft(netns: string[]): Promise<{ sshd: number; sh: number }> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const left = await sessionsIn(netns);
    if ((left.sshd === 0 && left.sh === 0) || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function oneRun(engine: Engine, phase: Phase, inv: string, hosts: string[], forks: number, netns: string[]): Promise<Measure> {
  if (phase === 'first') await rm(WORK, { recursive: true, force: true });
  const timeoutMs = 30 * 60_000;
  let child: Child;
  let recap: Recap | undefined;
  const problems0: string[] = [];
  if (engine === 'hap') {
    const args = ['-v', process.execPath, join(ROOT, 'bin', 'hap.mjs'), 'run', PLAYBOOK, '-i', inv, '--output', 'json', '--forks', String(forks)];
    child = await runChild(TIME, args, process.env, timeoutMs);
    recap = parseHapRecap(child.stdout);
    const left = await sessionsLeft(netns);
    if (left.sshd || left.sh) problems0.push(`${left.sshd} sshd sessions and ${left.sh} shells left on the hosts after hap exited`);
  } else {
    const env = { ...process.env, ANSIBLE_CONFIG: join(ANSIBLE_DIR, 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: CONTROL_DIR };
    child = await runChild(TIME, ['-v', 'ansible-playbook', '-i', inv, '-f', String(forks), join(ANSIBLE_DIR, 'bench.yml')], env, timeoutMs);
    recap = parseAnsibleRecap(child.stdout);
    await closeMasters();
  }
  const problems = [...problems0, ...checkRun(recap, hosts, phase, child.rc)];
  if (problems.length) {
    const tail = (s: string) => s.split('\n').slice(-15).join('\n');
    console.error(`${engine} ${phase} run: ${problems.slice(0, 5).join('; ')}\n--- stdout tail\n${tail(child.stdout)}\n--- stderr tail\n${tail(child.stderr)}`);
  }
  return { wallS: child.wallS, maxRssKb: parseMaxRssKb(child.stderr), recap: recap ?? {}, problems };
}

/** K runs of one phase: median wall time, largest RSS, every problem. */
async function measure(engine: Engine, phase: Phase, runs: number, inv: string, hosts: string[], forks: number, netns: string[]): Promise<Measure> {
  const all: Measure[] = [];
  for (let k = 0; k < runs; k++) {
    const m = await oneRun(engine, phase, inv, hosts, forks, netns);
    console.log(`  ${engine} ${phase} run ${k + 1}: ${m.wallS.toFixed(2)} s, peak RSS ${((m.maxRssKb ?? 0) / 1024).toFixed(0)} MiB${m.problems.length ? ', INVALID' : ''}`);
    all.push(m);
  }
  const rss = all.map((m) => m.maxRssKb).filter((x): x is number => x !== undefined);
  return {
    wallS: median(all.map((m) => m.wallS)),
    maxRssKb: rss.length ? Math.max(...rss) : undefined,
    recap: all.at(-1)!.recap,
    problems: all.flatMap((m) => m.problems),
  };
}

async function benchN(n: number, o: { runs: number; ansible: boolean; forks?: number }): Promise<Row[]> {
  await raiseNeighbourLimits(n);
  const t0 = performance.now();
  const lab = await startSshdHosts({ prefix: 'hbench', count: n, subnet: process.env.HAP_BENCH_SUBNET ?? '10.216.0.0/16' });
  console.log(`N=${n}: ${n} hosts up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const dir = await mkdtemp(join(tmpdir(), 'hbench-inv-'));
  try {
    const names = lab.hosts.map((h) => h.name);
    const netns = lab.hosts.map((h) => h.netns);
    const forks = o.forks ?? n;
    const hapInv = await hapInventory(dir, lab);
    const rows: Row[] = [];
    for (const phase of ['first', 'second'] as const) rows.push({ hosts: n, forks, phase, hap: await measure('hap', phase, o.runs, hapInv, names, forks, netns) });
    if (o.ansible) {
      const ansInv = await ansibleInventory(dir, lab);
      const aForks = Math.min(n, 50);
      for (const row of rows) {
        row.ansibleForks = aForks;
        row.ansible = await measure('ansible', row.phase, o.runs, ansInv, names, aForks, netns);
      }
    }
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await lab.stop();
  }
}

async function environment(): Promise<string> {
  const ansible = await runChild('ansible-playbook', ['--version'], process.env, 30_000).catch(() => undefined);
  const kernel = (await readFile('/proc/sys/kernel/osrelease', 'utf8').catch(() => '?')).trim();
  return [
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), kernel ${kernel}`,
    `- node ${process.version}; ${ansible?.stdout.split('\n')[0] ?? 'ansible-playbook not installed'}`,
    '- hap: `node bin/hap.mjs run bench/playbook/bench.yml --output json --forks N` (SSH, one connection per host)',
    `- ansible: \`ansible-playbook -f min(N,50) ${ANSIBLE_DIR}/bench.yml\` with its ansible.cfg (pipelining, ControlPersist)`,
    '- wall: median of the runs; peak RSS: `/usr/bin/time -v` maximum resident set size (largest single process)',
    '- after every hap run the hosts are checked for sshd sessions or shells left behind: any makes the run INVALID',
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '10,50,100,500' },
      runs: { type: 'string', default: '1' },
      forks: { type: 'string' },
      ansible: { type: 'boolean', default: false },
      'ansible-max': { type: 'string', default: '50' },
    },
  });
  if (process.getuid?.() !== 0) throw new Error('the bench needs root (network namespaces, sshd)');
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time`);
  const counts = parseHostCounts(values.hosts);
  const runs = Number(values.runs);
  const ansibleMax = Number(values['ansible-max']);
  const forks = values.forks === undefined ? undefined : Number(values.forks);
  let ansible = values.ansible;
  if (ansible && !(await runChild('ansible-playbook', ['--version'], process.env, 30_000).catch(() => undefined))) {
    console.error('ansible-playbook is not installed: measuring hap only');
    ansible = false;
  }
  const rows: Row[] = [];
  for (const n of counts) rows.push(...(await benchN(n, { runs, forks, ansible: ansible && n <= ansibleMax })));
  await rm(WORK, { recursive: true, force: true });
  const text = `# hap bench ${new Date().toISOString().slice(0, 10)}\n\n${await environment()}\n\n${formatTable(rows)}`;
  const resultsDir = join(HERE, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.md`);
  await writeFile(file, text);
  console.log(`\n${text}\nwritten to ${file}`);
  const bad = rows.filter((r) => r.hap.problems.length || r.ansible?.problems.length);
  if (bad.length) {
    console.error(`INVALID: ${bad.map((r) => `N=${r.hosts} ${r.phase}`).join(', ')} (changed/failed checks above)`);
    return 1;
  }
  return 0;
}

main().then(
  (rc) => {
    process.exitCode = rc;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 2;
  },
);
