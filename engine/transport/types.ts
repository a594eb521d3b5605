import type { ConnectionName } from './registry.ts';

/** Privilege escalation for one command or file operation (Ansible's `become`). */
export interface Become {
  user: string;
  method: 'sudo';
  password?: string;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  become?: Become;
  cwd?: string;
  env?: Record<string, string>;
  /** Kills the command after this long; the result then has rc 124-like failure. */
  timeoutMs?: number;
}

export interface ExecResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface WriteOptions {
  /** Octal permission bits, e.g. 0o600. Applied before the file becomes visible. */
  mode?: number;
  owner?: string;
  group?: string;
  become?: Become;
}

/**
 * How the executor reaches one host. Local and SSH implement it; the executor and modules
 * never know which one they hold. Commands are shell strings run with `/bin/sh -c`; build
 * them with engine/transport/quote.ts, never by concatenation.
 */
export interface Transport {
  readonly host: string;
  /** Opens the connection; throws UnreachableError when the host cannot be reached. */
  connect(): Promise<void>;
  exec(command: string, opts?: ExecOptions): Promise<ExecResult>;
  /** The file's bytes, or null when it does not exist. */
  readFile(path: string, opts?: { become?: Become }): Promise<Buffer | null>;
  /** Writes atomically: a temp name in the same directory, then a rename. */
  writeFile(path: string, data: Buffer | string, opts?: WriteOptions): Promise<void>;
  close(): Promise<void>;
}

/** The host could not be reached (connect failed, auth failed, host key mismatch, dropped). */
export class UnreachableError extends Error {
  constructor(
    message: string,
    readonly host: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** Connection settings for one host, from inventory variables with Ansible's names. */
export interface ConnectionInfo {
  host: string; // inventory_hostname
  connection: ConnectionName;
  address: string; // ansible_host, defaulting to the inventory name
  port: number; // ansible_port, default 22
  user?: string; // ansible_user
  privateKeyFile?: string; // ansible_ssh_private_key_file
  password?: string; // ansible_password
  /** ProxyJump-like: `user@host:port` of a jump host (ansible_ssh_common_args -J or hap_jump_host). */
  jumpHost?: string;
  /** 'strict' (default): known_hosts must match; 'accept-new': record unknown keys; 'off'. */
  hostKeyChecking: 'strict' | 'accept-new' | 'off';
  knownHostsFile?: string;
  connectTimeoutMs: number;
  connectRetries: number;
  useAgent: boolean;
}

export type TransportFactory = (info: ConnectionInfo) => Transport;
