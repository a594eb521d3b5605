/** Static checks of a `vip:` spec against the inventory, before any host is contacted. Pure. */
import { isIP } from 'node:net';

/** A value and where it was written (`file:line:col …` from the precedence ladder). */
export interface Sourced<T = unknown> {
  value: T;
  origin?: string;
}

export interface HostAddress {
  host: string;
  address: string;
  origin?: string;
}

export interface StaticInput {
  address: Sourced;
  prefix: Sourced;
  virtualRouterId?: Sourced;
  /** The LB group's name and hosts. */
  group: string;
  lbs: HostAddress[];
  /** Every inventory host (the VIP must be none of their addresses). */
  hosts: HostAddress[];
  backendGroup?: string;
  backends?: HostAddress[];
  /** Backend addresses that are names and did not resolve on the controller. */
  unresolved: Set<string>;
}

export interface StaticProblem {
  msg: string;
  origin?: string;
}

function ipv4(a: string): number | undefined {
  if (isIP(a) !== 4) return undefined;
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inSubnet(addr: number, net: number, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((addr & mask) >>> 0) === ((net & mask) >>> 0);
}

const at = (o?: string) => (o ? ` (${o})` : '');

export function checkVipSpec(i: StaticInput): { errors: StaticProblem[]; warnings: string[] } {
  const errors: StaticProblem[] = [];
  const warnings: string[] = [];
  const vip = String(i.address.value ?? '');
  const prefix = Number(i.prefix.value);
  const family = isIP(vip);
  if (!family) errors.push({ msg: `the VIP '${vip}' is not an IP address`, origin: i.address.origin });
  const maxPrefix = family === 6 ? 128 : 32;
  if (!Number.isInteger(prefix) || prefix < 1 || prefix > maxPrefix) {
    errors.push({ msg: `the VIP prefix '${String(i.prefix.value)}' must be an integer 1-${maxPrefix}`, origin: i.prefix.origin });
  }
  if (i.virtualRouterId) {
    const id = Number(i.virtualRouterId.value);
    if (!Number.isInteger(id) || id < 1 || id > 255) {
      errors.push({ msg: `virtual_router_id '${String(i.virtualRouterId.value)}' must be an integer 1-255`, origin: i.virtualRouterId.origin });
    }
  }
  if (i.lbs.length === 0) errors.push({ msg: `group '${i.group}' has no hosts: the VIP needs at least 2 LB hosts` });
  else if (i.lbs.length === 1) warnings.push(`group '${i.group}' has one LB host (${i.lbs[0]!.host}): the VIP cannot move anywhere when it fails; add a second`);
  const v4 = ipv4(vip);
  for (const h of i.hosts) {
    if (h.address === vip) {
      errors.push({ msg: `the VIP ${vip} is host ${h.host}'s own address${at(h.origin)}; pick an unused address`, origin: i.address.origin });
    }
  }
  if (v4 !== undefined && Number.isInteger(prefix) && prefix >= 1 && prefix <= 32) {
    for (const lb of i.lbs) {
      const a = ipv4(lb.address);
      if (a !== undefined && !inSubnet(a, v4, prefix)) {
        errors.push({ msg: `the VIP ${vip}/${prefix} is not in the subnet of LB host ${lb.host} (${lb.address}${at(lb.origin)})`, origin: i.address.origin });
      }
    }
  }
  if (i.backendGroup !== undefined) {
    if (!i.backends?.length) errors.push({ msg: `backend group '${i.backendGroup}' has no hosts` });
    for (const b of i.backends ?? []) {
      if (i.unresolved.has(b.address)) errors.push({ msg: `backend ${b.host}: '${b.address}' does not resolve`, origin: b.origin });
    }
  }
  return { errors, warnings };
}
