// Real hosts: the kubeadm and kube-apiserver stand-ins on 2 lab hosts (etcd on h1), checked against
// BEHAVIOUR.md's documented errors and exit codes, and driven by the real kubectl v1.31.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { run } from '../../engine/lab/proc.ts';
import { realKubectl } from './kubectl.ts';
import { adminKubeconfig, standinLab, type StandinLab } from './lab.ts';

const isRoot = process.getuid?.() === 0;
const NAME = `si${randomBytes(2).toString('hex')}`;
const HINT = 'To see the stack trace of this error execute with --v=5 or higher';
const ETCD = {
  endpoints: ['https://H1:2379'],
  caFile: '/etc/kubernetes/pki/etcd/ca.crt',
  certFile: '/etc/kubernetes/pki/apiserver-etcd-client.crt',
  keyFile: '/etc/kubernetes/pki/apiserver-etcd-client.key',
};

const initConfig = (h1: string, api = 'v1beta4') => `apiVersion: kubeadm.k8s.io/${api}
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: ${h1}
  bindPort: 6443
nodeRegistration:
  name: h1
---
apiVersion: kubeadm.k8s.io/${api}
kind: ClusterConfiguration
kubernetesVersion: v1.31.4
controlPlaneEndpoint: "${h1}:6443"
apiServer:
  certSANs: ["${h1}"]
etcd:
  external:
    endpoints: ["${ETCD.endpoints[0]!.replace('H1', h1)}"]
    caFile: ${ETCD.caFile}
    certFile: ${ETCD.certFile}
    keyFile: ${ETCD.keyFile}
`;

const joinConfig = (o: { endpoint: string; token: string; hash?: string; key?: string; addr: string; extra?: string; api?: string }) => `apiVersion: kubeadm.k8s.io/${o.api ?? 'v1beta4'}
kind: JoinConfiguration
discovery:
  bootstrapToken:
    token: ${o.token}
    apiServerEndpoint: "${o.endpoint}"
${o.hash ? `    caCertHashes: ["${o.hash}"]\n` : ''}controlPlane:
  localAPIEndpoint:
    advertiseAddress: ${o.addr}
${o.key ? `  certificateKey: ${o.key}\n` : ''}nodeRegistration:
  name: h2
timeouts:
  discovery: 3s
${o.extra ?? ''}`;

describe.skipIf(!isRoot)('kubeadm and kube-apiserver stand-ins (lab hosts)', () => {
  let lab: StandinLab;
  let h1: string;
  let h2: string;
  let kubectl: (args: string[]) => Promise<{ rc: number; stdout: string; stderr: string }>;
  let caHash: string;
  let certKey: string;

  beforeAll(async () => {
    lab = await standinLab(NAME, 2);
    h1 = lab.addr('h1');
    h2 = lab.addr('h2');
    const bin = await realKubectl();
    const conf = await adminKubeconfig(lab, `https://${h1}:6443`);
    kubectl = (args) => run([bin, '--kubeconfig', conf, '--request-timeout=10s', ...args], { timeoutMs: 60_000 });
    const pin = await lab.sh('h1', 'openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin -outform der | sha256sum');
    caHash = `sha256:${pin.stdout.split(' ')[0]}`;
  }, 600_000);

  afterAll(async () => lab?.down(), 120_000);

  it('init writes what kubeadm writes, reuses the pki role\'s certificates and serves /readyz', async () => {
    await lab.put('h1', '/root/init.yaml', initConfig(h1));
    const r = await lab.sh('h1', 'kubeadm init --config /root/init.yaml --upload-certs');
    expect(r.stderr).toBe('');
    expect(r.rc).toBe(0);
    expect(r.stdout).toContain('[certs] Using existing apiserver certificate and key on disk');
    expect(r.stdout).toContain('Your Kubernetes control-plane has initialized successfully!');
    certKey = r.stdout.match(/\[upload-certs\] Using certificate key:\n([0-9a-f]{64})\n/)![1]!;
    expect(r.stdout).toContain(`--discovery-token-ca-cert-hash ${caHash}`);
    const files = await lab.sh('h1', 'cd /etc/kubernetes && ls *.conf manifests/ && md5sum pki/ca.crt pki/apiserver.crt');
    for (const f of ['admin.conf', 'super-admin.conf', 'controller-manager.conf', 'scheduler.conf', 'kubelet.conf', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']) {
      expect(files.stdout).toContain(f);
    }
    expect(files.stdout).not.toContain('etcd.yaml');
    const same = await run(['md5sum', `${lab.dir}/pki/ca.crt`, `${lab.dir}/pki/apiserver.crt`]);
    expect(files.stdout.split('\n').filter((l) => l.includes('pki/')).map((l) => l.split(' ')[0])).toEqual(same.stdout.trim().split('\n').map((l) => l.split(' ')[0]));
    const ready = await run(['curl', '-sk', `https://${h1}:6443/readyz`]);
    expect(ready.stdout).toBe('ok');
  });

  it('a second init fails preflight (exit 1) and changes nothing (§1.5)', async () => {
    const before = await lab.sh('h1', 'stat -c %Y /etc/kubernetes/admin.conf /etc/kubernetes/manifests/kube-apiserver.yaml');
    const r = await lab.sh('h1', 'kubeadm init --config /root/init.yaml');
    expect(r.rc).toBe(1);
    expect(r.stderr).toContain('error execution phase preflight: [preflight] Some fatal errors occurred:\n');
    for (const line of ['[ERROR Port-6443]: Port 6443 is in use', '[ERROR Port-10259]: Port 10259 is in use', '[ERROR Port-10257]: Port 10257 is in use',
      '[ERROR Port-10250]: Port 10250 is in use',
      '[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: /etc/kubernetes/manifests/kube-apiserver.yaml already exists']) {
      expect(r.stderr).toContain(`\t${line}\n`);
    }
    expect(r.stderr.trimEnd().endsWith(HINT)).toBe(true);
    expect((await lab.sh('h1', 'stat -c %Y /etc/kubernetes/admin.conf /etc/kubernetes/manifests/kube-apiserver.yaml')).stdout).toBe(before.stdout);
  });

  describe('config files (§0, schema/README.md)', () => {
    const cases: [string, string, number, string][] = [
      ['an old API version', 'apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\n', 1,
        'your configuration file uses an old API spec: "kubeadm.k8s.io/v1beta2" (kind: "JoinConfiguration"). Please use kubeadm v1.22 instead'],
      ['a string where an integer belongs', 'BINDPORT', 1, 'cannot unmarshal string into Go struct field JoinConfiguration.controlPlane.localAPIEndpoint.bindPort of type int32'],
      ['a malformed token', 'BADTOKEN', 3, 'discovery.bootstrapToken.token: Invalid value: "NOT-A-TOKEN"'],
      ['no CA pin', 'NOHASH', 3, 'discovery.bootstrapToken.caCertHashes: Invalid value: "": using token-based discovery without caCertHashes can be unsafe.'],
      ['a kind twice', 'TWICE', 1, 'invalid configuration: kind "JoinConfiguration" is specified twice in YAML file'],
    ];
    it.each(cases)('%s is refused with the documented error and exit code', async (_what, body, code, message) => {
      const good = joinConfig({ endpoint: `${h1}:6443`, token: 'abcdef.0123456789abcdef', hash: caHash, addr: h2 });
      const text = body === 'BINDPORT' ? good.replace(`advertiseAddress: ${h2}`, `advertiseAddress: ${h2}\n    bindPort: "6443"`)
        : body === 'BADTOKEN' ? good.replace('abcdef.0123456789abcdef', 'NOT-A-TOKEN')
          : body === 'NOHASH' ? joinConfig({ endpoint: `${h1}:6443`, token: 'abcdef.0123456789abcdef', addr: h2 })
            : body === 'TWICE' ? `${good}---\n${good}` : body;
      await lab.put('h2', '/root/bad.yaml', text);
      const r = await lab.sh('h2', 'kubeadm join --config /root/bad.yaml');
      expect(r.stderr).toContain(message);
      expect(r.stderr.trimEnd().endsWith(HINT)).toBe(true);
      expect(r.rc).toBe(code);
      expect((await lab.sh('h2', 'ls /etc/kubernetes/*.conf 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
    });

    it('an unknown field warns on join and is fatal for config validate; v1beta3 warns as deprecated on 1.31', async () => {
      await lab.put('h1', '/root/unknown.yaml', initConfig(h1).replace('bindPort: 6443', 'bindPort: 6443\n  colour: blue'));
      const v = await lab.sh('h1', 'kubeadm config validate --config /root/unknown.yaml');
      expect(v.rc).toBe(1);
      expect(v.stderr).toContain('error unmarshaling configuration schema.GroupVersionKind{Group:"kubeadm.k8s.io", Version:"v1beta4", Kind:"InitConfiguration"}: strict decoding error: unknown field "localAPIEndpoint.colour"');
      await lab.put('h1', '/root/v1beta3.yaml', initConfig(h1, 'v1beta3'));
      const old = await lab.sh('h1', 'kubeadm config validate --config /root/v1beta3.yaml');
      expect(old.rc).toBe(0);
      expect(old.stderr).toMatch(/^W\d{4} .*your configuration file uses a deprecated API spec: "kubeadm.k8s.io\/v1beta3" \(kind: "InitConfiguration"\)/m);
    });

    it('--config mixed with other flags is refused (exit 1)', async () => {
      const r = await lab.sh('h2', 'kubeadm join --config /root/bad.yaml --token abcdef.0123456789abcdef --control-plane');
      expect(r.rc).toBe(1);
      expect(r.stderr).toContain("can not mix '--config' with arguments [control-plane token]");
    });
  });

  describe('join failures (§5.3) leave the host untouched', () => {
    it('an expired token: no JWS signature for its ID once discovery times out', async () => {
      const tok = (await lab.sh('h1', 'kubeadm token create --ttl 1s')).stdout.trim();
      expect(tok).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
      await new Promise((r) => setTimeout(r, 2000));
      await lab.put('h2', '/root/join.yaml', joinConfig({ endpoint: `${h1}:6443`, token: tok, hash: caHash, addr: h2, extra: 'colour: blue\n' }));
      const r = await lab.sh('h2', 'kubeadm join --config /root/join.yaml');
      expect(r.stderr).toContain('strict decoding error: unknown field "colour"');
      expect(r.stderr).toContain(`error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID "${tok.split('.')[0]}"`);
      expect(r.rc).toBe(1);
    });

    it('a wrong CA hash names the unpinned key', async () => {
      const tok = (await lab.sh('h1', 'kubeadm token create --ttl 10m')).stdout.trim();
      await lab.put('h2', '/root/join.yaml', joinConfig({ endpoint: `${h1}:6443`, token: tok, hash: `sha256:${'0'.repeat(64)}`, addr: h2 }));
      const r = await lab.sh('h2', 'kubeadm join --config /root/join.yaml');
      expect(r.rc).toBe(1);
      expect(r.stderr).toContain(`couldn't validate the identity of the API Server: cluster CA found in cluster-info ConfigMap is invalid: none of the public keys "${caHash}" are pinned`);
    });

    it('a wrong certificate key fails to decrypt the uploaded certificates', async () => {
      const tok = (await lab.sh('h1', 'kubeadm token create --ttl 10m')).stdout.trim();
      await lab.put('h2', '/root/join.yaml', joinConfig({ endpoint: `${h1}:6443`, token: tok, hash: caHash, addr: h2, key: 'f'.repeat(64) }));
      const r = await lab.sh('h2', 'kubeadm join --config /root/join.yaml');
      expect(r.rc).toBe(1);
      expect(r.stderr).toContain('error execution phase control-plane-prepare/download-certs: error downloading certs: error decoding secret data with provided key: cipher: message authentication failed');
      expect((await lab.sh('h2', 'ls /etc/kubernetes/manifests/* /etc/kubernetes/*.conf 2>/dev/null | wc -l')).stdout.trim()).toBe('0');
    });

    it('a fresh token and the uploaded key join h2; a second join fails preflight', async () => {
      const cmd = (await lab.sh('h1', `kubeadm token create --print-join-command --certificate-key ${certKey}`)).stdout.trim();
      expect(cmd).toMatch(new RegExp(`^kubeadm join ${h1.replace(/\./g, '\\.')}:6443 --token [a-z0-9]{6}\\.[a-z0-9]{16} +--discovery-token-ca-cert-hash ${caHash} +--control-plane --certificate-key ${certKey}$`));
      const tok = cmd.match(/--token (\S+)/)![1]!;
      await lab.put('h2', '/root/join.yaml', joinConfig({ endpoint: `${h1}:6443`, token: tok, hash: caHash, addr: h2, key: certKey }));
      const r = await lab.sh('h2', 'kubeadm join --config /root/join.yaml');
      expect(r.stderr).toBe('');
      expect(r.rc).toBe(0);
      expect(r.stdout).toContain('This node has joined the cluster and a new control plane instance was created:');
      const again = await lab.sh('h2', 'kubeadm join --config /root/join.yaml');
      expect(again.rc).toBe(1);
      expect(again.stderr).toContain('\t[ERROR FileAvailable--etc-kubernetes-kubelet.conf]: /etc/kubernetes/kubelet.conf already exists\n');
    });
  });

  describe('the real kubectl v1.31 against the apiserver stand-in', () => {
    it('lists both control-plane nodes Ready and reads /readyz', async () => {
      const nodes = await kubectl(['get', 'nodes']);
      expect(nodes.stderr).toBe('');
      expect(nodes.stdout).toMatch(/^h1\s+Ready\s+control-plane\s+\S+\s+v1\.31\.4$/m);
      expect(nodes.stdout).toMatch(/^h2\s+Ready\s+control-plane\s+\S+\s+v1\.31\.4$/m);
      expect((await kubectl(['get', '--raw', '/readyz'])).stdout).toBe('ok');
      expect((await kubectl(['version', '-o', 'json'])).stdout).toContain('"gitVersion": "v1.31.4"');
    });

    it('writes a configmap through one apiserver and reads it back through the other', async () => {
      expect((await kubectl(['create', 'configmap', 'probe', '--from-literal=written=by-h1'])).rc).toBe(0);
      const bin = await realKubectl();
      const viaH2 = await adminKubeconfig(lab, `https://${h2}:6443`);
      const r = await run([bin, '--kubeconfig', viaH2, 'get', 'configmap', 'probe', '-o', 'json']);
      expect(JSON.parse(r.stdout).data).toEqual({ written: 'by-h1' });
    });

    it('deletes an object (kubectl sends DeleteOptions as the body) and answers the next request', async () => {
      expect((await kubectl(['create', 'configmap', 'doomed', '--from-literal=a=b'])).rc).toBe(0);
      const del = await kubectl(['delete', 'configmap', 'doomed']);
      expect(del.stderr).toBe('');
      expect(del.stdout).toContain('configmap "doomed" deleted');
      expect((await kubectl(['get', 'configmap', 'doomed'])).stderr).toContain('configmaps "doomed" not found');
    });

    it('cordons, drains (evicting a pod) and uncordons a node', async () => {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' }, spec: { nodeName: 'h2', containers: [{ name: 'c', image: 'nginx' }] } };
      await writeFile(`${lab.dir}/pod.json`, JSON.stringify(pod));
      expect((await kubectl(['create', '-f', `${lab.dir}/pod.json`])).rc).toBe(0);
      expect((await kubectl(['cordon', 'h1'])).stdout).toContain('node/h1 cordoned');
      expect((await kubectl(['get', 'nodes', 'h1'])).stdout).toContain('Ready,SchedulingDisabled');
      const drain = await kubectl(['drain', 'h2', '--ignore-daemonsets', '--force', '--timeout=30s']);
      expect(drain.rc).toBe(0);
      expect(drain.stdout).toContain('pod/web evicted');
      expect(drain.stdout).toContain('node/h2 drained');
      expect((await kubectl(['get', 'pods', '-A'])).stderr).toContain('No resources found');
      for (const n of ['h1', 'h2']) expect((await kubectl(['uncordon', n])).rc).toBe(0);
      expect((await kubectl(['get', 'nodes'])).stdout).not.toContain('SchedulingDisabled');
    });

    it('holds the controller-manager and scheduler leases in etcd', async () => {
      const r = await kubectl(['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}']);
      expect(r.stdout).toMatch(/^h[12]_[0-9a-f-]{36}$/);
    });

    it('/readyz fails with [-]etcd failed while etcd is stopped, and recovers', async () => {
      await lab.sh('h1', 'systemctl stop etcd');
      try {
        const r = await kubectl(['get', '--raw', '/readyz?verbose']);
        expect(r.rc).not.toBe(0);
        expect(r.stderr).toContain('[-]etcd failed: reason withheld');
        expect(r.stderr).toContain('readyz check failed');
      } finally {
        await lab.sh('h1', 'systemctl start etcd');
      }
      expect((await kubectl(['get', '--raw', '/readyz'])).stdout).toBe('ok');
    });
  });

  describe('upgrade (§8)', () => {
    it('refuses a jump of two minors and a target above kubeadm (fatal), and a newer patch without --force', async () => {
      const far = await lab.sh('h1', 'kubeadm upgrade apply v1.33.0 --yes');
      expect(far.rc).toBe(1);
      expect(far.stderr).toContain('[upgrade/version] FATAL: the --version argument is invalid due to these fatal errors:');
      expect(far.stderr).toContain('Specified version to upgrade to "v1.33.0" is too high; kubeadm can upgrade only 1 minor version at a time');
      expect(far.stderr).toContain('is at least one minor release higher than the kubeadm minor release (33 > 31). Such an upgrade is not supported');
      const patch = await lab.sh('h1', 'kubeadm upgrade apply v1.31.5 --yes');
      expect(patch.rc).toBe(1);
      expect(patch.stderr).toContain('Specified version to upgrade to "v1.31.5" is higher than the kubeadm version "v1.31.4". Upgrade kubeadm first');
      expect(patch.stderr).toContain('Can be bypassed if you pass the --force flag');
    });

    it('with kubeadm v1.32.0 installed, apply on h1 then node on h2 move /version to v1.32.0; the Node reports the new kubelet', async () => {
      const install = await lab.play('molecule/standins/install.yml', ['-e', JSON.stringify({ standins_version: 'v1.32.0' })]);
      expect(install.code, install.log).toBe(0);
      expect((await lab.sh('h1', 'kubeadm upgrade plan')).stdout).toContain('kubeadm upgrade apply v1.32.0');
      const apply = await lab.sh('h1', 'kubeadm upgrade apply v1.32.0 --yes');
      expect(apply.stderr).toBe('');
      expect(apply.stdout).toContain('[upgrade/successful] SUCCESS! Your cluster was upgraded to "v1.32.0". Enjoy!');
      const version = async (host: string) => JSON.parse((await run(['curl', '-sk', `https://${lab.addr(host)}:6443/version`])).stdout).gitVersion as string;
      expect(await version('h1')).toBe('v1.32.0');
      expect(await version('h2')).toBe('v1.31.4');
      expect((await lab.sh('h2', 'kubeadm upgrade node')).rc).toBe(0);
      expect(await version('h2')).toBe('v1.32.0');
      expect((await lab.sh('h1', 'ls /etc/kubernetes/tmp/')).stdout).toMatch(/^kubeadm-backup-manifests-/m);
      // like a kubelet, the unit reports the kubelet it started with (`kubelet --version`) in its Node
      expect((await lab.sh('h1', 'kubelet --version')).stdout.trim()).toBe('Kubernetes v1.32.0');
      const kubelet = 'kubectl --kubeconfig /etc/kubernetes/admin.conf get node h1 -o jsonpath={.status.nodeInfo.kubeletVersion}';
      for (let i = 0; (await lab.sh('h1', kubelet)).stdout !== 'v1.32.0'; i++) {
        expect(i, 'h1 reports kubelet v1.32.0 within 10 s').toBeLessThan(20);
        await new Promise((r) => setTimeout(r, 500));
      }
    });
  });

  it('reset -f on h2 stops its apiserver and removes what kubeadm wrote (exit 0, twice)', async () => {
    const r = await lab.sh('h2', 'kubeadm reset -f');
    expect(r.rc).toBe(0);
    const left = await lab.sh('h2', 'ls /etc/kubernetes/*.conf /etc/kubernetes/manifests/* /etc/kubernetes/pki/* 2>/dev/null | wc -l; systemctl is-active kube-apiserver-standin');
    expect(left.stdout.split('\n')[0]).toBe('0');
    expect(left.stdout).toContain('inactive');
    expect((await lab.sh('h2', 'kubeadm reset -f')).rc).toBe(0);
  });
});
