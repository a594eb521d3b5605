import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hap, project } from '../../support/project.ts';
import { checkVipSpec, type StaticInput } from '../../../engine/executor/gates/vip/check.ts';
import { probeCommand } from '../../../engine/executor/gates/vip/probe.ts';
import {
  checkBatch,
  fresh,
  handedOver,
  holderLast,
  marker,
  parseProbe,
  parseStatsCsv,
  settled,
  type LbState,
  type VipStatus,
} from '../../../engine/executor/gates/vip/status.ts';

const PLAYBOOK = resolve(import.meta.dirname, '../../../playbooks/lb.yml');

// haproxy 2.6.12's /stats;csv header and `ip -o addr show`, captured on a lab LB host
const HEADER =
  '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration';
const row = (px: string, sv: string, status: string, scur = '0') => {
  const f = Array<string>(39).fill('');
  f[0] = px;
  f[1] = sv;
  f[4] = scur;
  f[17] = status;
  return f.join(',');
};
const CSV = [
  HEADER,
  row('stats', 'FRONTEND', 'OPEN'),
  row('kube-apiserver', 'h3', 'UP'),
  row('kube-apiserver', 'h4', 'DOWN'),
  row('kube-apiserver', 'h5', 'UP 1/2', '3'),
  row('kube-apiserver', 'BACKEND', 'UP'),
].join('\n');
const ADDR = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.213.1.12/24 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.213.1.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet6 fe80::68:6cff:fe01:2/64 scope link \\       valid_lft forever preferred_lft forever`;

const probeOutput = (o: { addr?: string; active?: string; maint?: string; state?: string; stats?: string }) =>
  [marker('addr'), o.addr ?? ADDR, marker('active'), o.active ?? 'active\nactive', marker('maint'), o.maint ?? '0', marker('state'), o.state ?? 'MASTER', marker('stats'), o.stats ?? CSV].join('\n');

describe('probe parsing', () => {
  it('reads the VIP, unit states, flag, VRRP state and backend servers', () => {
    const lb = parseProbe('h2', '10.213.1.100', 'kube-apiserver', probeOutput({}));
    expect(lb).toMatchObject({ host: 'h2', holds: true, keepalived: 'active', haproxy: 'active', maintenance: false, vrrp: 'MASTER' });
    expect(lb.backends).toEqual([
      { name: 'h3', status: 'UP', sessions: 0 },
      { name: 'h4', status: 'DOWN', sessions: 0 },
      { name: 'h5', status: 'UP 1/2', sessions: 3 },
    ]);
  });
  it('a host address that only starts like the VIP is not the VIP', () => {
    expect(parseProbe('h2', '10.213.1.1', 'kube-apiserver', probeOutput({})).holds).toBe(false);
  });
  it('stats that do not answer, a set flag and a stopped unit', () => {
    const lb = parseProbe('h1', '10.213.1.100', 'kube-apiserver', probeOutput({ addr: '', active: 'inactive\nactive', maint: '1', state: '', stats: 'curl: (7) Failed to connect' }));
    expect(lb).toMatchObject({ holds: false, keepalived: 'inactive', maintenance: true, vrrp: undefined, backends: undefined });
  });
  it('an unknown backend has no servers', () => {
    expect(parseStatsCsv(CSV.split('\n'), 'other')).toEqual([]);
  });
  it('the probe command quotes its paths', () => {
    const cmd = probeCommand({ address: '10.0.0.9', backend: 'b', statsPort: 8404, maintenanceFile: "/etc/k a/m'", stateFile: '/run/s' });
    expect(cmd).toContain(`cat '/etc/k a/m'\\''' 2>/dev/null`);
    expect(cmd).toContain("'http://127.0.0.1:8404/stats;csv'");
  });
});

const lb = (host: string, o: Partial<LbState> = {}): LbState => ({
  host,
  reachable: true,
  holds: false,
  keepalived: 'active',
  haproxy: 'active',
  vrrp: 'BACKUP',
  maintenance: false,
  backends: [
    { name: 'h3', status: 'UP' },
    { name: 'h4', status: 'UP' },
  ],
  ...o,
});
const status = (...lbs: LbState[]): VipStatus => ({ address: '10.0.0.100', lbs });

describe.each([
  // [case, LBs, batch, allowed, handover]
  ['the backup first', [lb('h1', { holds: true, vrrp: 'MASTER' }), lb('h2')], ['h2'], true, false],
  ['the holder, with a ready backup', [lb('h1', { holds: true }), lb('h2')], ['h1'], true, true],
  ['the holder, backup without haproxy', [lb('h1', { holds: true }), lb('h2', { haproxy: 'failed' })], ['h1'], false, true],
  ['the holder, backup sees no backend UP', [lb('h1', { holds: true }), lb('h2', { backends: [{ name: 'h3', status: 'DOWN' }] })], ['h1'], false, true],
  ['the holder, backup unreachable', [lb('h1', { holds: true }), lb('h2', { reachable: false, error: 'timeout' })], ['h1'], false, true],
  ['the holder, backup in FAULT', [lb('h1', { holds: true }), lb('h2', { vrrp: 'FAULT' })], ['h1'], false, true],
  ['both LBs at once', [lb('h1', { holds: true }), lb('h2')], ['h1', 'h2'], false, true],
  ['a dead backup may be fixed while the holder serves', [lb('h1', { holds: true }), lb('h2', { keepalived: 'failed' })], ['h2'], true, false],
  ['split brain', [lb('h1', { holds: true }), lb('h2', { holds: true }), lb('h3')], ['h3'], false, false],
  ['no holder yet, one ready LB outside', [lb('h1'), lb('h2')], ['h1'], true, false],
] as const)('batch check: %s', (_name, lbs, batch, allowed, handover) => {
  it(allowed ? 'allows it' : 'refuses it and says why', () => {
    const c = checkBatch(status(...lbs), [...batch]);
    expect(c.ok).toBe(allowed);
    expect(c.handover).toBe(handover);
    expect(c.message).toMatch(/^\d+ LBs, VIP 10\.0\.0\.100 on /);
    if (!allowed) expect(c.message).toMatch(/no LB outside this batch can hold the VIP|split brain/);
  });
});

describe('ordering, hand-over and settling', () => {
  it('the holder goes last', () => {
    expect(holderLast(['h1', 'h2', 'h3'], status(lb('h1', { holds: true }), lb('h2'), lb('h3')))).toEqual(['h2', 'h3', 'h1']);
  });
  it('a first install has nothing to protect', () => {
    expect(fresh(status(lb('h1', { keepalived: 'inactive' }), lb('h2', { keepalived: 'inactive' })))).toBe(true);
    expect(fresh(status(lb('h1', { keepalived: 'inactive' }), lb('h2')))).toBe(false);
  });
  it('the VIP has left the batch only when one LB outside it holds it', () => {
    expect(handedOver(status(lb('h1', { holds: true }), lb('h2')), ['h1'])).toBe(false);
    expect(handedOver(status(lb('h1'), lb('h2')), ['h1'])).toBe(false);
    expect(handedOver(status(lb('h1'), lb('h2', { holds: true })), ['h1'])).toBe(true);
  });
  it('settled: the batch LBs can serve and exactly one LB holds the VIP', () => {
    expect(settled(status(lb('h1'), lb('h2', { holds: true })), ['h1'])).toEqual({ ok: true, why: [] });
    expect(settled(status(lb('h1', { maintenance: true }), lb('h2', { holds: true })), ['h1']).why).toEqual(['h1: in maintenance']);
    expect(settled(status(lb('h1', { haproxy: 'activating' }), lb('h2')), ['h1']).why).toEqual(['h1: haproxy activating', 'no LB holds the VIP']);
  });
});

const input = (o: Partial<StaticInput> = {}): StaticInput => ({
  address: { value: '10.0.0.100', origin: 'inv/hosts.yml:4:12 (group all)' },
  prefix: { value: 24 },
  virtualRouterId: { value: 51 },
  group: 'lb',
  lbs: [
    { host: 'lb1', address: '10.0.0.11', origin: 'inv/hosts.yml:7:22' },
    { host: 'lb2', address: '10.0.0.12', origin: 'inv/hosts.yml:8:22' },
  ],
  hosts: [
    { host: 'lb1', address: '10.0.0.11' },
    { host: 'lb2', address: '10.0.0.12' },
    { host: 'cp1', address: '10.0.0.21', origin: 'inv/hosts.yml:11:22' },
  ],
  backendGroup: 'control_plane',
  backends: [{ host: 'cp1', address: '10.0.0.21' }],
  unresolved: new Set(),
  ...o,
});

describe.each([
  ['a good spec', {}, [], []],
  ['the VIP outside the LBs subnet', { prefix: { value: 28 }, address: { value: '10.0.0.100', origin: 'inv/hosts.yml:4:12' } }, ['the VIP 10.0.0.100/28 is not in the subnet of LB host lb1 (10.0.0.11 (inv/hosts.yml:7:22))', 'the VIP 10.0.0.100/28 is not in the subnet of LB host lb2 (10.0.0.12 (inv/hosts.yml:8:22))'], []],
  ['the VIP is a host address', { address: { value: '10.0.0.21', origin: 'inv/hosts.yml:4:12' } }, ["the VIP 10.0.0.21 is host cp1's own address (inv/hosts.yml:11:22); pick an unused address"], []],
  ['not an address', { address: { value: 'vip.example' } }, ["the VIP 'vip.example' is not an IP address"], []],
  ['virtual_router_id 0', { virtualRouterId: { value: 0, origin: 'x.yml:1:1' } }, ["virtual_router_id '0' must be an integer 1-255"], []],
  ['virtual_router_id 256', { virtualRouterId: { value: '256' } }, ["virtual_router_id '256' must be an integer 1-255"], []],
  ['one LB host', { lbs: [{ host: 'lb1', address: '10.0.0.11' }] }, [], ["group 'lb' has one LB host (lb1): the VIP cannot move anywhere when it fails; add a second"]],
  ['no LB host', { lbs: [] }, ["group 'lb' has no hosts: the VIP needs at least 2 LB hosts"], []],
  ['a backend that does not resolve', { backends: [{ host: 'cp9', address: 'cp9.invalid', origin: 'inv/hosts.yml:12:22' }], unresolved: new Set(['cp9.invalid']) }, ["backend cp9: 'cp9.invalid' does not resolve"], []],
  ['an empty backend group', { backends: [] }, ["backend group 'control_plane' has no hosts"], []],
] as const)('static check: %s', (_name, over, errors, warnings) => {
  it(errors.length ? 'reports each error' : 'passes', () => {
    const r = checkVipSpec(input(over as Partial<StaticInput>));
    expect(r.errors.map((e) => e.msg)).toEqual(errors);
    expect(r.warnings).toEqual(warnings);
  });
});

it('static errors carry the origin of the offending value', () => {
  const r = checkVipSpec(input({ virtualRouterId: { value: 300, origin: 'inv/group_vars/lb.yml:3:23 (group lb)' } }));
  expect(r.errors[0]?.origin).toBe('inv/group_vars/lb.yml:3:23 (group lb)');
});

describe('static checks through hap validate and hap run (nothing contacted)', () => {
  const inventory = (vip: string, vrid: number, extra = '') => `all:
  vars:
    lb_vip: ${vip}
    lb_virtual_router_id: ${vrid}
  children:
    lb:
      hosts:
        lb1: { ansible_host: 10.0.0.11 }
${extra}    control_plane:
      hosts:
        cp1: { ansible_host: 10.0.0.21 }
`;
  it('names the inventory file and line of each bad value, exit 1', async () => {
    const { dir } = await project({ 'inv/hosts.yml': inventory('10.0.0.21', 300) });
    const r = await hap('validate', PLAYBOOK, '-i', join(dir, 'inv/hosts.yml'));
    expect(r.code).toBe(1);
    const text = [...r.out, ...r.err].join('\n');
    expect(text).toContain(`${join(dir, 'inv/hosts.yml')}:3:13: vip gate: the VIP 10.0.0.21 is host cp1's own address`);
    expect(text).toContain(`${join(dir, 'inv/hosts.yml')}:4:27: vip gate: virtual_router_id '300' must be an integer 1-255`);
  });
  it('warns about a single LB host and passes', async () => {
    const { dir } = await project({ 'inv/hosts.yml': inventory('10.0.0.100', 51) });
    const r = await hap('validate', PLAYBOOK, '-i', join(dir, 'inv/hosts.yml'));
    expect(r.code).toBe(0);
    expect(r.err.join('\n')).toContain("vip gate: group 'lb' has one LB host (lb1)");
  });
  it('handover takes a boolean or a template, nothing else', async () => {
    const { dir } = await project({
      'inv/hosts.yml': inventory('10.0.0.100', 51),
      'ok.yml': '- hosts: lb\n  gather_facts: false\n  vip: { group: lb, address: "{{ lb_vip }}", prefix: 24, handover: "{{ x | default(true) }}" }\n  tasks: []\n',
      'bad.yml': '- hosts: lb\n  gather_facts: false\n  vip: { group: lb, address: "{{ lb_vip }}", prefix: 24, handover: sometimes }\n  tasks: []\n',
    });
    expect((await hap('validate', join(dir, 'ok.yml'), '-i', join(dir, 'inv/hosts.yml'))).code).toBe(0);
    const bad = await hap('validate', join(dir, 'bad.yml'), '-i', join(dir, 'inv/hosts.yml'));
    expect(bad.code).toBe(1);
    expect(bad.err.join('\n')).toMatch(/bad\.yml:3:\d+: .*handover/);
  });
  it('a run stops before connecting to any host', async () => {
    const { dir } = await project({ 'inv/hosts.yml': inventory('10.9.9.9', 51, '        lb2: { ansible_host: 10.0.0.12 }\n') });
    const r = await hap('run', PLAYBOOK, '-i', join(dir, 'inv/hosts.yml'), '--output', 'json');
    expect(r.code).toBe(1);
    expect(r.err.join('\n')).toContain('vip gate: the VIP 10.9.9.9/24 is not in the subnet of LB host lb1 (10.0.0.11');
    expect(r.events.some((e) => e.event === 'host_result')).toBe(false);
  });
});
