// The stand-ins' own YAML reader and schema validator (Python stdlib) against hap's YAML 1.1
// loader and ajv, on the same documents: they must agree, or the stand-in would accept or
// refuse configs differently from what the roles check before use.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { parseYaml } from '../../engine/source/yaml.ts';

const LIB = resolve(new URL('../../molecule/standins/files', import.meta.url).pathname);
const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'import sys; assert sys.version_info >= (3, 9)']);
    return true;
  } catch {
    return false;
  }
})();

/** Runs yamlish.load_all + the schema validator on each text; returns [value, findings] per document. */
function python(texts: string[]): { value: unknown; findings: [string, string, string][] }[][] {
  const script = `
import json, sys
from hap_standins import yamlish, config
out = []
for text in json.load(sys.stdin):
    docs = []
    for value, _ in yamlish.load_all(text):
        api = value.get('apiVersion', '') if isinstance(value, dict) else ''
        v = config.validator(api.rsplit('/', 1)[-1]) if api.startswith('kubeadm.k8s.io/') else None
        docs.append({'value': value, 'findings': v.errors(v.root, value) if v else []})
    out.append(docs)
print(json.dumps(out))
`;
  const stdout = execFileSync('python3', ['-c', script], { input: JSON.stringify(texts), env: { ...process.env, PYTHONPATH: LIB } });
  return JSON.parse(stdout.toString()) as { value: unknown; findings: [string, string, string][] }[][];
}

const INIT = `# comment
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: { advertiseAddress: 10.0.0.11, bindPort: 6443 }
nodeRegistration:
  name: cp1
  taints: []
  kubeletExtraArgs:
    - name: node-ip
      value: "10.0.0.11"
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: "v1.31.4"
controlPlaneEndpoint: '10.0.0.100:6443'
apiServer:
  certSANs: [10.0.0.100, api.example.com]
  extraArgs:
  - name: audit-log-maxage
    value: "30"
etcd:
  external:
    endpoints:
      - https://10.0.0.11:2379
    caFile: /etc/kubernetes/pki/etcd/ca.crt
    certFile: /etc/kubernetes/pki/apiserver-etcd-client.crt
    keyFile: /etc/kubernetes/pki/apiserver-etcd-client.key
`;

const CASES: [string, string][] = [
  ['a valid v1beta4 init config', INIT],
  ['v1beta3 map-style extraArgs', INIT.replace(/v1beta4/g, 'v1beta3').replace('  - name: audit-log-maxage\n    value: "30"', '    audit-log-maxage: "30"').replace(/  kubeletExtraArgs:\n    - name: node-ip\n      value: "10.0.0.11"/, '  kubeletExtraArgs:\n    node-ip: "10.0.0.11"')],
  ['an unknown field', INIT.replace('  name: cp1', '  name: cp1\n  colour: blue')],
  ['a YAML 1.1 boolean where a string belongs', INIT.replace('value: "30"', 'value: on')],
  ['a quoted port', INIT.replace('bindPort: 6443', 'bindPort: "6443"')],
  ['map-style extraArgs in v1beta4', INIT.replace('  - name: audit-log-maxage\n    value: "30"', '    audit-log-maxage: "30"')],
  ['a bad token', `apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: ABC.def\n    apiServerEndpoint: 10.0.0.100:6443\n    unsafeSkipCAVerification: true\n`],
  ['local and external etcd at once', INIT.replace('  external:', '  local: { dataDir: /var/lib/etcd }\n  external:')],
];

describe.skipIf(!hasPython)('stand-in YAML reader and schema validator (Python) agree with hap and ajv', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const schemas = Object.fromEntries(['v1beta3', 'v1beta4'].map((v) => [v, ajv.compile(JSON.parse(readFileSync(join(LIB, 'hap_standins/schemas', `${v}.json`), 'utf8')) as object)]));
  const results = hasPython ? python(CASES.map(([, text]) => text)) : [];

  it.each(CASES.map(([name, text], i) => [name, text, i] as const))('%s', (_name, text, i) => {
    const docs = results[i]!;
    const expected = text.split(/^---$/m).map((t) => parseYaml(t, 'case.yaml'));
    expect(docs.map((d) => d.value)).toEqual(JSON.parse(JSON.stringify(expected)));
    for (const d of docs) {
      const version = String((d.value as { apiVersion: string }).apiVersion).split('/')[1]!;
      const validate = schemas[version]!;
      const ok = validate(d.value);
      expect(d.findings.length === 0, `python: ${JSON.stringify(d.findings)} ajv: ${JSON.stringify(validate.errors)}`).toBe(ok);
    }
  });

  it('classifies findings as kubeadm does: unknown field, type mismatch, validation error', () => {
    const kinds = (i: number) => results[i]!.flatMap((d) => d.findings.map((f) => f[0]));
    expect(kinds(2)).toEqual(['unknown']);
    expect(kinds(3)).toContain('type');
    expect(kinds(4)).toEqual(['type']);
    expect(kinds(6)).toEqual(['invalid']);
  });
});
