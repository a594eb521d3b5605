// Real hosts: needs root, systemd-nspawn and (first run only) a Debian mirror for the image.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { labDebs, labDown, labExec, labFault, labSsh, labStatus, labUp, type LabUpResult } from '../../engine/lab/index.ts';
import { bridgeName, hostPaths, labDir, type LabIds } from '../../engine/lab/paths.ts';
import { loadLab } from '../../engine/lab/state.ts';
import { run } from '../../engine/lab/proc.ts';
import { sshArgv } from '../../engine/lab/ssh.ts';

const isRoot = process.getuid?.() === 0;
const NAME = `t${randomBytes(3).toString('hex')}`;
const MIN = 60_000;

describe.skipIf(!isRoot)('hap lab (real nspawn hosts)', () => {
  let up: LabUpResult;
  let ids: LabIds;
  let workDir: string;

  const ssh = async (host: string, cmd: string) => {
    const h = up.hosts.find((x) => x.name === host);
    if (!h) throw new Error(`no ${host}`);
    return labSsh(ids, h.address, cmd, 20_000);
  };
  const reachableWithin = async (from: string, to: string, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) if ((await ssh(from, `ping -c1 -W1 ${to}`)).rc === 0) return true;
    return false;
  };
  const stateOf = async (host: string) => (await labStatus(NAME)).hosts.find((h) => h.name === host)?.state;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'hap-lab-test-'));
    up = await labUp({ name: NAME, hosts: 3, inventory: join(workDir, 'inv.yml') });
    const lab = await loadLab(NAME);
    if (!lab) throw new Error('lab state missing after up');
    ids = lab;
  }, 15 * MIN);

  afterAll(async () => {
    await labDown(NAME).catch(() => {});
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, 2 * MIN);

  it('boots systemd hosts reachable over SSH, each with its own name and address', async () => {
    expect(up.hosts.map((h) => h.name)).toEqual(['h1', 'h2', 'h3']);
    expect(new Set(up.hosts.map((h) => h.address)).size).toBe(3);
    for (const h of up.hosts) {
      expect(h.address.startsWith('10.213.')).toBe(true);
      const r = await ssh(h.name, 'timeout 30 systemctl is-system-running --wait; hostname; ip -4 -o addr show dev eth0');
      const [systemState, hostname, addr] = r.stdout.trim().split('\n');
      expect(['running', 'degraded']).toContain(systemState);
      expect(hostname).toBe(h.name);
      expect(addr).toContain(`inet ${h.address}/24`);
    }
    // Hosts find each other by name and talk over the lab bridge.
    const ping = await ssh('h1', 'ping -c1 -W2 h3 >/dev/null && getent hosts h2');
    expect(ping.rc).toBe(0);
    expect(ping.stdout).toContain(up.hosts[1]?.address);
  }, 2 * MIN);

  it('writes an Ansible inventory naming every host and the lab key', async () => {
    const inv = parse(await readFile(up.inventoryFile, 'utf8')) as {
      all: { vars: Record<string, unknown>; hosts: Record<string, { ansible_host: string }> };
    };
    expect(inv.all.vars.ansible_user).toBe('root');
    expect(inv.all.vars.ansible_ssh_private_key_file).toBe(up.keyFile);
    expect(Object.fromEntries(Object.entries(inv.all.hosts).map(([k, v]) => [k, v.ansible_host]))).toEqual(
      Object.fromEntries(up.hosts.map((h) => [h.name, h.address])),
    );
    const st = await labStatus(NAME);
    expect(st.hosts.map((h) => h.state)).toEqual(['running', 'running', 'running']);
    expect(st.bridge).toBe(bridgeName(ids));
  });

  it('exec runs inside the host without SSH', async () => {
    const r = await labExec(NAME, 'h2', 'hostname; cat /proc/1/comm');
    expect(r.stdout.trim().split('\n')).toEqual(['h2', 'systemd']);
  });

  it('kill takes a host off the network; start brings it back with its files', async () => {
    const marker = randomBytes(8).toString('hex');
    expect((await ssh('h3', `mkdir -p /var/lib/hap-test && echo ${marker} > /var/lib/hap-test/marker && sync`)).rc).toBe(0);
    await labFault(NAME, 'kill', 'h3');
    expect(await stateOf('h3')).toBe('stopped');
    expect((await run(sshArgv(up.hosts[2]?.address ?? '', 'true', 2), { timeoutMs: 8000 })).rc).not.toBe(0);
    expect((await ssh('h1', 'ping -c1 -W1 h3')).rc).not.toBe(0);
    await labFault(NAME, 'start', 'h3');
    expect(await stateOf('h3')).toBe('running');
    expect((await ssh('h3', 'cat /var/lib/hap-test/marker')).stdout.trim()).toBe(marker);
    expect(await reachableWithin('h1', 'h3', 10_000)).toBe(true);
  }, 2 * MIN);

  it('partition cuts a host off from the others; heal restores it', async () => {
    await labFault(NAME, 'partition', 'h2');
    expect(await stateOf('h2')).toBe('partitioned');
    expect((await ssh('h1', 'ping -c1 -W1 h2')).rc).not.toBe(0);
    expect((await labExec(NAME, 'h2', 'ping -c1 -W1 h3')).rc).not.toBe(0);
    expect((await ssh('h1', 'ping -c1 -W2 h3')).rc).toBe(0);
    await labFault(NAME, 'heal', 'h2');
    expect(await stateOf('h2')).toBe('running');
    // Like a replugged cable: peers' ARP entries for h2 recover within a few seconds.
    expect(await reachableWithin('h1', 'h2', 10_000)).toBe(true);
  }, MIN);

  it('freeze hangs a host; thaw resumes it', async () => {
    await labFault(NAME, 'freeze', 'h1');
    expect(await stateOf('h1')).toBe('frozen');
    const hung = await run(sshArgv(up.hosts[0]?.address ?? '', 'true', 2), { timeoutMs: 4000 });
    expect(hung.rc).not.toBe(0);
    await labFault(NAME, 'thaw', 'h1');
    expect(await stateOf('h1')).toBe('running');
    expect((await ssh('h1', 'true')).rc).toBe(0);
  }, MIN);

  it('up with the same count is a quick no-op; a larger count adds hosts', async () => {
    const t0 = Date.now();
    const again = await labUp({ name: NAME, hosts: 3, inventory: up.inventoryFile });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(again.hosts).toEqual(up.hosts);
    const grown = await labUp({ name: NAME, hosts: 4, inventory: up.inventoryFile });
    expect(grown.hosts.map((h) => h.name)).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect((await ssh('h1', 'getent hosts h4')).stdout).toContain(grown.hosts[3]?.address);
    up = grown;
  }, 2 * MIN);

  it('etcd 3.5 from the cached trixie .debs installs and runs on the bookworm image', async () => {
    const debs = await labDebs();
    expect(debs.map((d) => basename(d).split('_')[0]).sort()).toEqual(['etcd-client', 'etcd-server']);
    for (const d of debs) await copyFile(d, join(hostPaths(NAME, 1).root, 'var/tmp', basename(d)));
    const files = debs.map((d) => `/var/tmp/${basename(d)}`);
    const r = await labExec(NAME, 'h1', `dpkg -i ${files.join(' ')} >/dev/null && etcd --version && etcdctl version`);
    expect(r.rc).toBe(0);
    expect(r.stdout).toMatch(/etcd Version: 3\.5\./);
    expect(r.stdout).toMatch(/etcdctl version: 3\.5\./);
  }, 3 * MIN);

  it('down removes processes, bridge, netns, mounts, cgroups and state', async () => {
    const root = hostPaths(NAME, 1).root;
    expect(await labDown(NAME)).toBe(true);
    expect((await run(['ip', 'link', 'show', 'dev', bridgeName(ids)])).rc).not.toBe(0);
    const netns = (await run(['ip', 'netns', 'list'])).stdout;
    expect(netns).not.toContain(`haplab${ids.k}-`);
    expect(await readFile('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    expect((await run(['test', '-e', labDir(NAME)])).rc).not.toBe(0);
    expect((await run(['test', '-e', `/sys/fs/cgroup/unified/hap-lab.${NAME}`])).rc).not.toBe(0);
    expect((await run(['test', '-e', up.inventoryFile])).rc).not.toBe(0);
    expect(await labDown(NAME)).toBe(false);
    // Without the bridge the address would leave the machine by its default route: refused.
    await expect(labSsh(ids, up.hosts[0]?.address ?? '', 'true')).rejects.toThrow(/not routed through the lab bridge/);
  }, MIN);
});
