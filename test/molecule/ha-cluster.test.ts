// playbooks/ha-cluster.yml from nothing on 5 lab hosts, an unchanged rerun, then the cluster
// checked with the real kubectl v1.31 through the VIP, and two hosts lost: the etcd leader's
// host (the API must answer again through the VIP, the written value still there) and the VIP
// holder (the VIP must move). Last, --check on the degraded cluster.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { labExec, labFault } from '../../engine/lab/index.ts';
import { run } from '../../engine/lab/proc.ts';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';
import { realKubectl } from '../standins/kubectl.ts';
import { hap, stage } from '../support/molecule.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** Polls `probe` every 200 ms until it is true; the seconds it took. */
async function until(probe: () => Promise<boolean>, timeoutS: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await probe())) {
    if (Date.now() - start > timeoutS * 1000) throw new Error(`${what}: not within ${timeoutS} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - start) / 1000;
}

describe('molecule ha-cluster', async () => {
  const scenario = await loadScenario('ha-cluster');
  const dir = workDir(scenario);
  const figures: Record<string, number> = {};
  let kubectl: (args: string[]) => Promise<{ rc: number; stdout: string; stderr: string }>;
  let vip = '';
  const killed: string[] = [];
  const sh = (host: string, cmd: string) => labExec(scenario.lab, host, cmd, { timeoutMs: 30_000 });

  /** What a run could change on the hosts: the files under hap's paths and the running units. */
  const fingerprint = async () => {
    const paths = '/etc/kubernetes /etc/haproxy /etc/keepalived /etc/default/etcd /etc/etcd /var/lib/etcd /etc/sysctl.d /usr/local/bin';
    const cmd = `find ${paths} -type f 2>/dev/null | sort | xargs -r md5sum; systemctl list-units --state=running --no-legend --plain | cut -d' ' -f1`;
    const out: Record<string, string> = {};
    for (const h of ['h1', 'h2', 'h3', 'h4', 'h5']) out[h] = (await sh(h, cmd)).stdout;
    return out;
  };

  beforeAll(async () => {
    await hap(['molecule', 'destroy', 'ha-cluster']);
  }, 120_000);
  afterAll(async () => {
    console.log(`ha-cluster figures: ${JSON.stringify(figures)}`);
    await hap(['molecule', 'destroy', 'ha-cluster']);
  }, 120_000);

  it('--check on fresh hosts plans the whole cluster and changes nothing', async () => {
    await stage('prepare', 'ha-cluster');
    const before = await fingerprint();
    const t = Date.now();
    const check = await hap(['run', join(ROOT, 'playbooks/ha-cluster.yml'), '-i', dir, '--check']);
    figures.check_fresh_s = (Date.now() - t) / 1000;
    if (check.code !== 0) console.log(check.log);
    expect(check.code).toBe(0);
    expect(check.log).toMatch(/h1 +: ok=\d+ +changed=[1-9]/); // it would change things
    // and changed none: the same files, the same running units, on every host
    expect(await fingerprint()).toEqual(before);
  }, 600_000);

  it('builds the cluster from nothing, and a rerun changes nothing', async () => {
    figures.converge_s = await stage('converge', 'ha-cluster');
    const t = Date.now();
    const again = await hap(['molecule', 'idempotence', 'ha-cluster']);
    if (again.code !== 0) console.log(again.log);
    expect(again.log).toContain('second converge: changed=0');
    figures.rerun_s = (Date.now() - t) / 1000;
  }, 1_200_000);

  it('answers the real kubectl through the VIP: 3 ready control-plane nodes, a value written and read back', async () => {
    const inv = parse(await readFile(join(dir, 'hosts.yml'), 'utf8')) as { all: { hosts: Record<string, { ansible_host: string }> } };
    vip = inv.all.hosts.h4!.ansible_host.replace(/\d+$/, '100');
    const conf = join(tmpdir(), `hap-ha-cluster-${process.pid}.conf`); // not in the inventory directory
    await writeFile(conf, (await sh('h1', 'cat /etc/kubernetes/admin.conf')).stdout);
    expect(await readFile(conf, 'utf8')).toContain(`server: https://${vip}:6443`);
    const bin = await realKubectl();
    kubectl = (args) => run([bin, '--kubeconfig', conf, '--request-timeout=5s', ...args], { timeoutMs: 30_000 });
    const nodes = await kubectl(['get', 'nodes', '--no-headers']);
    expect(nodes.rc).toBe(0);
    expect(nodes.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort()).toEqual(['h1 Ready', 'h2 Ready', 'h3 Ready']);
    expect((await kubectl(['create', 'configmap', 'ha-probe', '--from-literal=written=before-the-faults'])).rc).toBe(0);
    expect((await kubectl(['get', 'configmap', 'ha-probe', '-o', 'jsonpath={.data.written}'])).stdout).toBe('before-the-faults');
  }, 120_000);

  it('answers through the VIP again after the etcd leader host is killed, and the value is still there', async () => {
    // the leader is moved to h1 first, so the lost host is also the first of group etcd (the
    // HA report below must then ask another member)
    const ctl = [
      'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt',
      '--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key',
    ].join(' ');
    // simple output: member ids in hex as etcd prints them (JSON's uint64 ids lose digits in JavaScript)
    const status = (await sh('h1', `${ctl} endpoint status --cluster -w simple`)).stdout.trim().split('\n').map((l) => l.split(', '));
    const members = (await sh('h1', `${ctl} member list -w simple`)).stdout.trim().split('\n').map((l) => l.split(', '));
    const h1Id = members.find((m) => m[2] === 'h1')![0]!;
    const leader = status.find((s) => s[4] === 'true')!;
    if (leader[1] !== h1Id) {
      const moved = await sh('h1', `${ctl} --endpoints=${leader[0]} move-leader ${h1Id}`);
      expect(moved.stdout + moved.stderr).toContain('Leadership transferred');
    }
    await labFault(scenario.lab, 'kill', 'h1');
    killed.push('h1');
    figures.api_back_after_leader_host_killed_s = await until(async () => (await kubectl(['get', '--raw', '/readyz'])).stdout === 'ok' &&
      (await kubectl(['get', 'configmap', 'ha-probe', '-o', 'jsonpath={.data.written}'])).stdout === 'before-the-faults', 60, 'API through the VIP');
  }, 120_000);

  it('moves the VIP when its holder is killed', async () => {
    const holds = async (h: string) => (await sh(h, 'ip -o -4 addr show')).stdout.includes(` ${vip}/`);
    const holder = (await holds('h4')) ? 'h4' : 'h5';
    const other = holder === 'h4' ? 'h5' : 'h4';
    expect(await holds(other)).toBe(false);
    await labFault(scenario.lab, 'kill', holder);
    killed.push(holder);
    figures.vip_moved_s = await until(() => holds(other), 30, `VIP on ${other}`);
    figures.api_through_vip_after_lb_killed_s = await until(async () => (await kubectl(['get', '--raw', '/readyz'])).stdout === 'ok', 30, 'API through the moved VIP');
  }, 120_000);

  it('--check on the degraded cluster names the lost hosts and changes nothing on the others', async () => {
    const alive = 'h2';
    const pids = (await sh(alive, 'systemctl show etcd -p ExecMainPID --value')).stdout;
    const check = await hap(['run', join(ROOT, 'playbooks/ha-cluster.yml'), '-i', dir, '--check']);
    expect(check.code).toBe(4); // unreachable hosts, nothing failed
    expect(check.log).toMatch(/unreachable: \[h\d\]/);
    expect(check.log).toContain('PLAY RECAP');
    expect((await sh(alive, 'systemctl show etcd -p ExecMainPID --value')).stdout).toBe(pids);
  }, 600_000);

  it('the HA report asks a live member when the first etcd host is lost', async () => {
    const report = await hap(['run', join(ROOT, 'playbooks/ha-report.yml'), '-i', dir]);
    if (report.code !== 4) console.log(report.log);
    expect(report.code).toBe(4); // h1 and an LB unreachable
    expect(report.log).toMatch(/"etcd_seen_from": "h[23]"/);
    const ip = (h: string) => `https://${(parse(readFileSync(join(dir, 'hosts.yml'), 'utf8')) as { all: { hosts: Record<string, { ansible_host: string }> } }).all.hosts[h]!.ansible_host}:2379`;
    expect(report.log).toMatch(new RegExp(`"etcd_unhealthy": \\[\\s*"${ip('h1').replace(/\./g, '\\.')}"\\s*\\]`));
    expect(report.log).toContain(ip('h2'));
  }, 300_000);
});
