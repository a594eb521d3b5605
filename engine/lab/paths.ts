import { join } from 'node:path';

/** Everything the lab keeps on disk lives under here; the image and key survive `down`. */
export const LAB_ROOT = '/var/lib/hap-lab';
/** Bump when the image recipe changes: a new directory is built, old labs keep theirs. */
export const IMAGE_VERSION = 2;
export const IMAGE_DIR = join(LAB_ROOT, 'images', `bookworm-v${IMAGE_VERSION}`);
export const KEY_FILE = join(LAB_ROOT, 'ssh', 'id_ed25519');
export const DEBS_DIR = join(LAB_ROOT, 'debs');
export const LABS_DIR = join(LAB_ROOT, 'labs');
/** One directory per claimed third octet; mkdir is the atomic claim. */
export const SUBNETS_DIR = join(LAB_ROOT, 'subnets');
export const NSPAWN_RUN = '/run/systemd/nspawn';
export const CG_V1 = '/sys/fs/cgroup/systemd';
export const CG_V2 = '/sys/fs/cgroup/unified';

/** Lab names become parts of interface, netns and cgroup names. */
export const LAB_NAME_RE = /^[a-z][a-z0-9-]{0,30}$/;
export const MAX_HOSTS = 200;

/** The per-lab facts every other file derives names from. */
export interface LabIds {
  name: string;
  /** Third octet of 10.213.<k>.0/24, unique among labs on this machine. */
  k: number;
}

export function labDir(name: string): string {
  return join(LABS_DIR, name);
}

export function subnetOf(lab: LabIds): string {
  return `10.213.${lab.k}.0/24`;
}

/** The bridge's own address: the root namespace reaches the hosts through it. */
export function bridgeAddress(lab: LabIds): string {
  return `10.213.${lab.k}.1`;
}

/** The hosts' default gateway; nothing answers there, so nothing leaves the bridge. */
export function deadGateway(lab: LabIds): string {
  return `10.213.${lab.k}.254`;
}

export function bridgeName(lab: LabIds): string {
  return `haplab${lab.k}`;
}

export function hostName(index: number): string {
  return `h${index}`;
}

export function hostIndex(host: string): number | undefined {
  const m = /^h([1-9][0-9]*)$/.exec(host);
  return m ? Number(m[1]) : undefined;
}

export function hostAddress(lab: LabIds, index: number): string {
  return `10.213.${lab.k}.${10 + index}`;
}

/** A fixed MAC per host, so neighbours' ARP caches stay right across a kill and restart. */
export function hostMac(lab: LabIds, index: number): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  return `02:68:6c:${hex(lab.k)}:${hex(index >> 8)}:${hex(index & 0xff)}`;
}

export function netnsName(lab: LabIds, index: number): string {
  return `haplab${lab.k}-h${index}`;
}

/** Host side of the veth pair (≤ 15 chars); the guest side is eth0. */
export function vethName(lab: LabIds, index: number): string {
  return `hl${lab.k}h${index}`;
}

/** nspawn keys /run/systemd/nspawn/propagate/<machine> on this, so it must be unique machine-wide. */
export function machineName(lab: LabIds, index: number): string {
  return `haplab${lab.k}-h${index}`;
}

export function cgroupRel(lab: LabIds, index?: number): string {
  const base = `hap-lab.${lab.name}`;
  return index === undefined ? base : `${base}/h${index}`;
}

export interface HostPaths {
  dir: string;
  upper: string;
  work: string;
  root: string;
  supervisor: string;
  pidFile: string;
  log: string;
}

export function hostPaths(name: string, index: number): HostPaths {
  const dir = join(labDir(name), 'hosts', hostName(index));
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    supervisor: join(dir, 'supervise.sh'),
    pidFile: join(dir, 'supervisor.pid'),
    log: join(dir, 'console.log'),
  };
}
