import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addPlaybookVars, loadInventory } from '../../../engine/inventory/index.ts';
import { project } from '../../support/project.ts';
import { formatPos } from '../../../engine/source/errors.ts';
import { FIX } from './fixtures.ts';

const DIFF = fileURLToPath(new URL('../../differential/fixtures/inventories/', import.meta.url));

const rel = (p: { file: string; line: number; col: number } | undefined) => formatPos(p).split(FIX).join('');

describe('loadInventory: a directory with nested groups, group_vars and host_vars', async () => {
  const inv = await loadInventory(`${FIX}cluster`);

  it('expands host ranges and keeps hosts in written order', () => {
    expect(inv.order).toEqual(['bastion', 'cp1', 'cp2', 'cp3', 'w01', 'w02', 'lb-a.example', 'lb-b.example', 'lb-c.example']);
    expect([...inv.hosts.keys()]).toEqual(inv.order);
  });

  it('links groups both ways and computes depth as the longest path from all', () => {
    const g = (n: string) => inv.groups.get(n);
    expect([...inv.groups.keys()]).toEqual(['all', 'ungrouped', 'k8s', 'control_plane', 'etcd', 'workers', 'lb']);
    expect(g('all')?.children).toEqual(['ungrouped', 'k8s', 'etcd', 'lb']);
    expect(g('etcd')?.parents).toEqual(['control_plane', 'all']);
    expect(Object.fromEntries([...inv.groups.values()].map((x) => [x.name, x.depth]))).toEqual({
      all: 0, ungrouped: 1, k8s: 1, control_plane: 2, etcd: 3, workers: 2, lb: 1,
    });
    expect(g('control_plane')?.hosts).toEqual(['cp1', 'cp2', 'cp3']);
    expect(g('k8s')?.hosts).toEqual([]);
    expect(g('all')?.hosts).toEqual(['bastion']);
    expect(g('ungrouped')?.hosts).toEqual(['bastion']);
  });

  it("lists each host's groups, direct or inherited, sorted by depth then name", () => {
    expect(inv.hosts.get('cp1')?.groups).toEqual(['all', 'k8s', 'control_plane', 'etcd']);
    expect(inv.hosts.get('w02')?.groups).toEqual(['all', 'k8s', 'workers']);
    expect(inv.hosts.get('bastion')?.groups).toEqual(['all', 'ungrouped']);
    expect(inv.hosts.get('lb-c.example')?.groups).toEqual(['all', 'lb']);
  });

  it('keeps group vars per group with the place each came from (inline, files and directories)', () => {
    const etcd = inv.groups.get('etcd');
    expect(etcd?.vars).toEqual({ etcd_client_port: 2379, etcd_peer_port: 2380, etcd_data_dir: '/var/lib/etcd' });
    expect(rel(etcd?.varPos.etcd_client_port)).toBe('cluster/hosts.yml:25:27');
    expect(rel(etcd?.varPos.etcd_peer_port)).toBe('cluster/group_vars/etcd/10-ports.yml:1:17');
    expect(rel(etcd?.varPos.etcd_data_dir)).toBe('cluster/group_vars/etcd/20-data.yaml:2:16');
    expect(inv.groups.get('all')?.vars).toEqual({ cluster_name: 'lab', ntp_server: 'pool.ntp.org' });
    expect(inv.groups.get('control_plane')?.vars).toEqual({ apiserver_port: 6443 });
    expect(inv.groups.has('other_inventory_group')).toBe(false);
  });

  it('merges inline host vars, host ports and host_vars files (with or without extension, or a directory)', () => {
    const v = (h: string) => inv.hosts.get(h)?.vars;
    expect(v('bastion')).toEqual({ ansible_host: '10.0.0.2', ansible_user: 'admin' });
    expect(v('cp1')).toEqual({ etcd_name: 'etcd-1' });
    expect(v('cp2')).toEqual({ etcd_name: 'etcd-2', node_ip: '10.0.0.12' });
    expect(v('cp3')).toEqual({});
    expect(v('lb-a.example')).toEqual({ keepalived_interface: 'eth0', keepalived_priority: 150 });
    expect(v('lb-b.example')).toEqual({ keepalived_interface: 'eth0' });
    expect(v('lb-c.example')).toEqual({ ansible_port: 2201 });
    expect(rel(inv.hosts.get('lb-c.example')?.varPos.ansible_port)).toBe('cluster/hosts.yml:30:9');
    expect(rel(inv.hosts.get('cp2')?.varPos.node_ip)).toBe('cluster/host_vars/cp2/b.yml:1:10');
    expect(rel(inv.hosts.get('bastion')?.varPos.ansible_user)).toBe('cluster/host_vars/bastion:1:15');
  });

  it('does not share one vars object between hosts of a range', () => {
    expect(inv.hosts.get('lb-a.example')?.vars).not.toBe(inv.hosts.get('lb-b.example')?.vars);
  });
});

describe('loadInventory: other layouts', () => {
  it('reads every *.yml / *.yaml file of a directory without hosts.yml, top-level groups under all', async () => {
    const inv = await loadInventory(`${FIX}split`);
    expect(inv.order).toEqual(['e1', 'e2', 'l1']);
    expect(inv.groups.get('all')?.children).toEqual(['ungrouped', 'etcd', 'lb']);
    expect(inv.groups.get('etcd')?.parents).toEqual(['all', 'lb']);
    expect(inv.groups.get('etcd')?.depth).toBe(2);
    expect(inv.hosts.get('e1')?.groups).toEqual(['all', 'lb', 'etcd']);
  });

  it('reads group_vars and host_vars beside an inventory file', async () => {
    const inv = await loadInventory(`${FIX}file/inventory.yml`);
    expect(inv.source).toBe(`${FIX}file/inventory.yml`);
    expect(inv.groups.get('web')?.vars).toEqual({ http_port: 8080 });
    expect(inv.hosts.get('solo')?.vars).toEqual({ ansible_connection: 'local', role_hint: 'single' });
    expect(inv.groups.get('ungrouped')?.hosts).toEqual(['solo']);
  });

  it("reads every YAML file of a directory and its subfolders, skipping what Ansible skips (~, .bak, .orig, .ini, .txt, hidden…)", async () => {
    const inv = await loadInventory(`${DIFF}dir-mixed`);
    expect(inv.order).toEqual(['w1', 'w2', 'd1', 'c1', 's1']);
    expect(inv.groups.get('all')?.vars).toEqual({ from_file: '10-web', tier: 'all' });
    expect(inv.groups.get('web')?.vars).toEqual({ role: 'web' });
  });

  it('skips a file in an inventory directory that is not YAML (a PKI kept beside hosts.yml)', async () => {
    const { dir } = await project({ 'inv/a.yml': 'all:\n  hosts:\n    h1:\n', 'inv/hosts': '[g]\nh2\n', 'inv/pki/ca.crt': 'x' });
    expect((await loadInventory(join(dir, 'inv'))).order).toEqual(['h1']);
  });

  it("lets group_vars and host_vars beside the playbook win over the inventory's", async () => {
    const { dir } = await project({
      'inv/hosts.yml': 'all:\n  children:\n    web:\n      hosts:\n        w1: { port: 1 }\n      vars: { a: inv, b: inv }\n',
      'pb/group_vars/web.yml': 'a: playbook\n',
      'pb/host_vars/w1.yml': 'port: 2\n',
    });
    const inv = await loadInventory(join(dir, 'inv'));
    await addPlaybookVars(inv, join(dir, 'pb'));
    expect(inv.groups.get('web')?.vars).toEqual({ a: 'playbook', b: 'inv' });
    expect(inv.hosts.get('w1')?.vars).toEqual({ port: 2 });
  });
});
