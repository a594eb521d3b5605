// playbooks/kubernetes-upgrade.yml on the ha-cluster layout (3 stacked control-plane hosts, 2 LBs
// with the VIP), built at v1.31.4 with the stand-ins. verify.yml: refusals and --check change
// nothing, v1.31.4 → v1.32.2 under a client loop through the VIP fails no request, every node
// then runs v1.32.2, a second run changes nothing. Then v1.32.2 → v1.32.3 with the next node
// killed as the first one finishes: the guard stops the run before it; once the node is back
// the rerun completes and skips the node already upgraded.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labExec, labFault } from '../../engine/lab/index.ts';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';
import type { JournalLine } from '../../engine/ops/journal.ts';
import { hap, stage } from '../support/molecule.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const CP = ['h1', 'h2', 'h3'];

/** A `hap run` in its own process, `onLine` called with each line of its output as it comes. */
function hapProcess(args: string[], onLine: (line: string) => void): Promise<{ code: number; log: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/hap.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let partial = '';
    const take = (d: Buffer) => {
      log += d.toString();
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) onLine(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => done({ code: code ?? -1, log }));
  });
}

/** The journals of the upgrade runs that started after `since` and succeeded, oldest first. */
async function upgradeRuns(dir: string, since: number): Promise<JournalLine[][]> {
  const runs = join(dir, '.hap', 'runs');
  const files = (await readdir(runs)).filter((f) => f.endsWith('.jsonl')).sort();
  const out: JournalLine[][] = [];
  for (const f of files) {
    const lines = (await readFile(join(runs, f), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as JournalLine);
    const start = lines[0];
    const end = lines.at(-1);
    if (start?.event !== 'run_start' || !start.playbook.endsWith('kubernetes-upgrade.yml') || start.check) continue;
    if (Date.parse(start.started) >= since && end?.event === 'run_end' && end.outcome === 'ok') out.push(lines);
  }
  return out;
}

/** Seconds per batch of the rolling play (play 1), and the hosts where a task changed something. */
function perNode(run: JournalLine[]): { seconds: Record<string, number>; changed: (task: string) => string[] } {
  const seconds: Record<string, number> = {};
  let start = 0;
  for (const e of run) {
    if (e.event === 'batch_start') start = e.t;
    if (e.event === 'batch_end' && e.play === 1) seconds[e.hosts.join(',')] = +((e.t - start) / 1000).toFixed(1);
  }
  const changed = (task: string) =>
    run.flatMap((e) => (e.event === 'host_result' && e.task === task && e.status === 'changed' ? [e.host] : []));
  return { seconds, changed };
}

describe('molecule k8s-upgrade', async () => {
  const scenario = await loadScenario('k8s-upgrade');
  const dir = workDir(scenario);
  const figures: Record<string, unknown> = {};
  const sh = (host: string, cmd: string) => labExec(scenario.lab, host, cmd, { timeoutMs: 30_000 });
  const api = async (host: string, path: string) => {
    const inv = parse(await readFile(join(dir, 'hosts.yml'), 'utf8')) as { all: { hosts: Record<string, { ansible_host: string }> } };
    return (await sh(host, `curl -s --max-time 5 --cacert /etc/kubernetes/pki/ca.crt https://${inv.all.hosts[host]!.ansible_host}:6443${path}`)).stdout;
  };
  const version = async (host: string) => (JSON.parse((await api(host, '/version')) || '{}') as { gitVersion?: string }).gitVersion;

  beforeAll(async () => {
    await hap(['molecule', 'destroy', 'k8s-upgrade']);
  }, 120_000);
  afterAll(async () => {
    console.log(`k8s-upgrade figures: ${JSON.stringify(figures, null, 1)}`);
    await hap(['molecule', 'destroy', 'k8s-upgrade']);
  }, 120_000);

  it('builds the HA control plane at v1.31.4', async () => {
    figures.converge_s = await stage('converge', 'k8s-upgrade');
    for (const h of CP) expect(await version(h)).toBe('v1.31.4');
  }, 900_000);

  it('refuses bad targets, --check changes nothing, upgrades to v1.32.2 with no failed request through the VIP, a rerun changes nothing', async () => {
    const t = Date.now(); // the journals of the runs the verify stage makes are newer
    figures.verify_s = await stage('verify', 'k8s-upgrade');
    const seen = JSON.parse(await readFile(`${dir}-figures.json`, 'utf8')) as Record<string, { failed: number; longest_gap_s: number; requests: number; action_s: number }>;
    figures.through_vip = seen;
    expect(seen.upgrade?.failed).toBe(0);
    expect(seen['second run']?.failed).toBe(0);
    const [first, second] = await upgradeRuns(dir, t);
    const run = perNode(first!);
    figures.upgrade_s_per_node = run.seconds;
    expect(Object.keys(run.seconds)).toHaveLength(3);
    expect(run.changed('kubeadm upgrade apply (the first node)')).toHaveLength(1);
    expect(run.changed('kubeadm upgrade node (the others)')).toHaveLength(2);
    expect(perNode(second!).changed('kubeadm upgrade node (the others)')).toHaveLength(0);
    for (const h of CP) expect(await version(h)).toBe('v1.32.2');
  }, 900_000);

  it('stops before the next node when a node is killed mid-upgrade; after it is back the rerun completes, skipping the upgraded node', async () => {
    const debs = `${dir}-debs`;
    const args = [
      'run', join(ROOT, 'playbooks/kubernetes-upgrade.yml'), '-i', dir, '-e',
      JSON.stringify({ kubernetes_version: 'v1.32.3', kubernetes_deb_files: [`${debs}/kubeadm_1.32.3-1.1_all.deb`, `${debs}/kubelet_1.32.3-1.1_all.deb`] }),
    ];
    let order: string[] = [];
    let victim = '';
    let killing: Promise<unknown> | undefined;
    const first = await hapProcess(args, (line) => {
      const m = /quorum: cluster up: leader \S+; order (h\d), (h\d), (h\d);/.exec(line);
      if (m) order = m.slice(1);
      // the first node is upgraded and back in haproxy: kill the next one
      if (!killing && order.length && line.includes('TASK [kubernetes-upgrade : Uncordoned]')) {
        victim = order[1]!;
        killing = labFault(scenario.lab, 'kill', victim);
      }
    });
    await killing;
    if (first.code === 0) console.log(first.log);
    expect(victim).not.toBe('');
    expect(first.code).not.toBe(0);
    // the guard waits for the killed member after the first node and stops the run
    expect(first.log).toContain('cluster did not settle after batch 1');
    expect(first.code).toBe(8);
    figures.killed = { order, victim, exit: first.code };
    expect(first.log).toContain(`${order[0]}: upgraded v1.32.2 → v1.32.3`);
    expect(first.log).not.toContain(`${order[2]}: upgraded`);
    expect(await version(order[0]!)).toBe('v1.32.3');
    expect(await version(order[2]!)).toBe('v1.32.2'); // the run stopped before the others

    await labFault(scenario.lab, 'start', victim);
    const back = Date.now();
    while ((await api(victim, '/readyz').catch(() => '')) !== 'ok') {
      expect(Date.now() - back, `${victim}'s apiserver ready again`).toBeLessThan(120_000);
      await new Promise((r) => setTimeout(r, 500));
    }
    // and its etcd member healthy again, as an operator waits before the rerun (on a loaded
    // machine it lags the apiserver, which reads the other members; the guard would refuse)
    const health = 'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key endpoint health';
    while ((await sh(victim, health)).rc !== 0) {
      expect(Date.now() - back, `${victim}'s etcd member healthy again`).toBeLessThan(120_000);
      await new Promise((r) => setTimeout(r, 500));
    }
    figures.victim_ready_after_start_s = (Date.now() - back) / 1000;
    // the run's lock was left on the killed host; the operator removes it (hap lock shows it)
    const unlock = await hap(['unlock', '-i', dir]);
    expect(unlock.code, unlock.log).toBe(0);
    const t = Date.now();
    const rerun = await hapProcess(args, () => {});
    if (rerun.code !== 0) console.log(rerun.log);
    expect(rerun.code).toBe(0);
    figures.rerun_s = (Date.now() - t) / 1000;
    expect(rerun.log).toContain(`${order[0]}: at v1.32.3, skipped`);
    for (const h of CP) expect(await version(h)).toBe('v1.32.3');
  }, 900_000);
});
