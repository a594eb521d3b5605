import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sh } from '../../engine/transport/quote.ts';
import { SshTransport, TIMEOUT_RC } from '../../engine/transport/ssh.ts';
import { UnreachableError, type ConnectionInfo } from '../../engine/transport/types.ts';
import { startSshdHosts, type SshdHost, type SshdHosts } from '../support/sshd-host.ts';

// host 0: general; 1: dropped/killed connections; 2: jump target; 3: host key changes
let lab: SshdHosts;
const open: SshTransport[] = [];

function info(h: SshdHost, over: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    host: h.name,
    connection: 'ssh',
    address: h.address,
    port: h.port,
    user: 'root',
    privateKeyFile: lab.keyFile,
    hostKeyChecking: 'strict',
    knownHostsFile: lab.knownHostsFile,
    connectTimeoutMs: 3000,
    connectRetries: 0,
    useAgent: false,
    ...over,
  };
}

function transport(i: ConnectionInfo, maxChannels?: number): SshTransport {
  // home points into the lab so the controller's own ~/.ssh is never read
  const t = new SshTransport(i, { env: { home: lab.dir }, ...(maxChannels ? { maxChannels } : {}) });
  open.push(t);
  return t;
}

function host(i: number): SshdHost {
  return lab.hosts[i]!;
}

async function unreachable(p: Promise<unknown>): Promise<UnreachableError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(UnreachableError);
  return e as UnreachableError;
}

/** Established TCP connections to sshd inside a host's namespace. */
function sshConnections(h: SshdHost): number {
  const out = execFileSync('ip', ['netns', 'exec', h.netns, 'ss', '-Htn', 'state', 'established', `( sport = :${h.port} )`]).toString();
  return out.split('\n').filter(Boolean).length;
}

beforeAll(async () => {
  lab = await startSshdHosts({ prefix: 'hapt', count: 4, subnet: '10.215.0.0/24' });
}, 60_000);

afterAll(async () => {
  await Promise.all(open.map((t) => t.close()));
  await lab?.stop();
}, 30_000);

describe('SshTransport exec', () => {
  it('returns rc, stdout and stderr, feeds stdin, applies env and cwd', async () => {
    const t = transport(info(host(0)));
    await t.connect();
    const r = await t.exec('echo out; echo err >&2; exit 3');
    expect(r).toEqual({ rc: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await t.exec('cat', { stdin: 'hello\nworld' })).stdout).toBe('hello\nworld');
    const e = await t.exec('printf %s "$FOO"; pwd', { env: { FOO: "a 'b' $c" }, cwd: '/usr/share' });
    expect(e.stdout).toBe("a 'b' $c/usr/share\n");
    expect((await t.exec('true', { cwd: '/does/not/exist' })).rc).not.toBe(0);
    // the command really ran inside the host's namespace
    expect((await t.exec('ip -4 -o addr show eth0')).stdout).toContain(`${host(0).address}/24`);
  });

  it('kills a command after timeoutMs', async () => {
    const t = transport(info(host(0)));
    const start = Date.now();
    const marker = `hapt-timeout-${process.pid}`;
    const r = await t.exec(sh`echo started; sleep 10 && touch /tmp/${marker}`, { timeoutMs: 300 });
    expect(r.rc).toBe(TIMEOUT_RC);
    expect(r.stdout).toBe('started\n');
    expect(Date.now() - start).toBeLessThan(3000);
    // the remote process group is gone, not just our channel
    await new Promise((res) => setTimeout(res, 300));
    expect((await t.exec(sh`ps -eo args | grep -c ${`[t]ouch /tmp/${marker}`}`)).stdout.trim()).toBe('0');
    // under become the command runs as another user and is still killed
    const b = await t.exec('sleep 10', { timeoutMs: 200, become: { user: 'nobody', method: 'sudo' } });
    expect(b.rc).toBe(TIMEOUT_RC);
  });

  it('runs 30 parallel execs as channels of one connection (more than MaxSessions 10)', async () => {
    const t = transport(info(host(0)));
    const before = sshConnections(host(0));
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => t.exec(sh`sleep 0.1; echo ${i}`)));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 30 }, (_, i) => `${i}\n`));
    expect(sshConnections(host(0))).toBe(before + 1);
    // channel-open queueing: 10 at once is the OpenSSH default; this server allows 30
    const wide = transport(info(host(0)), 30);
    const all = await Promise.all(Array.from({ length: 30 }, () => wide.exec('sleep 0.2; echo ok')));
    expect(all.every((r) => r.rc === 0 && r.stdout === 'ok\n')).toBe(true);
  });
});

describe('SshTransport files', () => {
  it('writes atomically with mode and owner, replaces existing files, reads them back', async () => {
    const t = transport(info(host(0)));
    const dir = (await t.exec('mktemp -d /tmp/hapt-files.XXXXXX')).stdout.trim();
    const path = `${dir}/secret.conf`;
    await t.writeFile(path, 'first\n', { mode: 0o600, owner: 'nobody', group: 'nogroup' });
    expect((await t.exec(sh`stat -c ${'%a %U %G'} ${path}`)).stdout).toBe('600 nobody nogroup\n');
    const inode1 = (await t.exec(sh`stat -c %i ${path}`)).stdout;
    await t.writeFile(path, Buffer.from([0, 1, 2, 255]), { mode: 0o640 });
    expect((await t.exec(sh`stat -c ${'%a %U'} ${path}`)).stdout).toBe('640 root\n');
    expect((await t.exec(sh`stat -c %i ${path}`)).stdout).not.toBe(inode1); // renamed over, not rewritten
    expect(await t.readFile(path)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect((await t.exec(sh`ls -A ${dir}`)).stdout).toBe('secret.conf\n'); // no temp files left
    await expect(t.writeFile('/nonexistent-dir/x', 'x')).rejects.toThrow(/nonexistent-dir/);
    await t.exec(sh`rm -rf ${dir}`);
  });

  it('reads a missing file as null, with and without become', async () => {
    const t = transport(info(host(0)));
    expect(await t.readFile('/nonexistent/hapt-missing')).toBeNull();
    expect(await t.readFile('/nonexistent/hapt-missing', { become: { user: 'root', method: 'sudo' } })).toBeNull();
  });
});

describe('SshTransport become', () => {
  it('runs as another user with sudo -n (root → nobody)', async () => {
    const t = transport(info(host(0)));
    const r = await t.exec('id -un; echo "$HOME"', { become: { user: 'nobody', method: 'sudo' } });
    expect(r.stdout).toBe('nobody\n/nonexistent\n');
    const w = await t.exec('cat', { become: { user: 'nobody', method: 'sudo' }, stdin: 'in' });
    expect(w.stdout).toBe('in');
  });

  describe('with a password', () => {
    const user = 'haptest';
    const password = `pa ss'w"d$1`;
    const removeUser = () => {
      execFileSync('rm', ['-f', `/etc/sudoers.d/${user}`]);
      try {
        execFileSync('userdel', ['-r', '-f', user], { stdio: 'ignore' });
      } catch {
        // did not exist
      }
    };

    it('sudo needs the password: -n fails, a wrong one fails, the right one works', async () => {
      removeUser(); // a crashed earlier run
      let t: SshTransport | undefined;
      try {
        execFileSync('useradd', ['-m', '-s', '/bin/sh', user]);
        execFileSync('chpasswd', { input: `${user}:${password}\n` });
        writeFileSync(`/etc/sudoers.d/${user}`, `${user} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
        await lab.authorize(user);
        t = transport(info(host(0), { user }));
        expect((await t.exec('id -un')).stdout).toBe(`${user}\n`);
        const root = { user: 'root', method: 'sudo' as const };
        // sudo's own words, never mistaken for the command's failure
        await expect(t.exec('id -un', { become: root })).rejects.toThrow(/^become_user 'root' failed: sudo: a password is required/);
        await expect(t.exec('id -un', { become: { ...root, password: 'wrong' } })).rejects.toThrow(/^become_user 'root' failed: .*incorrect password/);
        const ok = await t.exec('id -un; cat', { become: { ...root, password }, stdin: 'data' });
        expect(ok).toMatchObject({ rc: 0, stdout: 'root\ndata' });
        // file operations under become go through exec (sudo), not SFTP
        const path = `/tmp/hapt-become-${process.pid}`;
        await t.writeFile(path, 'root only\n', { mode: 0o600, become: { ...root, password } });
        expect((await t.exec(sh`stat -c ${'%a %U'} ${path}`)).stdout).toBe('600 root\n');
        await expect(t.readFile(path)).rejects.toThrow(/Permission denied|failed/);
        expect((await t.readFile(path, { become: { ...root, password } }))?.toString()).toBe('root only\n');
        await t.exec(sh`rm -f ${path}`, { become: { ...root, password } });
      } finally {
        await t?.close(); // userdel refuses while the user's sshd session runs
        removeUser();
      }
    }, 30_000);
  });
});

describe('SshTransport connection failures', () => {
  it('reports an address nobody answers on as unreachable within the timeout', async () => {
    const start = Date.now();
    const t = transport(info(host(0), { address: lab.unusedAddress, connectTimeoutMs: 1500 }));
    const e = await unreachable(t.connect());
    expect(e.message).toContain(`root@${lab.unusedAddress}:22`);
    expect(e.host).toBe(host(0).name);
    expect(Date.now() - start).toBeLessThan(4000);
  });

  it('reports a refused port after bounded retries', async () => {
    const start = Date.now();
    const t = transport(info(host(0), { port: 2222, connectRetries: 2 }));
    const e = await unreachable(t.exec('true'));
    expect(e.message).toMatch(/2222: connection refused/);
    expect(Date.now() - start).toBeGreaterThanOrEqual(600); // 200 + 400 ms backoff
  });

  it('does not retry a failed authentication', async () => {
    const t = transport(info(host(0), { user: 'nobody', connectRetries: 5 }));
    const start = Date.now();
    const e = await unreachable(t.connect());
    expect(e.message).toMatch(/authentication failed \(tried key /);
    expect(Date.now() - start).toBeLessThan(1000);
  });
});

describe('authentication sources', () => {
  it('uses ~/.ssh/id_* and ~/.ssh/known_hosts of the given home by default', async () => {
    const home = join(lab.dir, 'home-default');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    copyFileSync(lab.keyFile, join(home, '.ssh', 'id_ed25519'));
    const base = { ...info(host(0), { hostKeyChecking: 'accept-new' }) };
    delete base.privateKeyFile;
    delete base.knownHostsFile;
    const t = new SshTransport(base, { env: { home } });
    open.push(t);
    expect((await t.exec('echo ok')).stdout).toBe('ok\n');
    expect(readFileSync(join(home, '.ssh', 'known_hosts'), 'utf8')).toContain(host(0).address);
  });

  it('authenticates through ssh-agent when useAgent is set, and says what it tried when nothing works', async () => {
    const sock = join(lab.dir, 'agent.sock');
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      execFileSync('ssh-add', [lab.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const base = info(host(0), { useAgent: true });
      delete base.privateKeyFile;
      const t = new SshTransport(base, { env: { home: join(lab.dir, 'empty-home'), agentSocket: sock } });
      open.push(t);
      expect((await t.exec('echo agent')).stdout).toBe('agent\n');
      const none = new SshTransport({ ...base, useAgent: false }, { env: { home: join(lab.dir, 'empty-home'), agentSocket: sock } });
      const e = await unreachable(none.connect());
      expect(e.message).toMatch(/authentication failed \(tried nothing: no key, agent or password configured\)/);
    } finally {
      agent.kill();
    }
  });
});

describe('host key checking', () => {
  it('strict rejects an unknown key; accept-new records it; strict then accepts it', async () => {
    const file = join(lab.dir, 'kh-accept-new');
    writeFileSync(file, '');
    const e = await unreachable(transport(info(host(0), { knownHostsFile: file })).connect());
    expect(e.message).toBe(`host key for ${host(0).address} is not known (add it to ${file} or use accept-new)`);
    await transport(info(host(0), { knownHostsFile: file, hostKeyChecking: 'accept-new' })).connect();
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${host(0).address.replace(/\./g, '\\.')} ssh-ed25519 \\S+\\n$`));
    const again = transport(info(host(0), { knownHostsFile: file }));
    expect((await again.exec('echo ok')).stdout).toBe('ok\n');
  });

  it('accepts hashed entries (ssh-keygen -H)', async () => {
    const file = join(lab.dir, 'kh-hashed');
    copyFileSync(lab.knownHostsFile, file);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    expect(readFileSync(file, 'utf8')).not.toContain(host(0).address);
    await transport(info(host(0), { knownHostsFile: file })).connect();
  });

  it('rejects a changed key naming the known_hosts line, also with accept-new; off skips the check', async () => {
    const newLine = await lab.regenerateHostKey(3);
    for (const hostKeyChecking of ['strict', 'accept-new'] as const) {
      const e = await unreachable(transport(info(host(3), { hostKeyChecking })).connect());
      expect(e.message).toContain(`host key for ${host(3).address} has changed: ${lab.knownHostsFile}:4 holds a different ssh-ed25519 key`);
    }
    await transport(info(host(3), { hostKeyChecking: 'off' })).connect();
    const file = join(lab.dir, 'kh-updated');
    writeFileSync(file, newLine);
    await transport(info(host(3), { knownHostsFile: file })).connect();
  });
});

describe('dropped connections', () => {
  it('reconnects on the next exec after the server killed the session', async () => {
    const t = transport(info(host(1)));
    const first = (await t.exec('echo $SSH_CONNECTION')).stdout;
    await lab.dropSessions(1);
    const r = await t.exec('echo $SSH_CONNECTION');
    expect(r.rc).toBe(0);
    expect(r.stdout).not.toBe(first); // a new TCP connection (new source port)
  });

  it('fails a command in flight, then recovers; a host that stays down is unreachable', async () => {
    const t = transport(info(host(1)));
    const running = t.exec('sleep 5');
    await new Promise((r) => setTimeout(r, 300));
    await lab.dropSessions(1);
    const e = await unreachable(running);
    expect(e.message).toMatch(/connection lost/);
    expect((await t.exec('echo back')).stdout).toBe('back\n');
    await lab.kill(1);
    await unreachable(t.exec('true'));
    await lab.restart(1);
    expect((await t.exec('echo up')).stdout).toBe('up\n');
    // file operations reconnect too
    await lab.dropSessions(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await t.readFile('/nonexistent')).toBeNull();
  }, 20_000);

  it('notices a cut network through keep-alives, then reconnects once it is back', async () => {
    const t = transport(info(host(1)));
    await t.exec('true');
    await lab.setLink(1, false);
    try {
      const start = Date.now();
      const e = await unreachable(t.exec('echo during-cut'));
      // keep-alive every 5 s, 3 unanswered → dropped; the one reconnect then times out (3 s)
      expect(Date.now() - start).toBeLessThan(30_000);
      expect(e.message).toMatch(/timed out|connection lost/);
    } finally {
      await lab.setLink(1, true);
    }
    expect((await t.exec('echo healed')).stdout).toBe('healed\n');
  }, 45_000);
});

describe('jump host', () => {
  it('reaches host 2 through host 1', async () => {
    const t = transport(info(host(2), { jumpHost: `root@${host(0).address}:22` }));
    const r = await t.exec('echo $SSH_CONNECTION');
    // the target sees the jump host as its client
    expect(r.stdout.split(' ')[0]).toBe(host(0).address);
    expect(r.stdout.split(' ')[2]).toBe(host(2).address);
    const path = `/tmp/hapt-jump-${process.pid}`;
    await t.writeFile(path, 'via jump');
    expect((await t.readFile(path))?.toString()).toBe('via jump');
    await t.exec(sh`rm -f ${path}`);
  });

  it('reports an unreachable target behind a reachable jump host', async () => {
    const t = transport(info(host(2), { address: lab.unusedAddress, jumpHost: `root@${host(0).address}`, connectTimeoutMs: 1500 }));
    const e = await unreachable(t.connect());
    expect(e.message).toContain(lab.unusedAddress);
  });
});

describe('measurements', () => {
  it('connect time and 1000 sequential execs on one connection', async () => {
    const t = transport(info(host(0)));
    let start = performance.now();
    await t.connect();
    const connectMs = performance.now() - start;
    start = performance.now();
    for (let i = 0; i < 1000; i++) {
      const r = await t.exec('true');
      if (r.rc !== 0) throw new Error(`exec ${i} failed`);
    }
    const execMs = performance.now() - start;
    console.log(`ssh connect: ${connectMs.toFixed(1)} ms; 1000 sequential 'true' execs: ${execMs.toFixed(0)} ms (${(execMs / 1000).toFixed(2)} ms each)`);
    expect(sshConnections(host(0))).toBeGreaterThan(0);
    expect(execMs).toBeLessThan(60_000);
  }, 90_000);
});
