import { readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';

/**
 * The kernel's ARP table is shared by all namespaces: N hosts need about 2N entries, and past
 * gc_thresh3 (default 1024) lookups fail ("neighbor table overflow") and handshakes time out.
 * Only ever raised, never lowered.
 */
export async function raiseNeighbourLimits(n: number): Promise<void> {
  const want = { gc_thresh1: 1024, gc_thresh2: Math.max(4096, 4 * n), gc_thresh3: Math.max(8192, 8 * n) };
  for (const [k, v] of Object.entries(want)) {
    const file = `/proc/sys/net/ipv4/neigh/default/${k}`;
    const cur = Number((await readFile(file, 'utf8')).trim());
    if (cur < v) {
      await writeFile(file, String(v));
      console.log(`raised net.ipv4.neigh.default.${k} ${cur} -> ${v}`);
    }
  }
}

/**
 * SSH sessions (`sshd: user@notty`) and shells (`/bin/sh`) still running inside the given
 * network namespaces: what a client left behind on the bench hosts. One pass over /proc.
 */
export async function sessionsIn(netns: string[]): Promise<{ sshd: number; sh: number }> {
  const inodes = new Set<number>();
  for (const ns of netns) {
    const s = await stat(`/run/netns/${ns}`).catch(() => undefined);
    if (s) inodes.add(s.ino);
  }
  const left = { sshd: 0, sh: 0 };
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
    const kind = /^sshd: \S+@/.test(args) ? 'sshd' : args === '/bin/sh' ? 'sh' : undefined;
    if (!kind) continue;
    const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => '');
    const ino = Number(/\[(\d+)\]/.exec(ns)?.[1]);
    if (inodes.has(ino)) left[kind]++;
  }
  return left;
}
