import type { ConnectionInfo } from '../transport/types.ts';

const bool = (v: unknown): boolean | undefined =>
  v === undefined || v === null ? undefined : v === true || ['true', 'yes', '1', 'on'].includes(String(v).toLowerCase());

/**
 * Connection settings from a host's variables, with Ansible's names. The host's
 * `ansible_connection` wins over the play's `connection:`; the default is ssh.
 */
export function connectionInfo(host: string, vars: Record<string, unknown>, playConnection?: 'local' | 'ssh'): ConnectionInfo {
  const v = (k: string) => vars[k] as string | number | undefined;
  const conn = String(v('ansible_connection') ?? playConnection ?? (host === 'localhost' ? 'local' : 'ssh'));
  const checking = v('hap_host_key_checking') ?? (bool(vars.ansible_host_key_checking ?? vars.ansible_ssh_host_key_checking) === false ? 'off' : 'strict');
  const common = String(v('ansible_ssh_common_args') ?? '');
  const jump = v('hap_jump_host') ?? /(?:-J\s*|ProxyJump=)(\S+)/.exec(common)?.[1];
  return {
    host,
    connection: conn === 'local' ? 'local' : 'ssh',
    address: String(v('ansible_host') ?? host),
    port: Number(v('ansible_port') ?? 22),
    user: v('ansible_user') === undefined ? undefined : String(v('ansible_user')),
    privateKeyFile: v('ansible_ssh_private_key_file') === undefined ? undefined : String(v('ansible_ssh_private_key_file')),
    password: v('ansible_password') === undefined ? undefined : String(v('ansible_password')),
    jumpHost: jump === undefined ? undefined : String(jump),
    hostKeyChecking: (['strict', 'accept-new', 'off'].includes(String(checking)) ? checking : 'strict') as ConnectionInfo['hostKeyChecking'],
    knownHostsFile: v('hap_known_hosts_file') === undefined ? undefined : String(v('hap_known_hosts_file')),
    connectTimeoutMs: Number(v('ansible_ssh_timeout') ?? v('ansible_timeout') ?? 10) * 1000,
    connectRetries: Number(v('ansible_ssh_retries') ?? 2),
    useAgent: bool(vars.hap_ssh_agent) ?? true,
  };
}
