// Real hosts: needs root and systemd-nspawn. hap must leave no SSH session behind on a host.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { labDown, labExec, labUp } from '../../engine/lab/index.ts';

const isRoot = process.getuid?.() === 0;
const NAME = `s${randomBytes(3).toString('hex')}`;
const HAP = resolve(new URL('../../bin/hap.mjs', import.meta.url).pathname);
const HOSTS = ['h1', 'h2'];

/** sshd sessions (`sshd: root@notty`) and the shells hap keeps in them, per host, read without SSH. */
async function sessions(): Promise<Record<string, { sshd: number; sh: number }>> {
  const out: Record<string, { sshd: number; sh: number }> = {};
  for (const h of HOSTS) {
    const lines = (await labExec(NAME, h, 'ps -eo args')).stdout.split('\n');
    out[h] = { sshd: lines.filter((l) => /^sshd: \S+@/.test(l)).length, sh: lines.filter((l) => l.trim() === '/bin/sh').length };
  }
  return out;
}

const none = Object.fromEntries(HOSTS.map((h) => [h, { sshd: 0, sh: 0 }]));

/** Polls until every host holds hap's session: the run is in its long task. */
async function connected(ms = 30_000): Promise<Record<string, { sshd: number; sh: number }>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await sessions();
    if (HOSTS.every((h) => s[h]!.sshd >= 1 && s[h]!.sh >= 1) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Polls until the hosts hold no session; sshd notices a closed connection within a moment. */
async function settled(ms = 5000): Promise<Record<string, { sshd: number; sh: number }>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await sessions();
    if (JSON.stringify(s) === JSON.stringify(none) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!isRoot)('SSH sessions end with the run (lab hosts)', () => {
  let dir: string;
  let inventory: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-sessions-'));
    inventory = join(dir, 'inv.yml');
    await labUp({ name: NAME, hosts: HOSTS.length, inventory });
    await writeFile(
      join(dir, 'play.yml'),
      `- hosts: all
  tasks:
    - copy: { content: "x\\n", dest: /tmp/hap-session-test }
    - command: sleep 6
    - command: "false"
      when: inventory_hostname == 'h2'
    - command: "true"
`,
    );
  }, 15 * 60_000);

  afterAll(async () => {
    await labDown(NAME).catch(() => {});
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 2 * 60_000);

  const hap = (...args: string[]) => spawn(process.execPath, [HAP, 'run', join(dir, 'play.yml'), '-i', inventory, ...args], { stdio: 'ignore' });
  const exit = (p: ReturnType<typeof hap>) => new Promise<number | null>((r) => p.on('exit', (code) => r(code)));

  it('a run (one host failing) leaves no sshd session nor shell on any host', async () => {
    expect(await settled()).toEqual(none);
    const p = hap();
    const code = exit(p);
    // while the run is in its `sleep 6`, each host has hap's session and its long-lived shell
    const during = await connected();
    for (const h of HOSTS) expect(during[h]!.sshd, JSON.stringify(during)).toBeGreaterThanOrEqual(1);
    expect(await code).toBe(2); // h2 failed
    expect(await settled()).toEqual(none);
  }, 120_000);

  it('a run stopped by SIGINT (batch finished, then stop) leaves none either', async () => {
    const p = hap();
    const code = exit(p);
    const during = await connected();
    for (const h of HOSTS) expect(during[h]!.sshd, JSON.stringify(during)).toBeGreaterThanOrEqual(1);
    p.kill('SIGINT');
    expect(await code).not.toBe(250);
    expect(await settled()).toEqual(none);
  }, 120_000);

  // in one process the OS cannot tidy up after hap: only hap's own close ends the sessions
  it('a run in-process closes its sessions before main() returns, the process still alive', async () => {
    const code = await main(['run', join(dir, 'play.yml'), '-i', inventory], { out: () => {}, err: () => {} });
    expect(code).toBe(2);
    expect(await settled()).toEqual(none);
  }, 120_000);
});
