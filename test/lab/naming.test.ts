// Pure parts of the lab: names, addresses, inventory, mirror detection, argument parsing.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { bridgeAddress, bridgeName, deadGateway, hostAddress, hostIndex, hostMac, machineName, netnsName, vethName } from '../../engine/lab/paths.ts';
import { inventoryYaml } from '../../engine/lab/inventory.ts';
import { mirrorFromSources } from '../../engine/lab/image.ts';
import { parseLabArgs } from '../../engine/lab/cli.ts';
import { LabError } from '../../engine/lab/proc.ts';

describe('lab naming', () => {
  it.each([
    [1, 1],
    [254, 200],
  ])('lab k=%i host %i fits Linux interface names and the lab /24', (k, i) => {
    const lab = { name: 'a-long-lab-name-for-testing', k };
    for (const ifname of [bridgeName(lab), vethName(lab, i)]) expect(ifname.length).toBeLessThanOrEqual(15);
    expect(hostAddress(lab, i)).toBe(`10.213.${k}.${10 + i}`);
    expect(hostAddress(lab, i)).not.toBe(bridgeAddress(lab));
    expect(hostAddress(lab, i)).not.toBe(deadGateway(lab));
    expect(hostMac(lab, i)).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(machineName(lab, i)).toBe(netnsName(lab, i));
  });

  it('gives every host of two labs distinct MACs and machine names', () => {
    const macs = new Set<string>();
    const machines = new Set<string>();
    for (const k of [1, 2]) {
      for (let i = 1; i <= 200; i++) {
        macs.add(hostMac({ name: 'x', k }, i));
        machines.add(machineName({ name: 'x', k }, i));
      }
    }
    expect(macs.size).toBe(400);
    expect(machines.size).toBe(400);
  });

  it.each([
    ['h1', 1],
    ['h12', 12],
    ['h0', undefined],
    ['h01', undefined],
    ['web1', undefined],
  ])('host name %s → index %s', (name, index) => expect(hostIndex(name)).toBe(index));
});

describe('lab inventory', () => {
  it('is an Ansible YAML inventory with the key and one entry per host', () => {
    const text = inventoryYaml('t', [
      { name: 'h1', address: '10.213.3.11' },
      { name: 'h2', address: '10.213.3.12' },
    ], '/k/id_ed25519');
    const inv = parse(text) as { all: { vars: Record<string, unknown>; hosts: Record<string, unknown> } };
    expect(inv.all.vars).toEqual({ ansible_user: 'root', ansible_ssh_private_key_file: '/k/id_ed25519', ansible_host_key_checking: false });
    expect(inv.all.hosts).toEqual({ h1: { ansible_host: '10.213.3.11' }, h2: { ansible_host: '10.213.3.12' } });
  });
});

describe('mirror detection', () => {
  const deb822 = `Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://security.example/debian-security
Suites: bookworm-security
Components: main
`;
  it.each([
    ['deb822', [{ path: '/etc/apt/sources.list.d/debian.sources', text: deb822 }], 'http://mirror.example/debian'],
    ['one-line with options', [{ path: '/etc/apt/sources.list', text: '# c\ndeb [arch=amd64] http://m.example/debian bookworm main\n' }], 'http://m.example/debian'],
    ['only other suites', [{ path: '/etc/apt/sources.list', text: 'deb http://x.example/apt cloud-sdk-bookworm main\n' }], undefined],
    ['deb-src only', [{ path: '/a.sources', text: 'Types: deb-src\nURIs: http://s.example\nSuites: bookworm\n' }], undefined],
  ])('%s', (_label, files, want) => expect(mirrorFromSources(files)).toBe(want));
});

describe('hap lab arguments', () => {
  it('reads the command, host, options and the command after --', () => {
    const p = parseLabArgs(['exec', 'h2', '--name=x', '--', 'ls', '-l', '/etc']);
    expect(p).toMatchObject({ cmd: 'exec', name: 'x', positional: ['h2'], rest: ['ls', '-l', '/etc'] });
    expect(parseLabArgs(['up', '--hosts', '3'])).toMatchObject({ cmd: 'up', name: 'hap', hosts: 3 });
  });
  it.each([[['up', '--hosts', 'many']], [['up', '--hosts']], [['status', '--bogus']]])('rejects %j', (argv) => {
    expect(() => parseLabArgs(argv)).toThrow(LabError);
  });
});
