import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import { renderRoleTemplate, type Inventory } from './role-vars.ts';

const run = promisify(execFile);

const BASE: Inventory = {
  groups: { all: ['e1', 'e2', 'e3', 'm1', 'lb1'], etcd: ['e1', 'e2', 'e3'], monitoring: ['m1'], lb: ['lb1'] },
  hostvars: {
    e1: { ansible_host: '10.0.0.1' },
    e2: { ansible_host: '10.0.0.2' },
    e3: { ansible_host: '10.0.0.3', etcd_address: '10.1.0.3' },
    m1: { ansible_host: '10.0.0.9' },
    lb1: { ansible_host: '10.0.0.5' },
  },
};
const render = renderRoleTemplate;

type Scrape = { job_name: string; static_configs: Array<{ targets: string[]; labels: Record<string, string> }> };
const jobs = (yaml: string): Record<string, string[]> =>
  Object.fromEntries(
    (parse(yaml) as { scrape_configs: Scrape[] }).scrape_configs.map((j) => [
      j.job_name,
      j.static_configs.map((s) => `${s.labels.instance}=${s.targets.join(',')}`),
    ]),
  );

async function check(tool: string, args: string[], text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hap-monitoring-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'config.yml'), text);
  const r = await run(tool, [...args, 'config.yml'], { cwd: dir });
  return r.stdout + r.stderr;
}

describe('prometheus.yml from the inventory', () => {
  it('scrapes every group member, named by its inventory name, at its address', async () => {
    const j = jobs(await render('prometheus.yml.hbs', BASE));
    expect(Object.keys(j)).toEqual(['prometheus', 'alertmanager', 'node', 'etcd', 'blackbox-etcd', 'haproxy']);
    expect(j.node).toEqual(['e1=10.0.0.1:9100', 'e2=10.0.0.2:9100', 'e3=10.0.0.3:9100', 'm1=10.0.0.9:9100', 'lb1=10.0.0.5:9100']);
    expect(j.etcd).toEqual(['e1=10.0.0.1:2379', 'e2=10.0.0.2:2379', 'e3=10.1.0.3:2379']);
    expect(j['blackbox-etcd']).toEqual(j.etcd);
    expect(j.haproxy).toEqual(['lb1=10.0.0.5:8405']);
  });

  it('a host added to a group adds its targets; a non-empty control_plane adds the apiserver jobs', async () => {
    const inv: Inventory = {
      groups: { ...BASE.groups, all: [...BASE.groups.all!, 'cp1'], control_plane: ['cp1'], etcd: [...BASE.groups.etcd!, 'cp1'] },
      hostvars: { ...BASE.hostvars, cp1: { ansible_host: '10.0.0.7' } },
    };
    const text = await render('prometheus.yml.hbs', inv, { monitoring_haproxy_port: 9101 });
    const j = jobs(text);
    expect(j.etcd).toContain('cp1=10.0.0.7:2379');
    expect(j.node).toContain('cp1=10.0.0.7:9100');
    expect(j['kubernetes-apiserver']).toEqual(['cp1=10.0.0.7:6443']);
    expect(j['blackbox-apiserver']).toEqual(['cp1=10.0.0.7:6443']);
    expect(j.haproxy).toEqual(['lb1=10.0.0.5:9101']);
    expect(await check('promtool', ['check', 'config', '--syntax-only'], text)).toContain('SUCCESS');
  });

  it('empty groups have no jobs, and the config is still valid', async () => {
    const text = await render('prometheus.yml.hbs', { groups: { all: ['m1'], monitoring: ['m1'], etcd: [], lb: [] }, hostvars: { m1: { ansible_host: '10.0.0.9' } } });
    expect(Object.keys(jobs(text))).toEqual(['prometheus', 'alertmanager', 'node']);
    expect(await check('promtool', ['check', 'config', '--syntax-only'], text)).toContain('SUCCESS');
  });
});

describe('alertmanager.yml', () => {
  it('routes to the inventory receivers, first one by default, with the inhibitions', async () => {
    const receivers = [
      { name: 'ops', webhook_configs: [{ url: 'http://hooks.example:9000/alert', send_resolved: true }] },
      { name: 'pager', webhook_configs: [{ url: 'http://pager.example/x' }] },
    ];
    const routes = [{ receiver: 'pager', matchers: ['severity="critical"'], continue: true }];
    const text = await render('alertmanager.yml.hbs', BASE, { monitoring_receivers: receivers, monitoring_routes: routes });
    const am = parse(text) as { route: { receiver: string; routes: unknown[] }; receivers: unknown[]; inhibit_rules: Array<{ source_matchers: string[]; equal: string[] }> };
    expect(am.route.receiver).toBe('ops');
    expect(am.route.routes).toEqual(routes);
    expect(am.receivers).toEqual(receivers);
    expect(am.inhibit_rules.map((r) => [r.source_matchers, r.equal])).toEqual([
      [['alertname="NodeDown"'], ['instance']],
      [['severity="critical"'], ['alertname', 'instance', 'job']],
    ]);
    expect(await check('amtool', ['check-config'], text)).toContain('SUCCESS');
  });

  it('without receivers, a receiver that drops everything', async () => {
    const text = await render('alertmanager.yml.hbs', BASE);
    expect((parse(text) as { route: { receiver: string } }).route.receiver).toBe('null');
    expect(await check('amtool', ['check-config'], text)).toContain('SUCCESS');
  });

  it('several monitoring hosts form one Alertmanager cluster', async () => {
    const inv: Inventory = { groups: { ...BASE.groups, monitoring: ['m1', 'm2'] }, hostvars: { ...BASE.hostvars, m2: { ansible_host: '10.0.0.10' } } };
    expect(await render('prometheus-alertmanager.default.hbs', inv)).toContain('--cluster.listen-address=0.0.0.0:9094 --cluster.peer=10.0.0.10:9094"');
    expect(await render('prometheus-alertmanager.default.hbs', BASE)).toContain('--cluster.listen-address="');
  });
});
