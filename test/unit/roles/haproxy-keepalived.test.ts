import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderString } from '../../../engine/vars/template.ts';

const ROLE = join(import.meta.dirname, '../../../roles/haproxy-keepalived/templates');
const FIXTURES = join(import.meta.dirname, '../../fixtures/haproxy-keepalived');

/** The role's variables as they are once the defaults are rendered (dedicated LB host lb1). */
const base = {
  inventory_hostname: 'lb1',
  ansible_host: '10.0.0.11',
  lb_backend_hosts: ['cp1', 'cp2', 'cp3'],
  lb_backend_addresses: ['10.0.0.21', '10.0.0.22', '10.0.0.23'],
  lb_backend_port: 6443,
  lb_frontend_port: 6443,
  lb_vip: '10.0.0.100',
  lb_vip_prefix: 24,
  lb_vip_interface: 'eth0',
  lb_balance: 'roundrobin',
  lb_check_path: '/readyz',
  lb_check_inter: 2000,
  lb_check_fall: 3,
  lb_check_rise: 2,
  lb_check_verify: 'required',
  lb_check_ca_file: '/etc/kubernetes/pki/ca.crt',
  lb_timeout_connect: '5s',
  lb_timeout_client: '4h',
  lb_timeout_server: '4h',
  lb_stats_bind: '127.0.0.1',
  lb_stats_port: 8404,
  lb_prometheus_bind: '*',
  lb_prometheus_port: 8405,
  lb_virtual_router_id: 51,
  lb_vrrp_version: 3,
  lb_advert_int: 0.5,
  lb_priority: 150,
  lb_nopreempt: false,
  lb_unicast: false,
  lb_peer_addresses: ['10.0.0.12'],
  lb_track_interval: 1,
  lb_track_fall: 2,
  lb_track_rise: 2,
  lb_maintenance_file: '/etc/keepalived/hap-maintenance',
  lb_state_file: '/run/hap-keepalived.state',
};

describe.each([
  ['dedicated', {}],
  // co-located on a control-plane host: haproxy on 8443, checks without verification
  ['colocated', { inventory_hostname: 'cp2', ansible_host: '10.0.0.22', lb_frontend_port: 8443, lb_check_verify: 'none', lb_priority: 140, lb_peer_addresses: ['10.0.0.21', '10.0.0.23'] }],
  // no multicast (clouds), no preemption, VRRPv2 with whole-second adverts
  ['unicast-v2', { lb_unicast: true, lb_nopreempt: true, lb_vrrp_version: 2, lb_advert_int: 1, lb_balance: 'leastconn' }],
] as const)('rendered configuration: %s', (name, over) => {
  const vars = { ...base, ...over };
  it.each(['haproxy.cfg', 'keepalived.conf', 'hap-notify.sh'])('%s matches the fixture', (file) => {
    const text = renderString(readFileSync(join(ROLE, `${file}.hbs`), 'utf8'), vars, { name: `${file}.hbs` });
    const fixture = join(FIXTURES, name, file);
    expect(text).toBe(readFileSync(fixture, 'utf8'));
  });
});

it('a missing variable is an error naming it, not an empty value', () => {
  const { lb_vip: _, ...vars } = base;
  expect(() => renderString(readFileSync(join(ROLE, 'keepalived.conf.hbs'), 'utf8'), vars, { name: 'keepalived.conf.hbs' })).toThrow(/lb_vip/);
});
