/**
 * Keeps N bench hosts up for profiling by hand, with both inventories written to DIR:
 *
 *   npx tsx bench/hosts.ts N DIR      # Ctrl-C (or SIGTERM) stops the hosts
 *   node --cpu-prof bin/hap.mjs run bench/playbook/bench.yml -i DIR/hosts.yml --forks N
 */
import { mkdir } from 'node:fs/promises';
import { startSshdHosts } from '../test/support/sshd-host.ts';
import { ansibleInventory, hapInventory } from './inventories.ts';
import { raiseNeighbourLimits } from './net.ts';

const [n, dir] = [Number(process.argv[2]), process.argv[3]];
if (!Number.isInteger(n) || n < 1 || !dir) throw new Error('usage: npx tsx bench/hosts.ts N DIR');
await mkdir(dir, { recursive: true });
await raiseNeighbourLimits(n);
const lab = await startSshdHosts({ prefix: 'hbench', count: n, subnet: process.env.HAP_BENCH_SUBNET ?? '10.216.0.0/16' });
console.log(`${n} hosts up: ${await hapInventory(dir, lab)} ${await ansibleInventory(dir, lab)}`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  lab.stop().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => {}, 1 << 30);
