import { LocalTransport } from './local.ts';
import { sshTransportFactory } from './ssh.ts';
import type { TransportFactory } from './types.ts';

/** Every transport hap has, by the name `ansible_connection` and `connection:` use. */
export const CONNECTIONS = ['ssh', 'local'] as const;
export type ConnectionName = (typeof CONNECTIONS)[number];
export type Transports = Record<ConnectionName, TransportFactory>;

export const isConnection = (name: string): name is ConnectionName => (CONNECTIONS as readonly string[]).includes(name);

/** The real transports; tests put recording ones in their place. */
export function defaultTransports(): Transports {
  return { local: (i) => new LocalTransport(i.host), ssh: sshTransportFactory };
}

const templated = { type: 'string', pattern: '\\{\\{' };
const flag = { anyOf: [{ type: 'boolean' }, { enum: ['yes', 'no', 'true', 'false', 'True', 'False', 'on', 'off'] }, templated], errorMessage: 'true or false' };

/**
 * Connection variables checked where they are written (inventory, group_vars, play vars): a
 * misspelt connection or port is an error when loading, never a silent default. Templates are
 * checked again once rendered (connectionInfo).
 */
export const CONNECTION_VARS_SCHEMA = {
  ansible_connection: { anyOf: [{ enum: [...CONNECTIONS] }, templated], errorMessage: `one of ${CONNECTIONS.join(', ')}` },
  ansible_port: {
    anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'string', pattern: '^[0-9]{1,5}$' }, templated],
    errorMessage: 'a port number from 1 to 65535',
  },
  hap_host_key_checking: { anyOf: [{ enum: ['strict', 'accept-new', 'off'] }, templated], errorMessage: 'strict, accept-new or off' },
  ansible_host_key_checking: flag,
  ansible_ssh_host_key_checking: flag,
  hap_ssh_agent: flag,
  ansible_ssh_timeout: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, templated], errorMessage: 'a number of seconds > 0' },
  ansible_timeout: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, templated], errorMessage: 'a number of seconds > 0' },
  ansible_ssh_retries: { anyOf: [{ type: 'integer', minimum: 0 }, templated], errorMessage: 'a whole number ≥ 0' },
};
