import { HapError } from '../source/errors.ts';
import { CONNECTIONS, isConnection } from '../transport/registry.ts';
import type { ConnectionInfo } from '../transport/types.ts';

const CHECKING = ['strict', 'accept-new', 'off'];

const bool = (v: unknown): boolean | undefined =>
  v === undefined || v === null ? undefined : v === true || ['true', 'yes', '1', 'on'].includes(String(v).toLowerCase());

/**
 * Connection settings from a host's variables, with Ansible's names. The host's
 * `ansible_connection` wins over the play's `connection:`; the default is ssh. Literal values
 * were checked at load (CONNECTION_VARS_SCHEMA); a template that renders to a bad one is an
 * error here, never a silent default.
 */
export function connectionInfo(host: string, vars: Record<string, unknown>, playConnection?: 'local' | 'ssh'): ConnectionInfo {
  const v = (k: string) => vars[k] as string | number | undefined;
  const conn = String(v('ansible_connection') ?? playConnection ?? (host === 'localhost' ? 'local' : 'ssh'));
  if (!isConnection(conn)) throw new HapError(`${host}: unknown ansible_connection '${conn}' (hap has ${CONNECTIONS.join(', ')})`);
  const checking = v('hap_host_key_checking') ?? (bool(vars.ansible_host_key_checking ?? vars.ansible_ssh_host_key_checking) === false ? 'off' : 'strict');
  const common = String(v('ansible_ssh_common_args') ?? '');
  if (!CHECKING.includes(String(checking))) throw new HapError(`${host}: hap_host_key_checking must be ${CHECKING.join(', ')}, not '${checking}'`);
  const port = Number(v('ansible_port') ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new HapError(`${host}: ansible_port must be a port number, not '${v('ansible_port')}'`);
  const jump = v('hap_jump_host') ?? /(?:-J\s*|ProxyJump=)(\S+)/.exec(common)?.[1];
  return {
    host,
    connection: conn,
    address: String(v('ansible_host') ?? host),
    port,
    user: v('ansible_user') === undefined ? undefined : String(v('ansible_user')),
    privateKeyFile: v('ansible_ssh_private_key_file') === undefined ? undefined : String(v('ansible_ssh_private_key_file')),
    password: v('ansible_password') === undefined ? undefined : String(v('ansible_password')),
    jumpHost: jump === undefined ? undefined : String(jump),
    hostKeyChecking: checking as ConnectionInfo['hostKeyChecking'],
    knownHostsFile: v('hap_known_hosts_file') === undefined ? undefined : String(v('hap_known_hosts_file')),
    connectTimeoutMs: Number(v('ansible_ssh_timeout') ?? v('ansible_timeout') ?? 10) * 1000,
    connectRetries: Number(v('ansible_ssh_retries') ?? 2),
    useAgent: bool(vars.hap_ssh_agent) ?? true,
  };
}
