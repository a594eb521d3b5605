import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, dirname } from 'node:path';
import pLimit from 'p-limit';
import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import { becomeCommand, becomeResult } from './become.ts';
import { atomicWriteScript } from './local.ts';
import { quote, sh } from './quote.ts';
import { openSshConnection, type SshConnection, type SshEnvironment } from './ssh-connect.ts';
import { RemoteShell, ShellGone } from './ssh-shell.ts';
import {
  UnreachableError,
  type Become,
  type ConnectionInfo,
  type ExecOptions,
  type ExecResult,
  type Transport,
  type TransportFactory,
  type WriteOptions,
} from './types.ts';

export interface SshTransportOptions {
  /**
   * Exec channels open at once on the connection. OpenSSH refuses sessions beyond its
   * MaxSessions (default 10); one more is kept for SFTP, so the default leaves headroom.
   */
  maxChannels?: number;
  env?: SshEnvironment;
  /** Bounds connection attempts in flight across the transports sharing it (see sshTransports). */
  handshakes?: ReturnType<typeof pLimit>;
}

const SFTP_NO_SUCH_FILE = 2;
const OPEN_RETRIES = 5;
/** rc of a command killed by timeoutMs, as coreutils `timeout` reports it. */
export const TIMEOUT_RC = 124;

/**
 * One SSH connection per host, opened once and shared by every exec as channels. A dropped
 * connection is reopened by the next operation; a failed reopen raises UnreachableError.
 */
export class SshTransport implements Transport {
  readonly host: string;
  private readonly env: SshEnvironment;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly handshakes: ReturnType<typeof pLimit> | undefined;
  private conn: SshConnection | undefined;
  private connecting: Promise<SshConnection> | undefined;
  private sftpSession: { conn: SshConnection; sftp: Promise<SFTPWrapper | null> } | undefined;
  private shellSession: { conn: SshConnection; shell: Promise<RemoteShell | null> } | undefined;
  private closed = false;

  constructor(
    readonly info: ConnectionInfo,
    opts: SshTransportOptions = {},
  ) {
    this.host = info.host;
    this.env = opts.env ?? { home: homedir(), agentSocket: process.env.SSH_AUTH_SOCK };
    this.limit = pLimit(opts.maxChannels ?? 8);
    this.handshakes = opts.handshakes;
  }

  async connect(): Promise<void> {
    await this.connection();
  }

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const script = becomeCommand(withTimeout(withEnvAndCwd(command, opts), opts.timeoutMs), opts.become);
    const remote = `/bin/sh -c ${quote(script)}`;
    return this.limit(async () => {
      // plain commands go through the host's long-lived shell when it is free: no new session
      if (!opts.stdin && opts.timeoutMs === undefined && opts.become?.password === undefined) {
        const shell = await this.shell();
        if (shell?.idle) {
          try {
            return becomeResult(await shell.run(script), opts.become);
          } catch (e) {
            if (!(e instanceof ShellGone)) throw e;
          }
        }
      }
      const channel = await this.openExec(remote);
      return becomeResult(await runChannel(channel, opts, this.host), opts.become);
    });
  }

  async readFile(path: string, opts: { become?: Become } = {}): Promise<Buffer | null> {
    const session = opts.become ? null : await this.sftp();
    if (!session) {
      const r = await this.exec(sh`if test -e ${path}; then base64 -w0 ${path}; else exit 3; fi`, opts);
      if (r.rc === 3) return null;
      if (r.rc !== 0) throw new Error(`reading ${path} on ${this.host} failed: ${r.stderr.trim()}`);
      return Buffer.from(r.stdout, 'base64');
    }
    return new Promise((resolve, reject) => {
      session.sftp.readFile(path, (err: (Error & { code?: number }) | undefined, data: Buffer) => {
        if (!err) resolve(data);
        else if (err.code === SFTP_NO_SUCH_FILE) resolve(null);
        else reject(this.failure(session.conn, `reading ${path}`, err));
      });
    });
  }

  async writeFile(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    const session = opts.become ? null : await this.sftp();
    if (!session) {
      const r = await this.exec(atomicWriteScript(path, opts), { become: opts.become, stdin: buf.toString('base64') });
      if (r.rc !== 0) throw new Error(`writing ${path} on ${this.host} failed: ${r.stderr.trim()}`);
      return;
    }
    const tmp = `${dirname(path)}/.${basename(path)}.hap-${randomBytes(4).toString('hex')}`;
    const mode = opts.mode ?? 0o644;
    const { sftp } = session;
    try {
      await sftpCall<void>((cb) => sftp.writeFile(tmp, buf, { mode, flag: 'wx' }, cb));
      // the server's umask applied to the open; set the exact bits before the file is visible
      await sftpCall<void>((cb) => sftp.chmod(tmp, mode, cb));
      const owner = `${opts.owner ?? ''}${opts.group ? `:${opts.group}` : ''}`;
      if (owner) await this.checked(sh`chown ${owner} ${tmp}`);
      await this.rename(sftp, tmp, path);
    } catch (e) {
      await sftpCall<void>((cb) => sftp.unlink(tmp, cb)).catch(() => {});
      throw this.failure(session.conn, `writing ${path}`, e as Error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const conn = this.conn;
    if (!conn) {
      await this.connecting?.catch(() => undefined); // adopt() ends a connection that lands after close
      return;
    }
    this.conn = undefined;
    this.sftpSession = undefined;
    await new Promise<void>((resolve) => {
      conn.client.once('close', () => resolve());
      conn.client.end();
      // a host that died (no FIN, no RST) never answers the goodbye: drop the socket
      setTimeout(() => {
        conn.client.destroy();
        resolve();
      }, 1000).unref();
    });
    conn.jump?.end();
  }

  /** The live connection, reopening it once when it dropped since the last use. */
  private connection(): Promise<SshConnection> {
    if (this.closed) return Promise.reject(new UnreachableError(`${this.host}: the SSH transport is closed`, this.host));
    if (this.conn) return Promise.resolve(this.conn);
    const open = () => openSshConnection(this.info, this.env);
    this.connecting ??= (this.handshakes ? this.handshakes(open) : open())
      .then((c) => {
        this.adopt(c);
        return c;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  private adopt(c: SshConnection): void {
    if (this.closed) {
      c.client.end();
      c.jump?.end();
      return;
    }
    this.conn = c;
    const drop = () => {
      if (this.conn === c) this.conn = undefined;
      if (this.sftpSession?.conn === c) this.sftpSession = undefined;
      c.jump?.end();
    };
    c.client.on('end', drop).on('close', drop).on('error', drop);
    c.jump?.on('close', () => c.client.end()).on('error', () => c.client.end());
  }

  /** Opens an exec channel; a connection found dead on open is reopened and tried once more. */
  private async openExec(command: string): Promise<ExecChannel> {
    let c = await this.connection();
    let reconnected = false;
    for (let attempt = 0; ; attempt++) {
      try {
        return await execChannel(c.client, command);
      } catch (e) {
        if (this.conn !== c) {
          if (reconnected) throw new UnreachableError(`${this.host}: connection lost: ${(e as Error).message}`, this.host);
          reconnected = true;
          c = await this.connection();
        } else if ((e as { reason?: number }).reason === 1 && attempt < OPEN_RETRIES) {
          // administratively prohibited: the server still counts a session we just closed
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
        } else throw e;
      }
    }
  }

  /** A failed operation: UnreachableError when the connection it used has dropped meanwhile. */
  private failure(conn: SshConnection, what: string, e: Error): Error {
    if (e instanceof UnreachableError) return e;
    if (this.conn !== conn) return new UnreachableError(`${this.host}: connection lost while ${what}: ${e.message}`, this.host);
    return new Error(`${what} on ${this.host} failed: ${e.message}`);
  }

  /** The connection's long-lived shell (reopened if it ended), or null when refused. */
  private async shell(): Promise<RemoteShell | null> {
    const conn = await this.connection();
    const current = this.shellSession?.conn === conn ? await this.shellSession.shell : undefined;
    if (current && !current.closed) return current;
    if (this.shellSession?.conn === conn && current === null) return null;
    const shell = RemoteShell.open(conn.client, this.host);
    this.shellSession = { conn, shell };
    return shell;
  }

  /** The connection's SFTP session, or null when the server offers no SFTP (exec fallbacks). */
  private async sftp(): Promise<{ conn: SshConnection; sftp: SFTPWrapper } | null> {
    const conn = await this.connection();
    if (this.sftpSession?.conn !== conn) {
      const sftp = new Promise<SFTPWrapper | null>((resolve) => {
        try {
          conn.client.sftp((err, s) => {
            // a session refused for lack of free slots is worth asking for again later
            if (err && (err as { reason?: number }).reason === 1 && this.sftpSession?.sftp === sftp) this.sftpSession = undefined;
            resolve(err ? null : s);
          });
        } catch {
          resolve(null);
        }
      });
      this.sftpSession = { conn, sftp };
    }
    const sftp = await this.sftpSession.sftp;
    return sftp ? { conn, sftp } : null;
  }

  private async rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    try {
      await sftpCall<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
    } catch (e) {
      if (!/does not support/.test((e as Error).message)) throw e;
      // plain SFTP rename refuses to replace an existing file; mv -f is rename(2)
      await this.checked(sh`mv -f ${from} ${to}`);
    }
  }

  private async checked(command: string): Promise<void> {
    const r = await this.exec(command);
    if (r.rc !== 0) throw new Error(r.stderr.trim() || `${command} exited ${r.rc}`);
  }
}

/**
 * SSH transports that open at most `maxHandshakes` connections at once between them. Hundreds
 * of hosts handshaking together starve each other (and, on a small controller, their sshds) of
 * CPU until some hit the connect timeout; queued ones start their timeout when they leave the queue.
 */
export function sshTransports(maxHandshakes = 32): TransportFactory {
  const handshakes = pLimit(maxHandshakes);
  return (info) => new SshTransport(info, { handshakes });
}

export const sshTransportFactory: TransportFactory = sshTransports();

/** Applies env and cwd inside the command, so they also hold under sudo (which resets env). */
function withEnvAndCwd(command: string, opts: ExecOptions): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name "${k}"`);
    lines.push(`export ${k}=${quote(v)}`);
  }
  if (opts.cwd !== undefined) lines.push(`${sh`cd ${opts.cwd}`} || exit 1`);
  return lines.length ? `${lines.join('\n')}\n${command}` : command;
}

/**
 * Kills the command remotely after timeoutMs. OpenSSH refuses SSH "signal" requests on root
 * sessions (no privsep child), so coreutils `timeout` does it: it runs the command in its own
 * process group and signals the whole group (TERM, then KILL a second later). Inside sudo, so
 * it may signal what it started.
 */
function withTimeout(command: string, timeoutMs: number | undefined): string {
  if (timeoutMs === undefined) return command;
  return `timeout -k 1 ${quote((timeoutMs / 1000).toFixed(3))} /bin/sh -c ${quote(command)}`;
}

/** An open exec channel and its exit status, recorded as soon as the channel exists. */
interface ExecChannel {
  ch: ClientChannel;
  exit: { rc?: number };
}

function execChannel(client: Client, command: string): Promise<ExecChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, ch) => {
        if (err) return reject(err);
        // a fast command's exit-status can arrive in the same packet batch as the exec reply,
        // before any awaiting code runs: listen now or the status is lost
        const exit: { rc?: number } = {};
        ch.on('exit', (code: number | null, signal?: string) => {
          exit.rc = code ?? 128 + signalNumber(signal);
        });
        resolve({ ch, exit });
      });
    } catch (e) {
      reject(e as Error); // "Not connected"
    }
  });
}

/** Feeds stdin, collects output and the exit status; a channel closed without one is a lost connection. */
function runChannel({ ch, exit }: ExecChannel, opts: ExecOptions, host: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    ch.on('data', (d: Buffer) => out.push(d));
    ch.stderr.on('data', (d: Buffer) => err.push(d));
    const output = () => [Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8')] as const;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            ch.close();
            // the remote `timeout` kills the command's process group; the server closes the
            // channel only once it is gone, so do not wait for that
            const [stdout, stderr] = output();
            resolve({ rc: TIMEOUT_RC, stdout, stderr: `${stderr}command timed out after ${opts.timeoutMs} ms\n` });
          }, opts.timeoutMs)
        : undefined;
    ch.on('close', () => {
      if (timer) clearTimeout(timer);
      if (timedOut) return;
      const [stdout, stderr] = output();
      if (exit.rc === undefined) reject(new UnreachableError(`${host}: connection lost while a command was running`, host));
      else resolve({ rc: exit.rc, stdout, stderr });
    });
    ch.on('error', () => {}); // surfaced through 'close' without an exit status
    if (opts.become?.password !== undefined) ch.write(`${opts.become.password}\n`);
    if (opts.stdin !== undefined && opts.stdin.length > 0) ch.write(opts.stdin);
    ch.end();
  });
}

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, ABRT: 6, KILL: 9, SEGV: 11, PIPE: 13, ALRM: 14, TERM: 15 };

function signalNumber(name: string | undefined): number {
  return (name && SIGNALS[name.replace(/^SIG/, '')]) || 9;
}

function sftpCall<T>(op: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      op((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (e) {
      reject(e as Error);
    }
  });
}
