import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { main } from '../../engine/cli/main.ts';
import { labDown, labSsh, labUp, type LabUpResult } from '../../engine/lab/index.ts';
import { loadLab } from '../../engine/lab/state.ts';
import type { LabIds } from '../../engine/lab/paths.ts';
import { run, type RunResult } from '../../engine/lab/proc.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** A small lab for the stand-in tests: etcd on h1 only (external topology), PKI on every control-plane host, stand-ins installed. */
export interface StandinLab {
  up: LabUpResult;
  dir: string;
  addr: (host: string) => string;
  sh: (host: string, cmd: string, timeoutMs?: number) => Promise<RunResult>;
  put: (host: string, path: string, text: string) => Promise<void>;
  play: (file: string, extra?: string[]) => Promise<{ code: number; log: string }>;
  down: () => Promise<void>;
}

export async function standinLab(name: string, hosts: number, version = 'v1.31.4'): Promise<StandinLab> {
  const dir = await mkdtemp(join(tmpdir(), `hap-${name}-`));
  const up = await labUp({ name, hosts, inventory: join(dir, 'lab.yml') });
  const ids: LabIds = (await loadLab(name))!;
  const names = up.hosts.map((h) => h.name);
  // the PKI beside the inventory folder, not in it (an inventory folder holds YAML only)
  await mkdir(join(dir, 'inv'));
  await writeFile(join(dir, 'inv', 'hosts.yml'), stringify({
    all: {
      vars: {
        ansible_user: 'root', ansible_ssh_private_key_file: up.keyFile, ansible_host_key_checking: false,
        etcd_topology: 'external', pki_dir: join(dir, 'pki'),
      },
      hosts: Object.fromEntries(up.hosts.map((h) => [h.name, { ansible_host: h.address }])),
      children: {
        etcd: { hosts: { h1: null } },
        control_plane: { hosts: Object.fromEntries(names.map((n) => [n, null])) },
      },
    },
  }));
  const addr = (host: string) => {
    const h = up.hosts.find((x) => x.name === host);
    if (!h) throw new Error(`lab ${name} has no ${host}`);
    return h.address;
  };
  const play = async (file: string, extra: string[] = []) => {
    const out: string[] = [];
    const code = await main(['run', resolve(ROOT, file), '-i', join(dir, 'inv'), ...extra], { out: (s) => out.push(s), err: (s) => out.push(s) });
    return { code, log: out.join('\n') };
  };
  const lab: StandinLab = {
    up,
    dir,
    addr,
    sh: (host, cmd, timeoutMs = 60_000) => labSsh(ids, addr(host), cmd, timeoutMs),
    put: async (host, path, text) => {
      const r = await labSsh(ids, addr(host), `echo ${Buffer.from(text).toString('base64')} | base64 -d > ${path}`);
      if (r.rc !== 0) throw new Error(`writing ${path} on ${host}: ${r.stderr}`);
    },
    play,
    down: async () => {
      await labDown(name).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  for (const [file, extra] of [
    ['playbooks/pki.yml', []],
    ['playbooks/etcd.yml', []],
    ['molecule/standins/install.yml', ['-e', JSON.stringify({ standins_version: version })]],
  ] as const) {
    const r = await play(file, [...extra]);
    if (r.code !== 0) throw new Error(`${file} failed on lab ${name}:\n${r.log}`);
  }
  return lab;
}

/**
 * An admin kubeconfig on the controller: a client certificate (CN kubernetes-admin, O kubeadm:cluster-admins)
 * signed with the CA the pki role keeps in the inventory's pki/ folder, for the server given.
 */
export async function adminKubeconfig(lab: StandinLab, server: string): Promise<string> {
  const pki = join(lab.dir, 'pki');
  const key = join(lab.dir, 'admin.key');
  const csr = join(lab.dir, 'admin.csr');
  const crt = join(lab.dir, 'admin.crt');
  const ext = join(lab.dir, 'admin.ext');
  await writeFile(ext, 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n');
  for (const argv of [
    ['openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', key],
    ['openssl', 'req', '-new', '-key', key, '-subj', '/O=kubeadm:cluster-admins/CN=kubernetes-admin', '-out', csr],
    ['openssl', 'x509', '-req', '-in', csr, '-CA', join(pki, 'ca.crt'), '-CAkey', join(pki, 'ca.key'), '-set_serial', '4242', '-days', '1', '-extfile', ext, '-out', crt],
  ]) {
    const r = await run(argv, { timeoutMs: 30_000 });
    if (r.rc !== 0) throw new Error(`${argv.slice(0, 2).join(' ')}: ${r.stderr}`);
  }
  const b64 = async (p: string) => (await readFile(p)).toString('base64');
  const path = join(lab.dir, 'admin.conf');
  await writeFile(path, stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lab', cluster: { server, 'certificate-authority-data': await b64(join(pki, 'ca.crt')) } }],
    users: [{ name: 'kubernetes-admin', user: { 'client-certificate-data': await b64(crt), 'client-key-data': await b64(key) } }],
    contexts: [{ name: 'admin@lab', context: { cluster: 'lab', user: 'kubernetes-admin' } }],
    'current-context': 'admin@lab',
  }), { mode: 0o600 });
  return path;
}
