import { rm } from 'node:fs/promises';
import { main } from '../cli/main.ts';
import type { HapEvent } from '../output/events.ts';
import { outputOf } from '../output/pretty.ts';
import { HapError } from '../source/errors.ts';
import { labDown, labList, labUp } from '../lab/index.ts';
import { writeScenarioInventory, workDir, type Scenario } from './scenario.ts';

export interface StageIo {
  log: (s: string) => void;
}

/** Runs a playbook of the scenario in-process with JSON events; returns them and the exit code. */
export async function play(s: Scenario, file: string, io: StageIo, extra: string[] = []): Promise<{ code: number; events: HapEvent[] }> {
  const events: HapEvent[] = [];
  const code = await main(['run', file, '-i', workDir(s), '--output', 'json', ...extra], {
    out: (line) => {
      const e = JSON.parse(line) as HapEvent;
      events.push(e);
      if (e.event === 'task_start') io.log(`  TASK ${e.role ? `${e.role} : ` : ''}${e.name}`);
      if (e.event === 'host_result' && (e.status === 'failed' || e.status === 'unreachable') && !e.loop) {
        io.log(`    ${e.status}: [${e.host}] ${e.msg ?? ''}`);
        if (e.status === 'failed' && e.result) for (const l of outputOf(e.result)) io.log(`    ${l}`);
      }
      if (e.event === 'warning') io.log(`  WARNING: ${e.msg}`);
      // a scenario's debug tasks print its figures (times, gaps): they belong in the log
      if (e.event === 'debug') io.log(`    [${e.host}] ${typeof e.msg === 'string' ? e.msg : JSON.stringify(e.msg)}`);
    },
    err: (line) => io.log(line),
  });
  return { code, events };
}

/** One named stage of `molecule test`; a misspelt stage name fails to compile. */
export interface Stage {
  name: 'create' | 'prepare' | 'converge' | 'idempotence' | 'side_effect' | 'verify' | 'destroy';
  shouldRun?: (s: Scenario & { idempotence: boolean }) => boolean;
  run: (s: Scenario & { idempotence: boolean }, io: StageIo) => Promise<void>;
}

async function mustPass(s: Scenario, file: string, what: string, io: StageIo): Promise<HapEvent[]> {
  const r = await play(s, file, io);
  if (r.code !== 0) throw new HapError(`${what} of scenario '${s.name}' failed (exit ${r.code})`);
  return r.events;
}

export const STAGES: Stage[] = [
  {
    name: 'create',
    run: async (s, io) => {
      // new hosts start a new cluster: the previous one's inventory, PKI and backups go first
      // (figures and logs beside the work directory stay for the tests that read them)
      if (!(await labList()).includes(s.lab)) {
        await Promise.all([workDir(s), `${workDir(s)}-pki`].map((d) => rm(d, { recursive: true, force: true })));
      }
      const lab = await labUp({ name: s.lab, hosts: s.hosts, inventory: `${workDir(s)}/lab.yml`, log: io.log });
      await writeScenarioInventory(s, lab.hosts, lab.keyFile);
      io.log(`  ${lab.hosts.length} hosts up on ${lab.subnet} (lab ${s.lab})`);
    },
  },
  { name: 'prepare', shouldRun: (s) => !!s.playbooks.prepare, run: async (s, io) => void (await mustPass(s, s.playbooks.prepare!, 'prepare', io)) },
  { name: 'converge', run: async (s, io) => void (await mustPass(s, s.playbooks.converge, 'converge', io)) },
  {
    name: 'idempotence',
    shouldRun: (s) => s.idempotence,
    run: async (s, io) => {
      const events = await mustPass(s, s.playbooks.converge, 'second converge', io);
      const changed = events.filter((e) => e.event === 'host_result' && e.status === 'changed' && e.item === undefined);
      if (changed.length) {
        const lines = changed.map((e) => (e.event === 'host_result' ? `${e.host}: ${e.task}` : ''));
        throw new HapError(`idempotence: the second converge changed ${changed.length} task(s):\n  ${lines.join('\n  ')}`);
      }
      io.log('  second converge: changed=0');
    },
  },
  { name: 'side_effect', shouldRun: (s) => !!s.playbooks.side_effect, run: async (s, io) => void (await mustPass(s, s.playbooks.side_effect!, 'side_effect', io)) },
  { name: 'verify', shouldRun: (s) => !!s.playbooks.verify, run: async (s, io) => void (await mustPass(s, s.playbooks.verify!, 'verify', io)) },
  { name: 'destroy', run: async (s) => void (await labDown(s.lab)) },
];

/** Runs the named stages in order; `destroy` runs even after a failure when it was asked for. */
export async function runStages(s: Scenario & { idempotence: boolean }, names: Stage['name'][], io: StageIo): Promise<void> {
  let failure: unknown;
  for (const name of names) {
    const stage = STAGES.find((x) => x.name === name)!;
    if (failure && stage.name !== 'destroy') continue;
    if (stage.shouldRun && !stage.shouldRun(s)) continue;
    io.log(`--> ${s.name}: ${stage.name}`);
    const t0 = Date.now();
    try {
      await stage.run(s, io);
      io.log(`    ${stage.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failure ??= e;
      io.log(`    ${stage.name} FAILED: ${(e as Error).message}`);
    }
  }
  if (failure) throw failure;
}
