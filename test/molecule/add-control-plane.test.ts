// 3 → 5 → 3 control-plane nodes on 7 lab hosts (molecule/add-control-plane), each playbook run
// inside a client loop through the VIP (molecule/shared/vip-client.mjs, authenticated with the
// admin certificate, reading a configmap: apiserver → etcd) that must see 0 failed requests.
// The inventory's groups change between steps as an operator would change them. Refusals
// (adding one host: an even count; removing below 3 members) exit non-zero and change nothing.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { labExec, labFault } from '../../engine/lab/index.ts';
import { run } from '../../engine/lab/proc.ts';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';
import { realKubectl } from '../standins/kubectl.ts';
import { hap, stage } from '../support/molecule.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const HAP = join(ROOT, 'bin/hap.mjs');
const ETCDCTL = [
  'ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt',
  '--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key --dial-timeout=2s --command-timeout=5s',
].join(' ');

interface Seen { requests: number; failed: number; longest_gap_s: number; resets_retried: number; errors: string[]; action_rc: number | null; action_s: number | null }

describe('molecule add-control-plane', async () => {
  const scenario = await loadScenario('add-control-plane');
  const dir = workDir(scenario);
  const inventory = join(dir, 'hosts.yml');
  const figures: Record<string, unknown> = {};
  const started = Date.now();
  const sh = (host: string, cmd: string) => labExec(scenario.lab, host, cmd, { timeoutMs: 30_000 });
  let kubectl: (args: string[]) => Promise<{ rc: number; stdout: string; stderr: string }>;
  let client: string[] = [];

  /** The operator's edit: groups control_plane and etcd hold h1-h3 plus `extra`. */
  async function members(extra: string[]): Promise<void> {
    const inv = parse(await readFile(inventory, 'utf8')) as { all: { children: Record<string, { hosts: Record<string, null> }> } };
    for (const g of ['control_plane', 'etcd']) inv.all.children[g] = { hosts: Object.fromEntries(['h1', 'h2', 'h3', ...extra].map((h) => [h, null])) };
    await writeFile(inventory, stringify(inv));
  }

  const playbook = (name: string, ...extra: string[]) => ['run', join(ROOT, 'playbooks', name), '-i', dir, ...extra];

  /** One playbook run inside the client loop through the VIP; its whole output goes to <dir>/<step>.log. */
  async function underTraffic(step: string, args: string[]): Promise<Seen & { log: string }> {
    const logFile = join(dir, `${step}.log`);
    const action = ['bash', '-c', 'log=$1; shift; exec node "$@" > "$log" 2>&1', '_', logFile, HAP, ...args];
    const r = await promisify(execFile)('node', [...client, '--', ...action], { maxBuffer: 64 << 20, timeout: 600_000 });
    const seen = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Seen;
    const log = await readFile(logFile, 'utf8');
    figures[step] = { action_s: seen.action_s, requests: seen.requests, failed: seen.failed, longest_gap_s: seen.longest_gap_s, resets_retried: seen.resets_retried };
    if (seen.action_rc !== 0 || seen.failed !== 0) console.log(`${step}: ${JSON.stringify({ ...seen, action_output: '' })}\n${log}`);
    return { ...seen, log };
  }

  /** Every etcd member, as h1 sees them: all must be healthy (quorum was never lost for long). */
  async function etcdHealth(): Promise<{ members: string[]; healthy: number }> {
    const list = JSON.parse((await sh('h1', `${ETCDCTL} member list -w json`)).stdout) as { members: Array<{ name: string }> };
    const health = JSON.parse((await sh('h1', `${ETCDCTL} endpoint health --cluster -w json`)).stdout) as Array<{ health: boolean }>;
    return { members: list.members.map((m) => m.name).sort(), healthy: health.filter((h) => h.health).length };
  }

  async function nodes(): Promise<string[]> {
    const r = await kubectl(['get', 'nodes', '--no-headers']);
    expect(r.rc).toBe(0);
    return r.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort();
  }

  const haproxyServers = async (lb: string) => [...(await sh(lb, 'cat /etc/haproxy/haproxy.cfg')).stdout.matchAll(/^\s+server (\S+) /gm)].map((m) => m[1]).sort();

  beforeAll(async () => {
    await hap(['molecule', 'destroy', 'add-control-plane']);
  }, 120_000);
  afterAll(async () => {
    console.log(`add-control-plane figures: ${JSON.stringify(figures)}`);
    await hap(['molecule', 'destroy', 'add-control-plane']);
  }, 120_000);

  it('builds the 3-node control plane', async () => {
    figures.converge_s = await stage('converge', 'add-control-plane');
    const inv = parse(await readFile(inventory, 'utf8')) as { all: { hosts: Record<string, { ansible_host: string }> } };
    const vip = inv.all.hosts.h4!.ansible_host.replace(/\d+$/, '100');
    const admin = parse((await sh('h1', 'cat /etc/kubernetes/admin.conf')).stdout) as { users: Array<{ user: Record<string, string> }> };
    const tmp = join(tmpdir(), `hap-add-cp-${process.pid}`);
    const files = { conf: `${tmp}.conf`, crt: `${tmp}.crt`, key: `${tmp}.key` };
    await writeFile(files.conf, (await sh('h1', 'cat /etc/kubernetes/admin.conf')).stdout);
    await writeFile(files.crt, Buffer.from(admin.users[0]!.user['client-certificate-data']!, 'base64'));
    await writeFile(files.key, Buffer.from(admin.users[0]!.user['client-key-data']!, 'base64'), { mode: 0o600 });
    const bin = await realKubectl();
    kubectl = (args) => run([bin, '--kubeconfig', files.conf, '--request-timeout=10s', ...args], { timeoutMs: 30_000 });
    client = [join(ROOT, 'molecule/shared/vip-client.mjs'), '--url', `https://${vip}:6443/api/v1/namespaces/kube-system/configmaps/kubeadm-config`,
      '--ca', join(dir, 'pki/ca.crt'), '--cert', files.crt, '--key', files.key, '--interval-ms', '50', '--timeout-ms', '10000', '--settle', '2', '--max', '500'];
    expect(await nodes()).toEqual(['h1 Ready', 'h2 Ready', 'h3 Ready']);
  }, 900_000);

  it('refuses to add one host (an even count), printing the arithmetic, and changes nothing', async () => {
    await members(['h6']);
    const r = await hap(playbook('add-control-plane.yml'));
    expect(r.code).not.toBe(0);
    expect(r.log).toContain('etcd: 3 members now (h1, h2, h3; healthy: h1, h2, h3), adding 1 (h6) → 4 members, quorum 3, tolerates 1 failure(s)');
    expect(r.log).toContain('4 is an even count');
    expect(r.log).toContain('REFUSED, nothing was changed');
    expect(r.log).toMatch(/changed=0/);
    expect(r.log).not.toMatch(/changed=[1-9]/);
    expect((await etcdHealth()).members).toEqual(['h1', 'h2', 'h3']);
    expect((await sh('h6', 'ls /etc/kubernetes/pki 2>/dev/null | wc -l; systemctl is-active etcd || true')).stdout.trim().split('\n')).toEqual(['0', 'inactive']);
  }, 120_000);

  it('adds h6 and h7 under traffic through the VIP: 0 failed requests, 5 members, 5 nodes, every LB names them', async () => {
    await members(['h6', 'h7']);
    const check = await hap(playbook('add-control-plane.yml', '--check'));
    expect(check.code).toBe(0);
    expect(check.log).toContain('would issue etcd/server-h6');
    expect(check.log).toContain('would change h4 in place (handover: false)');
    expect((await etcdHealth()).members).toEqual(['h1', 'h2', 'h3']);
    expect((await sh('h6', 'test -e /etc/kubernetes/pki && echo pki || echo none')).stdout.trim()).toBe('none');
    const seen = await underTraffic('add_h6_h7', playbook('add-control-plane.yml'));
    expect(seen.action_rc).toBe(0);
    expect(seen.failed).toBe(0);
    expect(seen.log).toContain('adding 2 (h6, h7) → 5 members, quorum 3, tolerates 2 failure(s)');
    // haproxy reloads in place on each LB in turn: the VIP is not handed over
    expect(seen.log).toMatch(/changing h4 in place \(handover: false\)/);
    expect(seen.log).not.toContain('VIP moved');
    expect(await etcdHealth()).toEqual({ members: ['h1', 'h2', 'h3', 'h6', 'h7'], healthy: 5 });
    expect(await nodes()).toEqual(['h1 Ready', 'h2 Ready', 'h3 Ready', 'h6 Ready', 'h7 Ready']);
    for (const lb of ['h4', 'h5']) expect(await haproxyServers(lb)).toEqual(['h1', 'h2', 'h3', 'h6', 'h7']);
  }, 600_000);

  it('a second add changes nothing', async () => {
    const t = Date.now();
    const r = await hap(playbook('add-control-plane.yml'));
    expect(r.code).toBe(0);
    expect(r.log).toContain('nothing to add');
    expect(r.log).not.toMatch(/changed=[1-9]/);
    figures.add_again_s = (Date.now() - t) / 1000;
  }, 300_000);

  it('removes h7 while it runs, under traffic: 0 failed requests, h7 drained, reset, out of etcd, haproxy and the store', async () => {
    const check = await hap(playbook('remove-control-plane.yml', '-e', 'remove_node=h7', '--check'));
    expect(check.code).toBe(0);
    expect(check.log).toMatch(/would remove member [0-9a-f]+ \(h7\)/);
    expect(check.log).toContain('would run kubeadm reset -f');
    expect(check.log).toMatch(/would record etcd\/server-h7 \(serial [0-9A-F]+\)/);
    expect((await etcdHealth()).members).toEqual(['h1', 'h2', 'h3', 'h6', 'h7']);
    // h7 leads etcd first, so its removal must move leadership off it
    const list = (await sh('h1', `${ETCDCTL} member list -w simple`)).stdout.trim().split('\n').map((l) => l.split(', '));
    const all = list.map((f) => f[4]).join(',');
    const h7 = list.find((f) => f[2] === 'h7')![0]!;
    await sh('h1', `${ETCDCTL.replace('--endpoints=https://127.0.0.1:2379', `--endpoints=${all}`)} move-leader ${h7}`);
    expect((await sh('h1', `${ETCDCTL.replace('--endpoints=https://127.0.0.1:2379', `--endpoints=${all}`)} endpoint status -w simple`)).stdout)
      .toMatch(new RegExp(`, ${h7}, [^,]+, [^,]+, true,`));
    const seen = await underTraffic('remove_h7', playbook('remove-control-plane.yml', '-e', 'remove_node=h7'));
    expect(seen.action_rc).toBe(0);
    expect(seen.failed).toBe(0);
    expect(seen.log).toContain('removing h7 (reachable): etcd: 5 voting members now');
    expect(seen.log).toContain('removing 1 → 4 members, quorum 3, healthy after 4');
    expect(await etcdHealth()).toEqual({ members: ['h1', 'h2', 'h3', 'h6'], healthy: 4 });
    expect(await nodes()).toEqual(['h1 Ready', 'h2 Ready', 'h3 Ready', 'h6 Ready']);
    for (const lb of ['h4', 'h5']) expect(await haproxyServers(lb)).toEqual(['h1', 'h2', 'h3', 'h6']);
    expect(seen.log).toMatch(/moved leadership h7 → h\d/);
    expect(seen.log).not.toContain('VIP moved');
    // kubeadm reset emptied its PKI and manifests; etcd stopped and its data wiped there
    expect((await sh('h7', 'find /etc/kubernetes/pki /etc/kubernetes/manifests -mindepth 1 | wc -l')).stdout.trim()).toBe('0');
    expect((await sh('h7', 'systemctl is-active etcd kube-apiserver-standin || true')).stdout.trim().split('\n')).toEqual(['inactive', 'inactive']);
    expect((await sh('h7', 'test -e /var/lib/etcd/data && echo data || echo none')).stdout.trim()).toBe('none');
  }, 600_000);

  it('removes h6 killed beforehand (a dead node) from the live ones, under traffic: 0 failed requests', async () => {
    await members(['h6']); // the operator took h7 out of the groups after its removal
    await labFault(scenario.lab, 'kill', 'h6');
    // the node has been dead a while: haproxy's own check took it out (what the kill costs is not the playbook's)
    for (const lb of ['h4', 'h5']) {
      for (let i = 0; !/^kube-apiserver,h6,(?:[^,]*,){15}DOWN/m.test((await sh(lb, 'curl -s "http://127.0.0.1:8404/stats;csv"')).stdout); i++) {
        expect(i).toBeLessThan(60);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const seen = await underTraffic('remove_h6_dead', playbook('remove-control-plane.yml', '-e', 'remove_node=h6'));
    expect(seen.action_rc).toBe(0);
    expect(seen.failed).toBe(0);
    expect(seen.log).toContain('removing h6 (UNREACHABLE: drain and kubeadm reset are skipped)');
    expect(seen.log).toContain('h6 is unreachable: not drained');
    expect(seen.log).toContain('h6 is unreachable: kubeadm reset skipped');
    expect(await etcdHealth()).toEqual({ members: ['h1', 'h2', 'h3'], healthy: 3 });
    expect(await nodes()).toEqual(['h1 Ready', 'h2 Ready', 'h3 Ready']);
    for (const lb of ['h4', 'h5']) expect(await haproxyServers(lb)).toEqual(['h1', 'h2', 'h3']);
    // the scenario's PKI outlives the lab: only this run's records
    const revoked = (await readFile(join(dir, 'pki/revoked.jsonl'), 'utf8')).trim().split('\n')
      .map((l) => JSON.parse(l) as { name: string; node: string; serial: string; revoked_at: string }).filter((e) => Date.parse(e.revoked_at) >= started);
    expect(revoked.map((e) => e.name).sort()).toEqual(['etcd/peer-h6', 'etcd/peer-h7', 'etcd/server-h6', 'etcd/server-h7']);
    for (const e of revoked) expect(e.serial).toMatch(/^[0-9A-F]+$/);
    const store = (await promisify(execFile)('ls', [join(dir, 'pki/etcd')])).stdout.split('\n');
    expect(store.filter((f) => /-h[67]\./.test(f))).toEqual([]);
    expect(store).toContain('server-h1.crt');
  }, 600_000);

  it('a second removal of h6 finds nothing to do', async () => {
    const t = Date.now();
    const r = await hap(playbook('remove-control-plane.yml', '-e', 'remove_node=h6'));
    expect(r.code).toBe(0);
    expect(r.log).toContain('nothing to do: h6 is no etcd member, has no Node object and no haproxy backend');
    expect(r.log).not.toMatch(/changed=[1-9]/);
    figures.remove_again_s = (Date.now() - t) / 1000;
  }, 300_000);

  it('refuses to remove a member below 3 without force_remove, and a host in no group, changing nothing', async () => {
    await members([]);
    const below = await hap(playbook('remove-control-plane.yml', '-e', 'remove_node=h3'));
    expect(below.code).not.toBe(0);
    expect(below.log).toContain('removing 1 → 2 members, quorum 2, healthy after 2');
    expect(below.log).toContain('2 members would be left, fewer than 3 (no failure tolerated); -e force_remove=true removes it anyway — REFUSED, nothing was changed');
    expect(below.log).not.toMatch(/changed=[1-9]/);
    const stranger = await hap(playbook('remove-control-plane.yml', '-e', 'remove_node=h6'));
    expect(stranger.code).not.toBe(0);
    expect(stranger.log).toContain('that host is in neither group control_plane (h1, h2, h3) nor etcd (h1, h2, h3)');
    expect(await etcdHealth()).toEqual({ members: ['h1', 'h2', 'h3'], healthy: 3 });
    for (const lb of ['h4', 'h5']) expect(await haproxyServers(lb)).toEqual(['h1', 'h2', 'h3']);
  }, 300_000);
});
