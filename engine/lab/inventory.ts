import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KEY_FILE } from './paths.ts';

export interface LabHost {
  name: string;
  address: string;
}

const MARK = '# Written by `hap lab up`';

/** Ansible's YAML inventory for the lab's hosts. */
export function inventoryYaml(labName: string, hosts: LabHost[], keyFile = KEY_FILE, groups: Record<string, string[] | undefined> = {}): string {
  const lines = [
    `${MARK} for lab ${labName}; rewritten on every up, removed by down.`,
    'all:',
    '  vars:',
    '    ansible_user: root',
    `    ansible_ssh_private_key_file: ${keyFile}`,
    '    ansible_host_key_checking: false   # lab hosts get fresh keys each boot',
    '  hosts:',
    ...hosts.map((h) => `    ${h.name}: { ansible_host: ${h.address} }`),
  ];
  const names = Object.keys(groups);
  if (names.length) lines.push('  children:');
  for (const g of names) {
    lines.push(`    ${g}:`, '      hosts:');
    for (const h of groups[g] ?? hosts.map((x) => x.name)) lines.push(`        ${h}:`);
  }
  return `${lines.join('\n')}\n`;
}

export async function writeInventory(file: string, labName: string, hosts: LabHost[], groups?: Record<string, string[] | undefined>): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, inventoryYaml(labName, hosts, KEY_FILE, groups));
}

/** Removes an inventory only if `up` wrote it for this lab (never a file a person wrote). */
export async function removeInventory(file: string, labName: string): Promise<void> {
  const text = await readFile(file, 'utf8').catch(() => '');
  if (text.startsWith(`${MARK} for lab ${labName};`)) await rm(file, { force: true });
}
