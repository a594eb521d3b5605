import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pLimit from 'p-limit';
import { sh } from '../../engine/transport/quote.ts';

/**
 * Light SSH test hosts: one network namespace per host on a private bridge, each running its
 * own sshd (root login by key only). Hosts share the machine's filesystem and users; only the
 * network stack is separate. Needs root.
 */
export interface SshdHost {
  name: string;
  address: string;
  port: number;
  netns: string;
}

export interface SshdHostsOptions {
  /** Names: bridge `${prefix}0`, namespaces `${prefix}-N`, veths `${prefix}vN`. At most 8 chars. */
  prefix: string;
  count: number;
  /**
   * A /24 of its own, e.g. `10.215.0.0/24` (bridge .1, hosts .2 onwards, at most 240 hosts),
   * or a /16 for more hosts, e.g. `10.216.0.0/16` (bridge .0.1, 250 hosts per third octet
   * from .0.2, at most 2000 hosts).
   */
  subnet: string;
  port?: number;
}

export interface SshdHosts {
  hosts: SshdHost[];
  /** Private key authorized for root (and for users passed to authorize()). */
  keyFile: string;
  /** known_hosts with every host's key. */
  knownHostsFile: string;
  /** An address in the subnet that no host answers on. */
  unusedAddress: string;
  dir: string;
  stop(): Promise<void>;
  /** Kills host i's sshd and every session it serves (the host goes down). */
  kill(i: number): Promise<void>;
  /** Starts host i's sshd again (killing it first if it runs). */
  restart(i: number): Promise<void>;
  /** Kills the sessions host i serves, keeping its listener: clients see a dropped connection. */
  dropSessions(i: number): Promise<void>;
  /** Gives host i a new host key and restarts it; knownHostsFile keeps the old key. Returns the new known_hosts line. */
  regenerateHostKey(i: number): Promise<string>;
  /** Cuts (false) or restores (true) host i's network link, like a pulled cable: no RST, no FIN. */
  setLink(i: number, up: boolean): Promise<void>;
  /** Authorizes keyFile for a local user too. */
  authorize(user: string): Promise<void>;
}

const run = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const MAX_HOSTS_24 = 240;
const MAX_HOSTS_16 = 2000;
const MASK_BASHRC = 'if [ -f /root/.bashrc ]; then mount --bind /dev/null /root/.bashrc || exit 1; fi';

async function ip(...args: string[]): Promise<string> {
  try {
    return (await run('ip', args)).stdout;
  } catch (e) {
    throw new Error(`ip ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr?.trim() ?? e}`);
  }
}

async function netnsPids(ns: string): Promise<number[]> {
  const out = await ip('netns', 'pids', ns).catch(() => '');
  return out.split('\n').filter(Boolean).map(Number);
}

function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function ensureSshd(): Promise<void> {
  if (existsSync(SSHD)) return;
  await run('apt-get', ['install', '-y', 'openssh-server'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing and apt-get install openssh-server did not provide it`);
}

/** Removes namespaces and the bridge a crashed earlier run with the same prefix left behind. */
async function cleanupStale(prefix: string): Promise<void> {
  const list = await ip('netns', 'list');
  const stale = list
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => new RegExp(`^${prefix}-\\d+$`).test(n));
  for (const ns of stale) {
    killPids(await netnsPids(ns));
    await ip('netns', 'del', ns).catch(() => {});
  }
  const links = await ip('-o', 'link', 'show');
  for (const m of links.matchAll(new RegExp(`^\\d+: (${prefix}v\\d+)@`, 'gm'))) await ip('link', 'del', m[1]!).catch(() => {});
  await ip('link', 'del', `${prefix}0`).catch(() => {});
}

function waitForSsh(address: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = connect({ host: address, port });
      const retry = (why: string) => {
        sock.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd on ${address}:${port} did not answer: ${why}`));
        else setTimeout(attempt, 50);
      };
      sock.setTimeout(1000, () => retry('timeout'));
      sock.once('data', (d) => {
        sock.destroy();
        if (d.toString().startsWith('SSH-')) resolve();
        else retry('no SSH banner');
      });
      sock.once('error', (e) => retry(e.message));
    };
    attempt();
  });
}

function sshdConfig(dir: string, host: SshdHost, authorizedDir: string): string {
  return [
    `ListenAddress ${host.address}:${host.port}`,
    `HostKey ${join(dir, 'ssh_host_ed25519_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorizedDir}/%u`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    // keys live in a temp dir under /tmp (mode 1777), which StrictModes would refuse
    'StrictModes no',
    'UseDNS no',
    'MaxSessions 30',
    'MaxStartups 100:30:200',
    'PrintMotd no',
    process.env.HAP_SSHD_LOGLEVEL ? `LogLevel ${process.env.HAP_SSHD_LOGLEVEL}` : 'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

export async function startSshdHosts(opts: SshdHostsOptions): Promise<SshdHosts> {
  if (process.getuid?.() !== 0) throw new Error('startSshdHosts needs root: it creates network namespaces, a bridge and sshd processes');
  if (!/^[a-z][a-z0-9]{0,7}$/.test(opts.prefix)) throw new Error(`prefix "${opts.prefix}" must be 1-8 lowercase letters/digits`);
  const m24 = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(opts.subnet);
  const m16 = /^(\d+\.\d+)\.0\.0\/16$/.exec(opts.subnet);
  const base = m24?.[1] ?? m16?.[1];
  if (!base) throw new Error(`subnet "${opts.subnet}" must be a /24 like 10.215.0.0/24 or a /16 like 10.216.0.0/16`);
  if (opts.subnet.startsWith('10.88.')) throw new Error('10.88.0.0/16 is reserved; pick another subnet');
  const maxHosts = m24 ? MAX_HOSTS_24 : MAX_HOSTS_16;
  if (opts.count < 1 || opts.count > maxHosts) throw new Error(`count must be 1..${maxHosts} for a /${m24 ? 24 : 16}`);
  const bits = m24 ? 24 : 16;
  // in a /16, 250 hosts per third octet keeps every address clear of .0/.255
  const hostAddress = (i: number) => (m24 ? `${base}.${i + 2}` : `${base}.${Math.floor(i / 250)}.${(i % 250) + 2}`);
  const gateway = m24 ? `${base}.1` : `${base}.0.1`;
  const port = opts.port ?? 22;
  const { prefix } = opts;
  const bridge = `${prefix}0`;

  await ensureSshd();
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's privilege separation dir
  await cleanupStale(prefix);
  const inUse = await ip('-o', '-4', 'addr', 'show');
  if (inUse.includes(` ${base}.`)) throw new Error(`subnet ${opts.subnet} is already used on this machine`);

  const dir = await mkdtemp(join(tmpdir(), `${prefix}-sshd-`));
  await chmod(dir, 0o755); // non-root test users read their authorized_keys here
  const authorizedDir = join(dir, 'authorized_keys');
  await mkdir(authorizedDir, { mode: 0o755 });
  const keyFile = join(dir, 'id_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hap-test', '-f', keyFile]);
  const publicKey = await readFile(`${keyFile}.pub`, 'utf8');

  const hosts: SshdHost[] = Array.from({ length: opts.count }, (_, i) => ({
    name: `${prefix}-${i + 1}`,
    address: hostAddress(i),
    port,
    netns: `${prefix}-${i + 1}`,
  }));
  const hostDir = (i: number) => join(dir, `h${i + 1}`);
  const children: Array<ChildProcess | undefined> = [];

  const authorize = async (user: string) => {
    await writeFile(join(authorizedDir, user), publicKey, { mode: 0o644 });
  };
  const newHostKey = async (i: number) => {
    const key = join(hostDir(i), 'ssh_host_ed25519_key');
    await rm(key, { force: true });
    await rm(`${key}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', hosts[i]!.name, '-f', key]);
  };
  const start = async (i: number) => {
    const h = hosts[i]!;
    const sshd = sh`exec ${SSHD} -D -f ${join(hostDir(i), 'sshd_config')} -E ${join(hostDir(i), 'sshd.log')}`;
    // `ip netns exec` gives the host a private mount namespace: hide the controller's
    // ~/.bashrc there (bash sources it for every SSH command, and a pyenv/nvm init costs
    // ~250 ms per exec), so hosts behave like a stock root account
    const child = spawn('ip', ['netns', 'exec', h.netns, '/bin/sh', '-c', `${MASK_BASHRC}\n${sshd}`], { stdio: 'ignore' });
    children[i] = child;
    try {
      await waitForSsh(h.address, h.port, 10_000);
    } catch (e) {
      const log = await readFile(join(hostDir(i), 'sshd.log'), 'utf8').catch(() => '');
      throw new Error(`${(e as Error).message}\n${log}`);
    }
  };
  const kill = async (i: number) => {
    const child = children[i];
    killPids(await netnsPids(hosts[i]!.netns));
    if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    children[i] = undefined;
  };
  const stop = async () => {
    for (let i = 0; i < hosts.length; i++) await kill(i).catch(() => {});
    const limit = pLimit(8);
    await Promise.all(
      hosts.map((h, i) =>
        limit(async () => {
          await ip('link', 'del', `${prefix}v${i + 1}`).catch(() => '');
          await ip('netns', 'del', h.netns).catch(() => '');
        }),
      ),
    );
    await ip('link', 'del', bridge).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await authorize('root');
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${gateway}/${bits}`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    const limit = pLimit(8);
    await Promise.all(
      hosts.map((h, i) =>
        limit(async () => {
          const veth = `${prefix}v${i + 1}`;
          await ip('netns', 'add', h.netns);
          await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns);
          await ip('link', 'set', veth, 'master', bridge, 'up');
          await ip('-n', h.netns, 'addr', 'add', `${h.address}/${bits}`, 'dev', 'eth0');
          await ip('-n', h.netns, 'link', 'set', 'eth0', 'up');
          await ip('-n', h.netns, 'link', 'set', 'lo', 'up');
          await ip('-n', h.netns, 'route', 'add', 'default', 'via', gateway);
          await mkdir(hostDir(i), { mode: 0o700 });
          await newHostKey(i);
          await writeFile(join(hostDir(i), 'sshd_config'), sshdConfig(hostDir(i), h, authorizedDir));
          await start(i);
        }),
      ),
    );
  } catch (e) {
    await stop();
    throw e;
  }

  const knownHostsFile = join(dir, 'known_hosts');
  const knownLine = async (i: number) => {
    const h = hosts[i]!;
    const [type, key] = (await readFile(join(hostDir(i), 'ssh_host_ed25519_key.pub'), 'utf8')).split(' ');
    return `${h.port === 22 ? h.address : `[${h.address}]:${h.port}`} ${type} ${key}\n`;
  };
  const lines = await Promise.all(hosts.map((_, i) => knownLine(i)));
  await writeFile(knownHostsFile, lines.join(''), { mode: 0o600 });

  return {
    hosts,
    keyFile,
    knownHostsFile,
    unusedAddress: m24 ? `${base}.254` : `${base}.255.254`,
    dir,
    stop,
    kill,
    restart: async (i) => {
      await kill(i);
      await start(i);
    },
    dropSessions: async (i) => {
      const listener = children[i]?.pid;
      killPids((await netnsPids(hosts[i]!.netns)).filter((p) => p !== listener));
    },
    regenerateHostKey: async (i) => {
      await newHostKey(i);
      await kill(i);
      await start(i);
      return knownLine(i);
    },
    setLink: async (i, up) => {
      await ip('link', 'set', `${prefix}v${i + 1}`, up ? 'up' : 'down');
    },
    authorize,
  };
}
