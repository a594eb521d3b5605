import { spawnSync } from 'node:child_process';
import { HapError } from '../source/errors.ts';
import { labStatus } from '../lab/index.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { listScenarios, loadScenario } from './scenario.ts';
import { runStages, type Stage } from './stages.ts';

const SEQUENCES: Record<string, Stage['name'][]> = {
  test: ['destroy', 'create', 'prepare', 'converge', 'idempotence', 'side_effect', 'verify', 'destroy'],
  create: ['create'],
  prepare: ['create', 'prepare'],
  converge: ['create', 'prepare', 'converge'],
  idempotence: ['idempotence'],
  side_effect: ['side_effect'],
  verify: ['verify'],
  destroy: ['destroy'],
};

/** `hap molecule test|converge|verify|destroy|login SCENARIO|--all`. */
export async function moleculeMain(argv: string[], io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const [verb, target, host] = argv;
  if (!verb || (!SEQUENCES[verb] && verb !== 'login' && verb !== 'list')) {
    io.err('usage: hap molecule test|create|prepare|converge|idempotence|side_effect|verify|destroy|login|list SCENARIO|--all [HOST]');
    return EXIT.badOptions;
  }
  if (verb === 'list') {
    for (const s of await listScenarios()) io.out(s);
    return EXIT.ok;
  }
  if (!target) throw new HapError(`hap molecule ${verb}: name a scenario or --all`);
  if (verb === 'login') {
    const s = await loadScenario(target);
    const st = await labStatus(s.lab);
    const h = st.hosts.find((x) => x.name === (host ?? 'h1'));
    if (!h) throw new HapError(`scenario '${target}' has no running host ${host ?? 'h1'}`);
    const r = spawnSync('ssh', ['-i', '/var/lib/hap-lab/key/id_ed25519', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `root@${h.address}`], { stdio: 'inherit' });
    return r.status ?? 1;
  }
  const names = target === '--all' ? await listScenarios() : [target];
  const failed: string[] = [];
  for (const name of names) {
    const s = await loadScenario(name);
    const t0 = Date.now();
    try {
      await runStages(s, SEQUENCES[verb]!, { log: io.out });
      io.out(`scenario ${name}: ${verb} passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      failed.push(name);
      io.err(`scenario ${name}: ${verb} FAILED: ${(e as Error).message}`);
    }
  }
  return failed.length ? EXIT.hostFailed : EXIT.ok;
}
