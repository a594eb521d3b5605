import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SshdHosts } from '../test/support/sshd-host.ts';

/**
 * hap's inventory for the bench hosts: key auth as root, host keys accepted on first use into a
 * fresh known_hosts beside it (kept for the second run).
 */
export async function hapInventory(dir: string, lab: SshdHosts): Promise<string> {
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, '', { mode: 0o600 });
  const lines = ['all:', '  children:', '    bench:', '      vars:', '        ansible_user: root'];
  lines.push(`        ansible_ssh_private_key_file: ${JSON.stringify(lab.keyFile)}`);
  lines.push('        hap_host_key_checking: accept-new', `        hap_known_hosts_file: ${JSON.stringify(knownHosts)}`);
  lines.push('      hosts:');
  for (const h of lab.hosts) lines.push(`        ${h.name}: { ansible_host: ${JSON.stringify(h.address)} }`);
  const file = join(dir, 'hosts.yml');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** The same hosts for Ansible, with the settings of Ansible's own bench inventory. */
export async function ansibleInventory(dir: string, lab: SshdHosts): Promise<string> {
  const lines = ['[bench]', ...lab.hosts.map((h) => `${h.name} ansible_host=${h.address}`), '', '[bench:vars]'];
  lines.push('ansible_user=root', 'ansible_port=22', `ansible_ssh_private_key_file=${lab.keyFile}`);
  lines.push('ansible_ssh_common_args=-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no');
  lines.push('ansible_python_interpreter=/usr/bin/python3');
  const file = join(dir, 'hosts.ini');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}
