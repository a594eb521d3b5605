import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Client, type AuthMethod, type ConnectConfig } from 'ssh2';
import {
  appendKnownHost,
  knownHostName,
  loadKnownHosts,
  patternsMatch,
  preferredHostKeyAlgorithms,
  verifyHostKey,
  type HostKeyVerdict,
} from './known-hosts.ts';
import { UnreachableError, type ConnectionInfo } from './types.ts';

/** Where the controller's defaults live; injected so tests never touch the real ~/.ssh. */
export interface SshEnvironment {
  home: string;
  agentSocket?: string;
}

export interface Endpoint {
  user: string;
  address: string;
  port: number;
}

/** An open connection: the client, and the jump host's client when one was used. */
export interface SshConnection {
  client: Client;
  jump?: Client;
}

const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EPIPE']);
const KEEPALIVE_MS = 5000;
const KEEPALIVE_COUNT = 3;

/** A failure to connect; `retryable` is false for auth and host-key failures. */
class ConnectFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export function endpointLabel(e: Endpoint): string {
  return `${e.user}@${e.address}:${e.port}`;
}

/** Parses a jump host written as `user@host:port` (user and port optional, IPv6 in brackets). */
export function parseJumpHost(spec: string, defaultUser: string): Endpoint {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m || !m[2]) throw new UnreachableError(`invalid jump host "${spec}" (expected user@host:port)`, spec);
  return { user: m[1] ?? defaultUser, address: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : 22 };
}

/**
 * Opens the connection for `info` (through its jump host when set), retrying refused or timed-out
 * attempts up to `connectRetries` times with a short backoff. Throws UnreachableError.
 */
export async function openSshConnection(info: ConnectionInfo, env: SshEnvironment): Promise<SshConnection> {
  const auth = await authMethods(info, env);
  const user = info.user ?? 'root';
  const target: Endpoint = { user, address: info.address, port: info.port };
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOnce(info, env, auth, target);
    } catch (e) {
      const f = e instanceof ConnectFailure ? e : new ConnectFailure(String((e as Error).message ?? e), false);
      if (!f.retryable || attempt >= info.connectRetries) throw new UnreachableError(f.message, info.host);
      await new Promise((r) => setTimeout(r, Math.min(2000, 200 * 2 ** attempt)));
    }
  }
}

async function connectOnce(info: ConnectionInfo, env: SshEnvironment, auth: AuthSource, target: Endpoint): Promise<SshConnection> {
  if (!info.jumpHost) return { client: await handshake(info, env, auth, target) };
  const jumpEnd = parseJumpHost(info.jumpHost, target.user);
  let jump: Client;
  try {
    jump = await handshake(info, env, auth, jumpEnd);
  } catch (e) {
    throw relabel(e, `jump host ${endpointLabel(jumpEnd)}`);
  }
  try {
    const sock = await forward(jump, target, info.connectTimeoutMs);
    return { client: await handshake(info, env, auth, target, sock), jump };
  } catch (e) {
    jump.end();
    throw e;
  }
}

function relabel(e: unknown, what: string): ConnectFailure {
  const f = e instanceof ConnectFailure ? e : new ConnectFailure(String(e), false);
  return new ConnectFailure(`${what}: ${f.message}`, f.retryable);
}

function forward(jump: Client, target: Endpoint, timeoutMs: number): Promise<Readable> {
  return new Promise((resolve, reject) => {
    let done = false;
    // the jump host's own connect attempt (ARP, SYN retries) is not bounded by readyTimeout
    const timer = setTimeout(() => {
      done = true;
      reject(new ConnectFailure(`ssh ${endpointLabel(target)} through the jump host: timed out after ${timeoutMs} ms`, true));
    }, timeoutMs);
    jump.forwardOut('127.0.0.1', 0, target.address, target.port, (err, stream) => {
      clearTimeout(timer);
      if (done) return stream?.destroy();
      if (err) {
        const refused = /refused|connect failed/i.test(err.message);
        reject(new ConnectFailure(`ssh ${endpointLabel(target)} through the jump host failed: ${err.message}`, refused));
      } else resolve(stream);
    });
  });
}

interface AuthSource {
  methods: (user: string) => AuthMethod[];
  describe: string;
}

async function authMethods(info: ConnectionInfo, env: SshEnvironment): Promise<AuthSource> {
  const keys: Array<{ file: string; data: Buffer }> = [];
  if (info.privateKeyFile) {
    try {
      keys.push({ file: info.privateKeyFile, data: await readFile(info.privateKeyFile) });
    } catch (e) {
      throw new UnreachableError(`cannot read private key ${info.privateKeyFile}: ${(e as Error).message}`, info.host);
    }
  } else {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const file = join(env.home, '.ssh', name);
      const data = await readFile(file).catch(() => undefined);
      if (data) keys.push({ file, data });
    }
  }
  const agent = info.useAgent ? env.agentSocket : undefined;
  const describe = [
    ...(agent ? ['agent'] : []),
    ...keys.map((k) => `key ${k.file}`),
    ...(info.password !== undefined ? ['password'] : []),
  ].join(', ');
  return {
    describe: describe || 'nothing: no key, agent or password configured',
    methods: (username) => [
      ...(agent ? [{ type: 'agent', username, agent } as AuthMethod] : []),
      ...keys.map((k) => ({ type: 'publickey', username, key: k.data }) as AuthMethod),
      ...(info.password !== undefined ? [{ type: 'password', username, password: info.password } as AuthMethod] : []),
    ],
  };
}

/** One SSH handshake + authentication to `end`, over `sock` when given (jump host). */
async function handshake(info: ConnectionInfo, env: SshEnvironment, auth: AuthSource, end: Endpoint, sock?: Readable): Promise<Client> {
  const label = endpointLabel(end);
  const name = knownHostName(end.address, end.port);
  const knownFile = info.knownHostsFile ?? join(env.home, '.ssh', 'known_hosts');
  const checking = info.hostKeyChecking;
  // only this host's lines: the verifier keeps them for the connection's life, and N
  // connections each keeping a known_hosts of N hosts is N² parsed keys (150 MB at 500 hosts)
  const entries = checking === 'off' ? [] : (await loadKnownHosts(knownFile)).filter((e) => patternsMatch(e.patterns, name));
  let hostKeyProblem: string | undefined;

  const config: ConnectConfig = {
    host: end.address,
    port: end.port,
    username: end.user,
    readyTimeout: info.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_MS,
    keepaliveCountMax: KEEPALIVE_COUNT,
    authHandler: auth.methods(end.user),
    ...(sock ? { sock } : {}),
  };
  if (checking !== 'off') {
    config.algorithms = { serverHostKey: preferredHostKeyAlgorithms(entries, name) as never };
    config.hostVerifier = (key: Buffer, verify: (ok: boolean) => void) => {
      const verdict = verifyHostKey(entries, name, key);
      if (verdict.kind === 'match') return verify(true);
      if (verdict.kind === 'unknown' && checking === 'accept-new') {
        appendKnownHost(knownFile, name, key).then(
          () => verify(true),
          (e: Error) => {
            hostKeyProblem = `cannot record the host key of ${name} in ${knownFile}: ${e.message}`;
            verify(false);
          },
        );
        return;
      }
      hostKeyProblem = hostKeyMessage(verdict, name, knownFile);
      verify(false);
    };
  }

  const client = new Client();
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const fail = (f: ConnectFailure) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(f);
    };
    client.once('ready', () => {
      settled = true;
      // each exec is a few small request/reply packets; Nagle + delayed ACK would add ~40 ms to each
      client.setNoDelay(true);
      resolve(client);
    });
    client.on('error', (err: Error & { code?: string; level?: string }) => {
      if (hostKeyProblem) return fail(new ConnectFailure(hostKeyProblem, false));
      fail(classify(err, end, info.connectTimeoutMs, auth.describe));
    });
    client.once('close', () => {
      if (hostKeyProblem) return fail(new ConnectFailure(hostKeyProblem, false));
      fail(new ConnectFailure(`ssh ${label}: connection closed during the handshake`, true));
    });
    client.connect(config);
  });
}

function hostKeyMessage(verdict: Exclude<HostKeyVerdict, { kind: 'match' }>, name: string, file: string): string {
  switch (verdict.kind) {
    case 'unknown':
      return `host key for ${name} is not known (add it to ${file} or use accept-new)`;
    case 'changed':
      return (
        `host key for ${name} has changed: ${file}:${verdict.line} holds a different ${verdict.keyType} key ` +
        `(possible man-in-the-middle; if the host was reinstalled, remove line ${verdict.line})`
      );
    case 'revoked':
      return `host key for ${name} is revoked in ${file}:${verdict.line}`;
  }
}

function classify(err: Error & { code?: string; level?: string }, end: Endpoint, timeoutMs: number, tried: string): ConnectFailure {
  const label = endpointLabel(end);
  if (err.level === 'client-authentication') {
    return new ConnectFailure(`ssh ${label}: authentication failed (tried ${tried})`, false);
  }
  if (err.level === 'client-timeout') {
    return new ConnectFailure(`ssh ${label}: timed out after ${timeoutMs} ms waiting for the SSH handshake`, true);
  }
  if (err.code === 'ECONNREFUSED') return new ConnectFailure(`ssh ${label}: connection refused (is sshd listening on port ${end.port}?)`, true);
  if (err.code && RETRYABLE_CODES.has(err.code)) return new ConnectFailure(`ssh ${label}: ${err.code} (${err.message})`, true);
  return new ConnectFailure(`ssh ${label}: ${err.message}`, false);
}
