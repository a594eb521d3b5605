import { bridgeAddress, bridgeName, deadGateway, hostAddress, hostMac, netnsName, subnetOf, vethName, type LabIds } from './paths.ts';
import { LabError, run, runOk } from './proc.ts';
import { quote } from '../transport/quote.ts';

async function linkExists(name: string): Promise<boolean> {
  return (await run(['ip', 'link', 'show', 'dev', name])).rc === 0;
}

async function addressesOf(dev: string): Promise<string[]> {
  const out = (await run(['ip', '-o', '-4', 'addr', 'show', 'dev', dev])).stdout;
  return [...out.matchAll(/inet (\S+)/g)].map((m) => m[1] ?? '');
}

/** True when nothing on this machine already routes the lab's /24 (other than our bridge). */
export async function subnetFree(lab: LabIds): Promise<boolean> {
  const out = (await run(['ip', '-o', '-4', 'route', 'show', 'match', subnetOf(lab)])).stdout;
  return !out.split('\n').some((l) => l.trim() && !l.startsWith('default') && !l.includes(`dev ${bridgeName(lab)} `));
}

/** The lab bridge with its gateway address; refuses to adopt a bridge someone else made. */
export async function ensureBridge(lab: LabIds): Promise<void> {
  const br = bridgeName(lab);
  const want = `${bridgeAddress(lab)}/24`;
  if (await linkExists(br)) {
    if (!(await addressesOf(br)).includes(want)) {
      throw new LabError(`interface ${br} exists but lacks ${want}: it is not this lab's bridge; remove it or pick another lab name`);
    }
  } else {
    await runOk(['ip', 'link', 'add', br, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    await runOk(['ip', 'addr', 'add', want, 'dev', br]);
  }
  await runOk(['ip', 'link', 'set', br, 'up']);
}

export async function removeBridge(lab: LabIds): Promise<void> {
  const br = bridgeName(lab);
  if ((await linkExists(br)) && (await addressesOf(br)).includes(`${bridgeAddress(lab)}/24`)) await run(['ip', 'link', 'del', br]);
}

/**
 * Shell functions for the supervisor: a fresh netns + veth on every boot (like a real reboot
 * clearing addresses, routes and nft rules), and their removal when the host powers off.
 */
export function netScript(lab: LabIds, index: number): string {
  const ns = quote(netnsName(lab, index));
  const veth = quote(vethName(lab, index));
  return `net_down() {
  ip link del ${veth} 2>/dev/null
  ip netns del ${ns} 2>/dev/null
  return 0
}
net_up() {
  net_down
  ip netns add ${ns} &&
  ip link add ${veth} type veth peer name eth0 address ${quote(hostMac(lab, index))} netns ${ns} &&
  ip link set ${veth} master ${quote(bridgeName(lab))} &&
  ip link set ${veth} up &&
  ip -n ${ns} link set lo up &&
  ip -n ${ns} addr add ${quote(`${hostAddress(lab, index)}/24`)} dev eth0 &&
  ip -n ${ns} link set eth0 up &&
  ip -n ${ns} route add default via ${quote(deadGateway(lab))}
}
`;
}

/** Pulls the cable: the host side of the veth goes down (partition) or comes back (heal). */
export async function setCable(lab: LabIds, index: number, up: boolean): Promise<void> {
  const veth = vethName(lab, index);
  if (!(await linkExists(veth))) throw new LabError(`h${index} has no network (is it running?)`);
  await runOk(['ip', 'link', 'set', veth, up ? 'up' : 'down']);
}

export async function cableUp(lab: LabIds, index: number): Promise<boolean | undefined> {
  const out = (await run(['ip', '-o', 'link', 'show', 'dev', vethName(lab, index)])).stdout;
  if (!out) return undefined;
  return /<[^>]*\bUP\b[^>]*>/.test(out);
}

/** Removes the veth explicitly: a deleted netns can linger for minutes and hold it. */
export async function removeHostNet(lab: LabIds, index: number): Promise<void> {
  await run(['ip', 'link', 'del', vethName(lab, index)]);
  await run(['ip', 'netns', 'del', netnsName(lab, index)]);
}

/** Refuses to talk to a lab address that would not go out through the lab bridge. */
export async function assertRoutedViaBridge(lab: LabIds, address: string): Promise<void> {
  const out = (await run(['ip', '-o', 'route', 'get', address])).stdout;
  if (!out.includes(`dev ${bridgeName(lab)} `)) {
    throw new LabError(`refusing to contact ${address}: it is not routed through the lab bridge ${bridgeName(lab)} (${out.trim() || 'no route'})`);
  }
}
