import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_ROOT, NSPAWN_RUN } from './paths.ts';
import { LabError, run, runOk, withLock } from './proc.ts';

/** Programs the lab runs on this machine, and the Debian package that brings each. */
const TOOLS: Array<[string, string]> = [
  ['systemd-nspawn', 'systemd-container'],
  ['debootstrap', 'debootstrap'],
  ['ssh', 'openssh-client'],
  ['ssh-keygen', 'openssh-client'],
  ['ip', 'iproute2'],
  ['nsenter', 'util-linux'],
  ['setsid', 'util-linux'],
  ['dpkg-deb', 'dpkg'],
];

/** Machine-wide sysctls: each booted systemd holds ~5 inotify instances, all owned by uid 0. */
const SYSCTLS: Array<[string, number]> = [
  ['fs/inotify/max_user_instances', 8192],
  ['fs/inotify/max_user_watches', 1048576],
];

export function requireRoot(what: string): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new LabError(`hap lab ${what} must run as root (it creates network namespaces, mounts and cgroups); try: sudo hap lab ${what}`);
  }
}

async function onPath(cmd: string): Promise<boolean> {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    try {
      await access(join(dir, cmd));
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

export async function missingPackages(): Promise<string[]> {
  const missing = new Set<string>();
  for (const [cmd, pkg] of TOOLS) if (!(await onPath(cmd))) missing.add(pkg);
  return [...missing];
}

async function installPackages(pkgs: string[], log: (s: string) => void): Promise<void> {
  log(`installing on this machine: ${pkgs.join(' ')}`);
  const argv = ['apt-get', '-y', '-q', '-o', 'DPkg::Lock::Timeout=300', 'install', '--no-install-recommends', ...pkgs];
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if ((await run(argv, { env })).rc === 0) return;
  await runOk(['apt-get', '-q', '-o', 'DPkg::Lock::Timeout=300', 'update'], { env });
  await runOk(argv, { env });
}

async function raiseSysctls(): Promise<void> {
  for (const [key, min] of SYSCTLS) {
    const path = join('/proc/sys', key);
    const cur = Number((await readFile(path, 'utf8')).trim());
    if (cur < min) await writeFile(path, `${min}\n`);
  }
}

async function isMountPoint(path: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[4] === path);
}

/**
 * nspawn refuses to clean its propagate dirs on a disk file system, and /run is ext4 here.
 * Left mounted on `down`: another lab's `up` may be between this mount and its first nspawn.
 */
async function ensureNspawnTmpfs(): Promise<void> {
  if (await isMountPoint(NSPAWN_RUN)) return;
  const fsType = (await run(['stat', '-f', '-c', '%T', '/run'])).stdout.trim();
  if (fsType === 'tmpfs') return;
  await mkdir(NSPAWN_RUN, { recursive: true });
  await runOk(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'hap-lab-nspawn', NSPAWN_RUN]);
}

/** Packages, sysctls and mounts the lab needs on the machine itself; idempotent and quick. */
export async function ensureMachine(log: (s: string) => void): Promise<void> {
  await mkdir(LAB_ROOT, { recursive: true });
  const missing = await missingPackages();
  if (missing.length) await withLock(join(LAB_ROOT, '.apt.lock'), 600_000, () => installPackages(missing, log));
  await raiseSysctls();
  await ensureNspawnTmpfs();
}
