import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { hap, project } from '../../support/project.ts';

const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
const ROLES = join(ROOT, 'roles');
const SCHEMAS = join(ROOT, 'molecule/standins/files/hap_standins/schemas');

// The roles' own defaults (as play vars) render their templates locally; the result must be a
// config the kubeadm schema of that API version accepts, with the VIP, etcd and flags in place.
const files = (version: string, extra = '') => ({
  'inv/hosts.yml': `all:
  vars: { ansible_connection: local, lb_vip: 10.0.0.100 }
  children:
    control_plane: { hosts: { c1: { ansible_host: 10.0.0.11 }, c2: { ansible_host: 10.0.0.12 } } }
    etcd: { hosts: { c1: {}, c2: {}, e3: { ansible_host: 10.0.0.13 } } }
`,
  'render.yml': `- hosts: c1
  gather_facts: false
  vars_files:
    - ${ROLES}/kubeadm-common/defaults/main.yml
    - ${ROLES}/kubeadm-init/defaults/main.yml
    - ${ROLES}/kubeadm-join-cp/defaults/main.yml
${extra}  tasks:
    # block vars, because vars_files win over play vars (as in Ansible)
    - vars:
        kubernetes_version: ${version}
        kubeadm_join_token: abcdef.0123456789abcdef
        kubeadm_join_ca_hash: sha256:${'a'.repeat(64)}
        kubeadm_join_certificate_key: "${'b'.repeat(64)}"
        kubeadm_running_elsewhere: []
        kubeadm_cert_sans: [api.example.com]
      block:
        - template: { src: ${ROLES}/kubeadm-init/templates/kubeadm-config.yaml.hbs, dest: "$DIR/init.yaml" }
        - template: { src: ${ROLES}/kubeadm-join-cp/templates/kubeadm-join.yaml.hbs, dest: "$DIR/join.yaml" }
`,
});

async function render(version: string): Promise<{ init: Record<string, any>[]; join: Record<string, any>[] }> {
  const { dir } = await project(files(version));
  const r = await hap('run', join(dir, 'render.yml'), '-i', join(dir, 'inv'));
  expect(r.code, [...r.out, ...r.err].join('\n')).toBe(0);
  const docs = async (f: string) => parseAllDocuments(await readFile(join(dir, f), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  return { init: await docs('init.yaml'), join: await docs('join.yaml') };
}

describe.each([
  ['v1.30.6', 'v1beta3'],
  ['v1.31.4', 'v1beta4'],
  ['v1.33.1', 'v1beta4'],
])('kubeadm configs for Kubernetes %s', (version, api) => {
  it(`are ${api} documents the schema accepts, with the VIP, external etcd and the flags`, async () => {
    const schema = JSON.parse(await readFile(join(SCHEMAS, `${api}.json`), 'utf8')) as object;
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const { init, join: joinDocs } = await render(version);
    for (const doc of [...init, ...joinDocs]) {
      expect(doc.apiVersion).toBe(`kubeadm.k8s.io/${api}`);
      expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    }
    const cluster = init.find((d) => d.kind === 'ClusterConfiguration')!;
    expect(cluster.controlPlaneEndpoint).toBe('10.0.0.100:6443');
    expect(cluster.kubernetesVersion).toBe(version);
    expect(cluster.apiServer.certSANs).toEqual(['10.0.0.100', 'api.example.com']);
    expect(cluster.etcd.external.endpoints).toEqual(['https://10.0.0.11:2379', 'https://10.0.0.12:2379', 'https://10.0.0.13:2379']);
    const args = (section: { extraArgs: unknown }) =>
      Array.isArray(section.extraArgs) ? Object.fromEntries((section.extraArgs as { name: string; value: string }[]).map((a) => [a.name, a.value])) : section.extraArgs;
    expect(args(cluster.apiServer)).toMatchObject({ 'audit-log-path': '/var/log/kubernetes/audit/audit.log', 'audit-log-maxage': '30' });
    for (const c of ['controllerManager', 'scheduler']) {
      expect(args(cluster[c])).toEqual({ 'leader-elect': 'true', 'leader-elect-lease-duration': '15s', 'leader-elect-renew-deadline': '10s', 'leader-elect-retry-period': '2s' });
    }
    const joinDoc = joinDocs[0]!;
    expect(joinDoc.discovery.bootstrapToken.apiServerEndpoint).toBe('10.0.0.100:6443');
    expect(joinDoc.controlPlane.localAPIEndpoint.advertiseAddress).toBe('10.0.0.11');
  });
});
