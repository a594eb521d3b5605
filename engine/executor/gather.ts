import type { Fact } from '../facts/types.ts';

/**
 * Facts gathered at the start of a play (`gather_facts`), in one command per host:
 * hostname, OS, addresses, default IPv4, CPUs, memory, service manager.
 */
const SCRIPT = [
  'echo "hostname=$(hostname)"',
  'echo "fqdn=$(hostname -f 2>/dev/null || hostname)"',
  '. /etc/os-release 2>/dev/null && echo "os_id=$ID" && echo "os_version=$VERSION_ID" && echo "os_codename=$VERSION_CODENAME" && echo "os_pretty=$PRETTY_NAME"',
  'echo "kernel=$(uname -r)"',
  'echo "arch=$(uname -m)"',
  'echo "nproc=$(nproc 2>/dev/null || echo 1)"',
  'echo "memtotal_kb=$(awk \'/^MemTotal:/{print $2}\' /proc/meminfo)"',
  'echo "pid1=$(cat /proc/1/comm 2>/dev/null)"',
  'echo "defroute=$(ip -4 route show default 2>/dev/null | head -n1)"',
  'ip -o addr show 2>/dev/null | sed "s/^/addr=/"',
].join('; ');

export interface GatheredFacts {
  hostname: string;
  fqdn: string;
  nodename: string;
  distribution: string;
  distribution_version: string;
  distribution_release: string;
  os_family: string;
  kernel: string;
  architecture: string;
  processor_vcpus: number;
  memtotal_mb: number;
  service_mgr: string;
  all_ipv4_addresses: string[];
  all_ipv6_addresses: string[];
  default_ipv4: { address?: string; interface?: string; gateway?: string };
  interfaces: string[];
}

export function parseFacts(stdout: string): GatheredFacts {
  const kv = new Map<string, string>();
  const addrs: Array<{ dev: string; family: string; addr: string }> = [];
  for (const line of stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    if (k === 'addr') {
      const m = /^\d+:\s+(\S+)\s+(inet6?)\s+([^/\s]+)/.exec(v);
      if (m) addrs.push({ dev: m[1]!.replace(/@.*$/, ''), family: m[2]!, addr: m[3]! });
    } else kv.set(k, v);
  }
  const route = /default via (\S+) dev (\S+)/.exec(kv.get('defroute') ?? '');
  const iface = route?.[2];
  const v4 = addrs.filter((a) => a.family === 'inet' && !a.addr.startsWith('127.'));
  const id = kv.get('os_id') ?? 'unknown';
  const pid1 = kv.get('pid1') ?? '';
  return {
    hostname: (kv.get('hostname') ?? '').split('.')[0]!,
    fqdn: kv.get('fqdn') ?? '',
    nodename: kv.get('hostname') ?? '',
    distribution: id.charAt(0).toUpperCase() + id.slice(1),
    distribution_version: kv.get('os_version') ?? '',
    distribution_release: kv.get('os_codename') ?? '',
    os_family: ['debian', 'ubuntu'].includes(id) ? 'Debian' : id,
    kernel: kv.get('kernel') ?? '',
    architecture: kv.get('arch') ?? '',
    processor_vcpus: Number(kv.get('nproc') ?? 1),
    memtotal_mb: Math.round(Number(kv.get('memtotal_kb') ?? 0) / 1024),
    service_mgr: pid1 === 'systemd' ? 'systemd' : pid1 || 'unknown',
    all_ipv4_addresses: v4.map((a) => a.addr),
    all_ipv6_addresses: addrs.filter((a) => a.family === 'inet6' && a.addr !== '::1').map((a) => a.addr),
    default_ipv4: { address: v4.find((a) => a.dev === iface)?.addr ?? v4[0]?.addr, interface: iface, gateway: route?.[1] },
    interfaces: [...new Set(addrs.map((a) => a.dev))],
  };
}

export const gatherFact: Fact<GatheredFacts> = { name: 'setup', command: SCRIPT, parse: (r) => parseFacts(r.stdout) };
