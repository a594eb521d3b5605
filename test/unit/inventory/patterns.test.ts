import { describe, expect, it } from 'vitest';
import { applyLimit, groupsMagic, loadInventory, selectHosts, splitPattern } from '../../../engine/inventory/index.ts';
import { errorLines, FIX } from './fixtures.ts';

// cluster: bastion (ungrouped); k8s → control_plane (cp1-3) → etcd (cp1-3), workers (w01, w02); lb (lb-a/b/c.example)
const inv = await loadInventory(`${FIX}cluster`);
const CP = ['cp1', 'cp2', 'cp3'];
const W = ['w01', 'w02'];
const LB = ['lb-a.example', 'lb-b.example', 'lb-c.example'];
// as Ansible's Group.get_hosts: all's own hosts, then its children's (ungrouped, k8s, etcd, lb),
// then the grandchildren's (control_plane, workers)
const ALL = ['bastion', ...CP, ...LB, ...W];

// expected lists are ansible-core 2.14's `ansible_play_hosts_all` for each pattern on this inventory
describe.each<[string, string[]]>([
  ['all', ALL],
  ['*', ALL],
  ['etcd', CP],
  ['k8s', [...CP, ...W]],
  ['ungrouped', ['bastion']],
  ['cp2', ['cp2']],
  ['lb-c.example', ['lb-c.example']],
  ['w0*', W],
  ['cp?', CP],
  ['lb-[ab].example', ['lb-a.example', 'lb-b.example']],
  ['cp[!1]', ['cp2', 'cp3']],
  ['~(cp|w)0?[13]', ['cp1', 'cp3', 'w01']],
  ['~lb', LB],
  ['etcd:workers', [...CP, ...W]],
  ['workers,etcd', [...W, ...CP]],
  ['workers, bastion', [...W, 'bastion']],
  ['k8s:&etcd', CP],
  ['k8s:!etcd', W],
  ['!etcd:bastion', ['bastion']],
  ['!etcd', ['bastion', ...LB, ...W]],
  ['&lb', LB],
  ['!k8s:&lb:all', LB],
  ['etcd[0]', ['cp1']],
  ['etcd[-1]', ['cp3']],
  ['k8s[1:3]', ['cp2', 'cp3', 'w01']],
  ['k8s[3:]', W],
  ['etcd[0]:lb[-1]', ['cp1', 'lb-c.example']],
  ['etcd[1]:&control_plane[1:2]', ['cp2']],
  ['nope:etcd', CP],
])('selectHosts(%j)', (pattern, expected) => {
  it('selects the hosts in the order Ansible does', () => {
    expect(selectHosts(inv, pattern)).toEqual(expected);
  });
});

describe('selectHosts reporting', () => {
  it('warns about each part that matched nothing, as Ansible', () => {
    const warnings: string[] = [];
    expect(selectHosts(inv, 'nope:etcd:zz*:all', { warn: (m) => warnings.push(m) })).toEqual([...CP, 'bastion', ...LB, ...W]);
    expect(warnings).toEqual([
      'Could not match supplied host pattern, ignoring: nope',
      'Could not match supplied host pattern, ignoring: zz*',
    ]);
  });

  it('throws, when strict, naming every part that matched nothing', async () => {
    expect(await errorLines(() => selectHosts(inv, 'nope:etcd:!zz*', { strict: true }))).toEqual([
      "host pattern 'nope:etcd:!zz*' matches no host or group: 'nope', 'zz*'; check the names against the inventory",
    ]);
    expect(selectHosts(inv, 'etcd:k8s', { strict: true })).toEqual([...CP, ...W]);
  });

  it('throws on a subscript past the end and on a bad regex', async () => {
    expect(await errorLines(() => selectHosts(inv, 'etcd[3]'))).toEqual([
      "no host matches the subscripted pattern 'etcd[3]': it has 3 hosts",
    ]);
    const [bad] = await errorLines(() => selectHosts(inv, '~cp('));
    expect(bad).toMatch(/^invalid host pattern '~cp\(': /);
  });

  it('does not warn when groups exist but share no host', () => {
    const warnings: string[] = [];
    expect(selectHosts(inv, 'k8s:&ungrouped', { warn: (m) => warnings.push(m) })).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe.each<[string | undefined, string[]]>([
  [undefined, ALL],
  ['', ALL],
  ['etcd', CP],
  ['etcd:!cp2', ['cp1', 'cp3']],
  ['@limit.txt', ['cp1', ...LB]],
  ['@limit.txt,w01', ['cp1', ...LB, 'w01']],
  ['@empty-limit.txt', []],
  ['lb[0]', ['lb-a.example']],
])('applyLimit(all, %j)', (limit, expected) => {
  it('keeps the hosts the limit selects, in the given order', () => {
    expect(applyLimit(inv, ALL, limit, { cwd: FIX })).toEqual(expected);
  });
});

describe('applyLimit', () => {
  it('only narrows the hosts it is given', () => {
    expect(applyLimit(inv, selectHosts(inv, 'k8s'), 'lb:cp3')).toEqual(['cp3']);
  });

  it('reports a missing limit file', async () => {
    expect(await errorLines(() => applyLimit(inv, ALL, '@missing.txt', { cwd: FIX }))).toEqual([
      'cannot read limit file missing.txt: ENOENT',
    ]);
  });

  it('is strict on request', async () => {
    expect(await errorLines(() => applyLimit(inv, ALL, 'cp9', { strict: true }))).toEqual([
      "limit 'cp9' matches no host or group: 'cp9'; check the names against the inventory",
    ]);
  });
});

describe('splitPattern', () => {
  it.each<[string, string[]]>([
    ['a:b', ['a', 'b']],
    ['a,b:c', ['a', 'b:c']],
    ['web[0:2]:&db', ['web[0:2]', '&db']],
    [' a , ,b ', ['a', 'b']],
  ])('%j', (pattern, expected) => expect(splitPattern(pattern)).toEqual(expected));
});

describe('groupsMagic', () => {
  it("maps every group, all and ungrouped included, to its hosts in Ansible's order", () => {
    expect(groupsMagic(inv)).toEqual({
      all: ALL,
      ungrouped: ['bastion'],
      k8s: [...CP, ...W],
      control_plane: CP,
      etcd: CP,
      workers: W,
      lb: LB,
    });
  });
});
