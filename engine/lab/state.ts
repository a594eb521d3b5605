import { mkdir, readFile, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_NAME_RE, LABS_DIR, SUBNETS_DIR, labDir, type LabIds } from './paths.ts';
import { LabError } from './proc.ts';
import { subnetFree } from './net.ts';

/** What `up` records so later commands (any process) can find the lab again. */
export interface LabState extends LabIds {
  /** Number of hosts h1..hN the lab has. */
  hosts: number;
  /** The inventory file `up` last wrote, absolute. */
  inventoryFile?: string;
  image: string;
}

export function checkLabName(name: string): void {
  if (!LAB_NAME_RE.test(name)) {
    throw new LabError(`invalid lab name ${JSON.stringify(name)}: use a lowercase letter, then up to 30 of [a-z0-9-]`);
  }
}

function stateFile(name: string): string {
  return join(labDir(name), 'lab.json');
}

export async function loadLab(name: string): Promise<LabState | undefined> {
  checkLabName(name);
  try {
    return JSON.parse(await readFile(stateFile(name), 'utf8')) as LabState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function requireLab(name: string): Promise<LabState> {
  const lab = await loadLab(name);
  if (!lab) throw new LabError(`no lab named ${name} (start one with: hap lab up --hosts 3 --name ${name})`);
  return lab;
}

export async function saveLab(lab: LabState): Promise<void> {
  await mkdir(labDir(lab.name), { recursive: true });
  const tmp = `${stateFile(lab.name)}.tmp`;
  await writeFile(tmp, `${JSON.stringify(lab, null, 2)}\n`);
  await rename(tmp, stateFile(lab.name));
}

export async function listLabs(): Promise<string[]> {
  const names = await readdir(LABS_DIR).catch(() => [] as string[]);
  return names.filter((n) => LAB_NAME_RE.test(n)).sort();
}

/**
 * Claims a free third octet for 10.213.<k>.0/24. mkdir of subnets/<k> is the atomic claim, so
 * two `up`s at once never share a subnet; octets some other software routes are skipped.
 */
export async function claimSubnet(name: string): Promise<number> {
  await mkdir(SUBNETS_DIR, { recursive: true });
  for (let k = 1; k <= 254; k++) {
    const dir = join(SUBNETS_DIR, String(k));
    try {
      await mkdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw e;
    }
    if (!(await subnetFree({ name, k }))) {
      await rmdir(dir);
      continue;
    }
    await writeFile(join(dir, 'owner'), `${name}\n`);
    return k;
  }
  throw new LabError('no free subnet left in 10.213.0.0/16 (run hap lab down on labs you no longer need)');
}

export async function releaseSubnet(lab: LabIds): Promise<void> {
  const dir = join(SUBNETS_DIR, String(lab.k));
  const owner = (await readFile(join(dir, 'owner'), 'utf8').catch(() => '')).trim();
  if (owner === lab.name) {
    await rm(join(dir, 'owner'), { force: true });
    await rmdir(dir).catch(() => {});
  }
}
