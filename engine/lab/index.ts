import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CG_V1, CG_V2, KEY_FILE, LAB_ROOT, MAX_HOSTS, bridgeName, cgroupRel, hostAddress, hostIndex, hostName, hostPaths, labDir, subnetOf,
  type LabIds,
} from './paths.ts';
import { LabError, run, withLock, type RunResult } from './proc.ts';
import { ensureMachine, requireRoot } from './machine.ts';
import { ensureImage, ensureKey, removeCgroupTree } from './image.ts';
import { ensureBridge, removeBridge, setCable } from './net.ts';
import { checkLabName, claimSubnet, listLabs, loadLab, releaseSubnet, requireLab, saveLab, type LabState } from './state.ts';
import { destroyHost, execArgv, hostInitPid, hostState, killHost, setFrozen, startHost, stopHost, writeHostsFile, type HostState } from './host.ts';
import { removeInventory, writeInventory, type LabHost } from './inventory.ts';
import { waitForSsh } from './ssh.ts';
import { fetchEtcdDebs } from './debs.ts';

export { LabError } from './proc.ts';
export { labSsh } from './ssh.ts';
export type { LabHost } from './inventory.ts';
export type { HostState } from './host.ts';

export const DEFAULT_LAB = 'hap';
const SSH_TIMEOUT_MS = 120_000;

export interface LabUpOptions {
  name?: string;
  hosts: number;
  /** Inventory path; default inventories/lab/<name>.yml relative to the current directory. */
  inventory?: string;
  /** Inventory groups to write: name → member hosts (undefined: every host). */
  groups?: Record<string, string[] | undefined>;
  log?: (line: string) => void;
}

export interface LabUpResult {
  name: string;
  subnet: string;
  bridge: string;
  hosts: LabHost[];
  inventoryFile: string;
  keyFile: string;
}

export interface LabHostStatus extends LabHost {
  state: HostState;
  /** Bytes in the host's overlay upper dir (its own writes). */
  diskBytes: number;
}

export interface LabStatus {
  name: string;
  subnet: string;
  bridge: string;
  inventoryFile?: string;
  hosts: LabHostStatus[];
}

export type FaultVerb = 'kill' | 'stop' | 'start' | 'partition' | 'heal' | 'freeze' | 'thaw';
export const FAULT_VERBS: readonly FaultVerb[] = ['kill', 'stop', 'start', 'partition', 'heal', 'freeze', 'thaw'];

function indices(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

function hostsOf(lab: LabIds, count: number): LabHost[] {
  return indices(count).map((i) => ({ name: hostName(i), address: hostAddress(lab, i) }));
}

function lockOf(name: string): string {
  return join(LAB_ROOT, `.lab-${name}.lock`);
}

function resolveHost(lab: LabState, host: string): number {
  const i = hostIndex(host);
  if (i === undefined || i > lab.hosts) throw new LabError(`lab ${lab.name} has no host ${JSON.stringify(host)} (hosts: h1..h${lab.hosts})`);
  return i;
}

/** Starts (or grows) a lab and returns once every host accepts SSH with the lab key. */
export async function labUp(opts: LabUpOptions): Promise<LabUpResult> {
  requireRoot('up');
  const name = opts.name ?? DEFAULT_LAB;
  checkLabName(name);
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new LabError(`--hosts must be a whole number from 1 to ${MAX_HOSTS}, not ${opts.hosts}`);
  }
  const log = opts.log ?? (() => {});
  await ensureMachine(log);
  await ensureKey();
  const image = await ensureImage(log);
  const inventoryFile = resolve(opts.inventory ?? join('inventories', 'lab', `${name}.yml`));
  return withLock(lockOf(name), 300_000, async () => {
    const lab: LabState = (await loadLab(name)) ?? { name, k: await claimSubnet(name), hosts: 0, image };
    if (opts.hosts < lab.hosts) log(`lab ${name} already has ${lab.hosts} hosts; keeping them all`);
    const count = Math.max(lab.hosts, opts.hosts);
    const previousInventory = lab.inventoryFile;
    Object.assign(lab, { hosts: count, inventoryFile });
    await saveLab(lab);
    await ensureBridge(lab);
    await Promise.all(indices(count).map((i) => startHost(lab, i, count, lab.image)));
    // Hosts that were already up learn about the new ones too.
    await Promise.all(indices(count).map((i) => writeHostsFile(lab, i, count)));
    const hosts = hostsOf(lab, count);
    await Promise.all(hosts.map((h) => waitForSsh(lab, h.name, h.address, SSH_TIMEOUT_MS)));
    if (previousInventory && previousInventory !== inventoryFile) await removeInventory(previousInventory, name);
    await writeInventory(inventoryFile, name, hosts, opts.groups);
    return { name, subnet: subnetOf(lab), bridge: bridgeName(lab), hosts, inventoryFile, keyFile: KEY_FILE };
  });
}

/** Destroys a lab completely except the shared image and key. False when there was none. */
export async function labDown(name: string = DEFAULT_LAB): Promise<boolean> {
  requireRoot('down');
  const lab = await loadLab(name);
  if (!lab) return false;
  await withLock(lockOf(name), 300_000, async () => {
    // Hosts dirs beyond lab.hosts can exist when an `up` that grew the lab failed half-way.
    const dirs = await readdir(join(labDir(name), 'hosts')).catch(() => [] as string[]);
    const all = new Set(indices(lab.hosts));
    for (const d of dirs) {
      const i = hostIndex(d);
      if (i !== undefined) all.add(i);
    }
    await Promise.all([...all].map((i) => destroyHost(lab, i)));
    await removeBridge(lab);
    for (const root of [CG_V1, CG_V2]) await removeCgroupTree(join(root, cgroupRel(lab)));
    if (lab.inventoryFile) await removeInventory(lab.inventoryFile, name);
    await rm(labDir(name), { recursive: true, force: true });
    await releaseSubnet(lab);
  });
  return true;
}

/** Names of the labs that exist on this machine (any state). */
export function labList(): Promise<string[]> {
  return listLabs();
}

export async function labStatus(name: string = DEFAULT_LAB): Promise<LabStatus> {
  const lab = await requireLab(name);
  const hosts = await Promise.all(
    indices(lab.hosts).map(async (i): Promise<LabHostStatus> => {
      const du = await run(['du', '-sb', hostPaths(name, i).upper]);
      return {
        name: hostName(i),
        address: hostAddress(lab, i),
        state: await hostState(lab, i),
        diskBytes: Number(du.stdout.split('\t')[0]) || 0,
      };
    }),
  );
  return { name, subnet: subnetOf(lab), bridge: bridgeName(lab), inventoryFile: lab.inventoryFile, hosts };
}

/** Injects a fault into one host (or repairs it): the lab's "pull the plug" verbs. */
export async function labFault(name: string, verb: FaultVerb, host: string): Promise<void> {
  requireRoot(verb);
  const lab = await requireLab(name);
  const i = resolveHost(lab, host);
  switch (verb) {
    case 'kill':
      return killHost(lab, i);
    case 'stop':
      return stopHost(lab, i);
    case 'start':
      await ensureBridge(lab);
      await startHost(lab, i, lab.hosts, lab.image);
      return waitForSsh(lab, host, hostAddress(lab, i), SSH_TIMEOUT_MS);
    case 'partition':
      return setCable(lab, i, false);
    case 'heal':
      return setCable(lab, i, true);
    case 'freeze':
      return setFrozen(lab, i, true);
    case 'thaw':
      return setFrozen(lab, i, false);
    default: {
      const never: never = verb;
      throw new LabError(`unknown fault ${String(never)}`);
    }
  }
}

export interface LabExecOptions {
  /** Attach the caller's stdin/stdout/stderr (the CLI); the result then has empty output. */
  inherit?: boolean;
  input?: string;
  timeoutMs?: number;
}

/** Runs a shell command inside a running host through nsenter on its PID 1 (no SSH). */
export async function labExec(name: string, host: string, command: string, opts: LabExecOptions = {}): Promise<RunResult> {
  requireRoot('exec');
  const lab = await requireLab(name);
  const i = resolveHost(lab, host);
  const pid = await hostInitPid(lab, i);
  if (!pid) throw new LabError(`${host} is not running (state: ${await hostState(lab, i)}); start it with: hap lab start ${host} --name ${name}`);
  return run(execArgv(lab, i, pid, command), { inherit: opts.inherit, input: opts.input, timeoutMs: opts.timeoutMs });
}

/** Paths of the cached Debian trixie etcd-server and etcd-client 3.5 .debs (downloaded once). */
export async function labDebs(log?: (line: string) => void): Promise<string[]> {
  requireRoot('debs');
  return fetchEtcdDebs(log);
}
