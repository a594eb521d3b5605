import { describe, expect, it } from 'vitest';
import { inventoryGraph, inventoryList, loadInventory } from '../../../engine/inventory/index.ts';
import { FIX } from './fixtures.ts';

const inv = await loadInventory(`${FIX}cluster`);

describe('inventoryGraph', () => {
  it('draws each group with its children first, then its direct hosts, as ansible-inventory --graph', () => {
    expect(inventoryGraph(inv)).toBe(
      [
        '@all:',
        '  |--@ungrouped:',
        '  |  |--bastion',
        '  |--@k8s:',
        '  |  |--@control_plane:',
        '  |  |  |--@etcd:',
        '  |  |  |  |--cp1',
        '  |  |  |  |--cp2',
        '  |  |  |  |--cp3',
        '  |  |  |--cp1',
        '  |  |  |--cp2',
        '  |  |  |--cp3',
        '  |  |--@workers:',
        '  |  |  |--w01',
        '  |  |  |--w02',
        '  |--@etcd:',
        '  |  |--cp1',
        '  |  |--cp2',
        '  |  |--cp3',
        '  |--@lb:',
        '  |  |--lb-a.example',
        '  |  |--lb-b.example',
        '  |  |--lb-c.example',
      ].join('\n'),
    );
  });

  it('draws one group when asked', () => {
    expect(inventoryGraph(inv, 'workers')).toBe('@workers:\n  |--w01\n  |--w02');
  });
});

describe('inventoryList', () => {
  it('gives _meta.hostvars and each group with hosts, children and own vars, keys sorted', () => {
    const list = inventoryList(inv);
    expect(Object.keys(list)).toEqual(['_meta', 'all', 'control_plane', 'etcd', 'k8s', 'lb', 'ungrouped', 'workers']);
    expect(list).toEqual({
      _meta: {
        hostvars: {
          bastion: { ansible_host: '10.0.0.2', ansible_user: 'admin' },
          cp1: { etcd_name: 'etcd-1' },
          cp2: { etcd_name: 'etcd-2', node_ip: '10.0.0.12' },
          'lb-a.example': { keepalived_interface: 'eth0', keepalived_priority: 150 },
          'lb-b.example': { keepalived_interface: 'eth0' },
          'lb-c.example': { ansible_port: 2201 },
        },
      },
      all: { children: ['ungrouped', 'k8s', 'etcd', 'lb'], vars: { cluster_name: 'lab', ntp_server: 'pool.ntp.org' } },
      control_plane: { children: ['etcd'], hosts: ['cp1', 'cp2', 'cp3'], vars: { apiserver_port: 6443 } },
      etcd: {
        hosts: ['cp1', 'cp2', 'cp3'],
        vars: { etcd_client_port: 2379, etcd_peer_port: 2380, etcd_data_dir: '/var/lib/etcd' },
      },
      k8s: { children: ['control_plane', 'workers'] },
      lb: { hosts: ['lb-a.example', 'lb-b.example', 'lb-c.example'] },
      ungrouped: { hosts: ['bastion'] },
      workers: { hosts: ['w01', 'w02'] },
    });
  });

  it('serialises to JSON', () => {
    expect(JSON.parse(JSON.stringify(inventoryList(inv)))).toEqual(inventoryList(inv));
  });
});
