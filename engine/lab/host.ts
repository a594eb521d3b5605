import { spawn } from 'node:child_process';
import { mkdir, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CG_V1, CG_V2, IMAGE_DIR, KEY_FILE, NSPAWN_RUN, cgroupRel, hostAddress, hostName, hostPaths, machineName, netnsName, type LabIds } from './paths.ts';
import { LabError, alive, run, runOk, sleep, waitFor } from './proc.ts';
import { cableUp, netScript, removeHostNet, setCable } from './net.ts';
import { removeCgroupTree } from './image.ts';
import { quote, shellJoin } from '../transport/quote.ts';

export type HostState = 'running' | 'partitioned' | 'frozen' | 'stopped';

function cg(root: string, lab: LabIds, index: number): string {
  return join(root, cgroupRel(lab, index));
}

async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[4] === path);
}

/** The supervisor: joins the host's cgroups, then runs nspawn again after an in-guest reboot (133). */
function supervisorScript(lab: LabIds, index: number, image: string): string {
  const p = hostPaths(lab.name, index);
  const nspawn = [
    'systemd-nspawn', '--boot', '--register=no', '--keep-unit', '--console=passive',
    `--machine=${machineName(lab, index)}`, `--hostname=${hostName(index)}`, `--directory=${p.root}`,
    `--network-namespace-path=/run/netns/${netnsName(lab, index)}`, '--capability=CAP_NET_ADMIN',
  ];
  return `#!/bin/bash
# hap lab supervisor for ${lab.name}/${hostName(index)} (image ${image}); plays systemd-nspawn@.service.
set -u
echo $$ > ${quote(join(cg(CG_V1, lab, index), 'cgroup.procs'))} || exit 1
echo $$ > ${quote(join(cg(CG_V2, lab, index), 'cgroup.procs'))} || exit 1
${netScript(lab, index)}
stopping=
child=
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
trap '' HUP
echo $$ > ${quote(p.pidFile)}
while [ -z "$stopping" ]; do
  net_up || { echo "hap-lab: network setup failed" >&2; break; }
  [ -n "$stopping" ] && break
  SYSTEMD_NSPAWN_API_VFS_WRITABLE=network ${shellJoin(nspawn)} </dev/null &
  child=$!
  wait "$child"; rc=$?
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  child=
  echo "hap-lab: nspawn exited with $rc at $(date +%T.%N)"
  [ "$rc" = 133 ] || break
done
net_down
rm -f ${quote(p.pidFile)}
`;
}

export async function supervisorPid(lab: LabIds, index: number): Promise<number | undefined> {
  const pid = Number((await readFile(hostPaths(lab.name, index).pidFile, 'utf8').catch(() => '')).trim());
  return pid && (await alive(pid)) ? pid : undefined;
}

async function cgroupPids(path: string): Promise<number[]> {
  const pids: number[] = [];
  const procs = await readFile(join(path, 'cgroup.procs'), 'utf8').catch(() => '');
  for (const l of procs.split('\n')) if (l.trim()) pids.push(Number(l));
  const subs = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const s of subs) if (s.isDirectory()) pids.push(...(await cgroupPids(join(path, s.name))));
  return pids;
}

/** The host's PID 1 (systemd), seen from here: the process whose innermost PID is 1. */
export async function hostInitPid(lab: LabIds, index: number): Promise<number | undefined> {
  for (const pid of await cgroupPids(cg(CG_V2, lab, index))) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    const ns = /^NSpid:\s+(.+)$/m.exec(status)?.[1]?.trim().split(/\s+/) ?? [];
    if (ns.length >= 2 && ns[ns.length - 1] === '1') return pid;
  }
  return undefined;
}

export async function hostState(lab: LabIds, index: number): Promise<HostState> {
  if (!(await supervisorPid(lab, index))) return 'stopped';
  const frozen = (await readFile(join(cg(CG_V2, lab, index), 'cgroup.freeze'), 'utf8').catch(() => '0')).trim() === '1';
  if (frozen) return 'frozen';
  return (await cableUp(lab, index)) === false ? 'partitioned' : 'running';
}

function hostsFile(lab: LabIds, count: number): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', '# hap lab hosts'];
  for (let i = 1; i <= count; i++) lines.push(`${hostAddress(lab, i)}\t${hostName(i)}`);
  return `${lines.join('\n')}\n`;
}

/** Rewrites /etc/hosts in a host's root (through the overlay, so a running host sees it). */
export async function writeHostsFile(lab: LabIds, index: number, count: number): Promise<void> {
  await writeFile(join(hostPaths(lab.name, index).root, 'etc/hosts'), hostsFile(lab, count));
}

/** Overlay root (image below, this host's upper dir above) and the files that make it this host. */
async function prepareRoot(lab: LabIds, index: number, count: number, image: string): Promise<void> {
  const p = hostPaths(lab.name, index);
  for (const d of [p.upper, p.work, p.root]) await mkdir(d, { recursive: true });
  if (!(await isMountPoint(p.root))) {
    await runOk(['mount', '-t', 'overlay', `hap-lab-${lab.name}-${hostName(index)}`, '-o', `lowerdir=${image},upperdir=${p.upper},workdir=${p.work}`, p.root]);
  }
  await writeFile(join(p.root, 'etc/hostname'), `${hostName(index)}\n`);
  await writeHostsFile(lab, index, count);
  const mid = join(p.root, 'etc/machine-id');
  if ((await readFile(mid, 'utf8').catch(() => '')).trim() === '') {
    const r = await runOk(['od', '-An', '-N16', '-tx1', '/dev/urandom']);
    await writeFile(mid, `${r.replace(/\s+/g, '')}\n`);
  }
  await mkdir(join(p.root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(join(p.root, 'root/.ssh/authorized_keys'), await readFile(`${KEY_FILE}.pub`, 'utf8'), { mode: 0o600 });
  for (const root of [CG_V1, CG_V2]) {
    const dir = cg(root, lab, index);
    await mkdir(dir, { recursive: true });
    // Empty cgroups left by a killed boot would confuse nspawn's --keep-unit setup.
    for (const e of await readdir(dir, { withFileTypes: true })) if (e.isDirectory()) await removeCgroupTree(join(dir, e.name));
  }
}

/** Boots one host (no-op when its supervisor runs); returns once nspawn has been started. */
export async function startHost(lab: LabIds, index: number, count: number, image = IMAGE_DIR): Promise<void> {
  if (await supervisorPid(lab, index)) return;
  await prepareRoot(lab, index, count, image);
  const p = hostPaths(lab.name, index);
  await rm(p.pidFile, { force: true });
  await writeFile(p.supervisor, supervisorScript(lab, index, image), { mode: 0o755 });
  const log = await open(p.log, 'a');
  try {
    const child = spawn('/bin/bash', [p.supervisor], { detached: true, stdio: ['ignore', log.fd, log.fd] });
    child.on('error', () => {});
    child.unref();
  } finally {
    await log.close();
  }
  await waitFor(`the supervisor of ${hostName(index)} (see ${p.log})`, 10_000, async () => (await supervisorPid(lab, index)) ?? undefined, 50);
}

async function cgroupEmpty(path: string): Promise<boolean> {
  const events = await readFile(join(path, 'cgroup.events'), 'utf8').catch(() => 'populated 0');
  return /populated 0/.test(events);
}

/** Hard power-off: cable out first (a dead netns still answers ARP/TCP), then cgroup.kill. */
export async function killHost(lab: LabIds, index: number): Promise<void> {
  const dir = cg(CG_V2, lab, index);
  await setCable(lab, index, false).catch(() => {});
  if (!(await cgroupEmpty(dir))) {
    await writeFile(join(dir, 'cgroup.kill'), '1');
    await waitFor(`${hostName(index)}'s processes to die`, 15_000, async () => ((await cgroupEmpty(dir)) ? true : undefined), 50);
  }
  await writeFile(join(dir, 'cgroup.freeze'), '0').catch(() => {});
  await removeHostNet(lab, index);
  await rm(hostPaths(lab.name, index).pidFile, { force: true });
}

/** Clean shutdown: SIGTERM to the supervisor, which forwards it; systemd halts the host. */
export async function stopHost(lab: LabIds, index: number, timeoutMs = 30_000): Promise<void> {
  const pid = await supervisorPid(lab, index);
  if (!pid) return;
  await setFrozen(lab, index, false);
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(`${hostName(index)} to halt`, timeoutMs, async () => ((await alive(pid)) ? undefined : true), 100);
  } catch {
    await killHost(lab, index);
  }
}

export async function setFrozen(lab: LabIds, index: number, frozen: boolean): Promise<void> {
  const dir = cg(CG_V2, lab, index);
  if (frozen && !(await supervisorPid(lab, index))) throw new LabError(`${hostName(index)} is not running`);
  await writeFile(join(dir, 'cgroup.freeze'), frozen ? '1' : '0').catch((e: NodeJS.ErrnoException) => {
    if (frozen || e.code !== 'ENOENT') throw e;
  });
  const want = frozen ? 'frozen 1' : 'frozen 0';
  await waitFor(`${hostName(index)} to ${frozen ? 'freeze' : 'thaw'}`, 10_000, async () => {
    const events = await readFile(join(dir, 'cgroup.events'), 'utf8').catch(() => 'frozen 0');
    return events.includes(want) ? true : undefined;
  }, 50);
}

/** Kills the host and removes everything it has on the machine (overlay, upper dir, cgroups). */
export async function destroyHost(lab: LabIds, index: number): Promise<void> {
  await killHost(lab, index);
  const p = hostPaths(lab.name, index);
  if (await isMountPoint(p.root)) {
    if ((await run(['umount', p.root])).rc !== 0) {
      await sleep(300);
      if ((await run(['umount', p.root])).rc !== 0) await runOk(['umount', '-l', p.root]);
    }
  }
  for (const root of [CG_V1, CG_V2]) await removeCgroupTree(cg(root, lab, index));
  // A killed nspawn cannot remove its propagation dir; it would pile up in the tmpfs.
  await rm(join(NSPAWN_RUN, 'propagate', machineName(lab, index)), { recursive: true, force: true });
  await rm(p.dir, { recursive: true, force: true });
}

/** A command inside the host through its PID 1's namespaces (no SSH), from inside its cgroup. */
export function execArgv(lab: LabIds, index: number, initPid: number, command: string): string[] {
  const join1 = `echo $$ > ${quote(join(cg(CG_V1, lab, index), 'cgroup.procs'))} && echo $$ > ${quote(join(cg(CG_V2, lab, index), 'cgroup.procs'))}`;
  const inner = [
    'nsenter', '-a', '-t', String(initPid), '/usr/bin/env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME=/root', 'USER=root', 'LANG=C.UTF-8', `TERM=${process.env.TERM ?? 'dumb'}`, '/bin/sh', '-c', command,
  ];
  return ['/bin/sh', '-c', `${join1} && exec ${shellJoin(inner)}`];
}
