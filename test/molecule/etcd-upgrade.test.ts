import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import { labDebs, labExec, labFault } from '../../engine/lab/index.ts';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const io = (out: string[]) => ({ out: (s: string) => out.push(s), err: (s: string) => out.push(s) });

/** Runs hap in-process; prints its output when it fails. */
async function hap(args: string[]): Promise<number> {
  const out: string[] = [];
  const code = await main(args, io(out));
  if (code !== 0) console.log(out.join('\n'));
  return code;
}

interface Event { event: string; msg?: string; hosts?: string[] }

/**
 * The upgrade as a child process with JSON events; `onEvent` may act while it runs (a fault).
 * Resolves with the exit code and every event.
 */
function upgrade(inventory: string, onEvent: (e: Event) => Promise<void> | void): Promise<{ code: number; events: Event[] }> {
  const child = spawn('node', [join(ROOT, 'bin/hap.mjs'), 'run', join(ROOT, 'playbooks/etcd-upgrade.yml'), '-i', inventory,
    '--output', 'json', '-e', `@${join(ROOT, 'molecule/etcd-upgrade/upgrade-vars.yml')}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: Event[] = [];
  let acting = Promise.resolve();
  createInterface({ input: child.stdout }).on('line', (line) => {
    let e: Event;
    try { e = JSON.parse(line) as Event; } catch { return; }
    events.push(e);
    acting = acting.then(() => onEvent(e));
  });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => void acting.then(() => done({ code: code ?? -1, events }), fail));
  });
}

const version = async (lab: string, host: string) => (await labExec(lab, host, 'etcd --version | head -1')).stdout.trim();

describe('molecule etcd-upgrade', () => {
  // the cached trixie .debs upgrade-vars.yml names (fetched once; no test order to rely on)
  beforeAll(() => labDebs(), 600_000);

  afterAll(async () => void (await hap(['molecule', 'destroy', 'etcd-upgrade'])), 120_000);

  it('upgrades 3.4 → 3.5 member by member while a writer loses no acknowledged write', async () => {
    expect(await hap(['molecule', 'test', 'etcd-upgrade'])).toBe(0);
  }, 1_200_000);

  it('stops before taking another member down when one dies during the upgrade', async () => {
    const s = await loadScenario('etcd-upgrade');
    expect(await hap(['molecule', 'destroy', 'etcd-upgrade'])).toBe(0);
    expect(await hap(['molecule', 'converge', 'etcd-upgrade'])).toBe(0);
    let order: string[] = [];
    let killed: string | undefined;
    const r = await upgrade(workDir(s), async (e) => {
      const m = e.event === 'quorum' ? /; order ([^;]*);/.exec(e.msg ?? '') : null;
      if (m?.[1]) order = m[1].split(', ');
      // the member scheduled last dies as soon as the first member is upgraded and settled
      if (e.event === 'quorum' && /^batch 1: cluster settled/.test(e.msg ?? '') && !killed) {
        killed = order.at(-1);
        await labFault(s.lab, 'kill', killed!);
      }
    });
    const quorum = r.events.filter((e) => e.event === 'quorum').map((e) => e.msg ?? '');
    // batches of the rolling play (the second play; the first checks versions on all members)
    const rolling = r.events.slice(r.events.map((e) => e.event).lastIndexOf('play_start'));
    const batches = rolling.filter((e) => e.event === 'batch_start');
    if (r.code !== 8) console.log(quorum.join('\n'));
    expect(order).toHaveLength(3);
    expect(killed).toBe(order[2]);
    expect(r.code).toBe(8);
    expect(quorum.some((m) => m.startsWith('batch 2 [') && m.includes('REFUSED') && m.includes(`unhealthy 1 (${killed}`))).toBe(true);
    expect(batches.map((b) => b.hosts)).toEqual([[order[0]]]);
    expect(await version(s.lab, order[0]!)).toContain('3.5.16');
    expect(await version(s.lab, order[1]!)).toContain('3.4.');
  }, 1_200_000);
});
