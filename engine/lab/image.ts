import { access, mkdir, readFile, readdir, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CG_V1, CG_V2, IMAGE_DIR, KEY_FILE, LAB_ROOT } from './paths.ts';
import { LabError, run, runOk, withLock } from './proc.ts';
import { shellJoin } from '../transport/quote.ts';

const DEBOOTSTRAP_INCLUDE = [
  'systemd-sysv', 'dbus', 'openssh-server', 'python3', 'sudo', 'curl', 'iproute2', 'iputils-ping', 'procps', 'ca-certificates',
];
/** What roles under test use; pre-installed because hosts have no way out to a mirror. */
const IMAGE_PACKAGES = [
  'etcd-server', 'etcd-client', 'haproxy', 'keepalived', 'prometheus', 'prometheus-node-exporter', 'iptables', 'nftables',
  'prometheus-alertmanager', 'prometheus-blackbox-exporter', 'openssl',
];
/** Installed but left for the playbooks under test to enable. */
const DISABLED_UNITS = [
  'etcd', 'haproxy', 'keepalived', 'prometheus', 'prometheus-node-exporter', 'prometheus-alertmanager', 'prometheus-blackbox-exporter',
];

const SSHD_CONFIG = `# hap lab: many parallel connections from one controller, no DNS in the lab
MaxStartups 100:30:200
UseDNS no
PermitRootLogin prohibit-password
HostKey /etc/ssh/ssh_host_ed25519_key
`;

/** Each host makes its own key at first boot; only ed25519 (RSA keygen costs ~0.7 s CPU a host). */
const HOSTKEY_UNIT = `[Unit]
Description=hap lab: generate the SSH host key on first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
WantedBy=ssh.service
`;

export interface SourceFile {
  path: string;
  text: string;
}

/** The first mirror serving `suite` in apt source files (deb822 `.sources` or one-line `.list`). */
export function mirrorFromSources(files: SourceFile[], suite = 'bookworm'): string | undefined {
  for (const { path, text } of files) {
    if (path.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (k: string): string => new RegExp(`^${k}:[ \\t]*(.+)$`, 'mi').exec(stanza)?.[1]?.trim() ?? '';
        const uri = field('URIs').split(/\s+/)[0] ?? '';
        const types = field('Types') || 'deb';
        if (field('Suites').split(/\s+/).includes(suite) && uri && types.split(/\s+/).includes('deb')) return uri;
      }
    } else if (path.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/.exec(`${line.trim()} `);
        if (m?.[1] && m[2] === suite) return m[1];
      }
    }
  }
  return undefined;
}

/** The bookworm mirror this machine's apt uses; deb.debian.org when none is configured. */
export async function debianMirror(): Promise<string> {
  const paths = ['/etc/apt/sources.list'];
  const partsDir = '/etc/apt/sources.list.d';
  for (const f of (await readdir(partsDir).catch(() => [] as string[])).sort()) paths.push(join(partsDir, f));
  const files = await Promise.all(paths.map(async (path) => ({ path, text: await readFile(path, 'utf8').catch(() => '') })));
  return mirrorFromSources(files) ?? 'http://deb.debian.org/debian';
}

/** The lab's SSH key pair (private key 0600); made once, kept across `down`. */
export async function ensureKey(): Promise<string> {
  try {
    await access(`${KEY_FILE}.pub`);
    await access(KEY_FILE);
  } catch {
    await mkdir(dirname(KEY_FILE), { recursive: true, mode: 0o700 });
    await rm(KEY_FILE, { force: true });
    await rm(`${KEY_FILE}.pub`, { force: true });
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'hap-lab', '-f', KEY_FILE]);
  }
  await chmod(KEY_FILE, 0o600);
  return KEY_FILE;
}

export async function imageReady(): Promise<boolean> {
  try {
    await access(join(IMAGE_DIR, '.hap-lab-image'));
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a command inside a rootfs with nspawn (network shared with the machine, for apt).
 * It first joins a cgroup of its own: with --keep-unit nspawn creates payload/supervisor
 * cgroups where it stands, and at the root those would collide with other containers.
 */
async function inImage(dir: string, script: string, log: (s: string) => void): Promise<void> {
  const cg = `hap-lab.build-${process.pid}`;
  for (const h of [CG_V1, CG_V2]) await mkdir(join(h, cg), { recursive: true });
  const nspawn = ['systemd-nspawn', '-q', '--register=no', '--keep-unit', '--pipe', '-D', dir, '/bin/sh', '-ec', script];
  const wrapper = `echo $$ > ${CG_V1}/${cg}/cgroup.procs && echo $$ > ${CG_V2}/${cg}/cgroup.procs && exec ${shellJoin(nspawn)}`;
  log(`  in image: ${script.split('\n')[0]}…`);
  const r = await run(['/bin/sh', '-c', wrapper], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  for (const h of [CG_V1, CG_V2]) await removeCgroupTree(join(h, cg));
  if (r.rc !== 0) throw new LabError(`building the image failed in: ${script.split('\n')[0]}\n${(r.stderr || r.stdout).trim().split('\n').slice(-20).join('\n')}`);
}

/** rmdir a cgroup and everything under it, deepest first (the processes must be gone). */
export async function removeCgroupTree(path: string): Promise<void> {
  let entries: string[];
  try {
    entries = (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) await removeCgroupTree(join(path, e));
  await run(['rmdir', path]);
}

async function buildImage(log: (s: string) => void): Promise<void> {
  const started = Date.now();
  const tmp = `${IMAGE_DIR}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(dirname(IMAGE_DIR), { recursive: true });
  const mirror = await debianMirror();
  log(`building the lab image (debootstrap bookworm from ${mirror}); this takes a few minutes, once`);
  const ds = await run(['debootstrap', '--variant=minbase', `--include=${DEBOOTSTRAP_INCLUDE.join(',')}`, 'bookworm', tmp, mirror]);
  if (ds.rc !== 0) throw new LabError(`debootstrap failed:\n${(ds.stdout + ds.stderr).trim().split('\n').slice(-15).join('\n')}`);
  log(`  debootstrap done after ${Math.round((Date.now() - started) / 1000)} s`);
  await writeFile(join(tmp, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  await inImage(
    tmp,
    [
      `apt-get -q update`,
      `apt-get -y -q install --no-install-recommends ${shellJoin(IMAGE_PACKAGES)}`,
      `systemctl disable ${shellJoin(DISABLED_UNITS)} 2>/dev/null || true`,
      `systemctl mask console-getty.service`,
      `apt-get clean`,
    ].join('\n'),
    log,
  );
  await writeFile(join(tmp, 'etc/ssh/sshd_config.d/hap-lab.conf'), SSHD_CONFIG);
  await writeFile(join(tmp, 'etc/systemd/system/hap-ssh-hostkey.service'), HOSTKEY_UNIT);
  await mkdir(join(tmp, 'etc/systemd/system/ssh.service.wants'), { recursive: true });
  await run(['ln', '-sf', '/etc/systemd/system/hap-ssh-hostkey.service', join(tmp, 'etc/systemd/system/ssh.service.wants/hap-ssh-hostkey.service')]);
  for (const f of await readdir(join(tmp, 'etc/ssh'))) if (f.startsWith('ssh_host_')) await rm(join(tmp, 'etc/ssh', f));
  await writeFile(join(tmp, 'etc/machine-id'), '');
  await rm(join(tmp, 'var/lib/dbus/machine-id'), { force: true });
  await rm(join(tmp, 'etc/hostname'), { force: true });
  await rm(join(tmp, 'usr/sbin/policy-rc.d'), { force: true });
  await rm(join(tmp, 'var/lib/apt/lists'), { recursive: true, force: true });
  await mkdir(join(tmp, 'var/lib/apt/lists/partial'), { recursive: true });
  await mkdir(join(tmp, 'root/.ssh'), { recursive: true, mode: 0o700 });
  await writeFile(join(tmp, 'root/.ssh/authorized_keys'), await readFile(`${KEY_FILE}.pub`, 'utf8'), { mode: 0o600 });
  await writeFile(join(tmp, '.hap-lab-image'), `${new Date().toISOString()} ${Math.round((Date.now() - started) / 1000)}s\n`);
  await rename(tmp, IMAGE_DIR);
  log(`lab image ready in ${Math.round((Date.now() - started) / 1000)} s: ${IMAGE_DIR}`);
}

/** Builds the base image unless cached; one builder at a time across processes. */
export async function ensureImage(log: (s: string) => void): Promise<string> {
  if (await imageReady()) return IMAGE_DIR;
  await mkdir(LAB_ROOT, { recursive: true });
  await withLock(join(LAB_ROOT, '.image.lock'), 20 * 60_000, async () => {
    if (!(await imageReady())) await buildImage(log);
  });
  return IMAGE_DIR;
}
