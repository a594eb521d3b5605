import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadInventory } from '../inventory/index.ts';
import { defaultTransports } from '../transport/registry.ts';
import { HapError } from '../source/errors.ts';
import { defaultOptions } from '../executor/context.ts';
import { UnreachableError } from '../transport/types.ts';
import { lockTargets, type LockTarget } from '../ops/cluster-lock.ts';
import { describeLock, isStale, readLock, removeLock } from '../ops/lock.ts';
import { listRuns, outcomeOf, readRun, runsDir, batchesDone, type RunInfo } from '../ops/runs.ts';
import { textReport } from '../report/text.ts';
import { htmlReport } from '../report/html.ts';
import { applyLimit } from '../inventory/index.ts';
import { EXIT } from './exit-codes.ts';
import type { parseRunArgs } from './args.ts';
import type { Io } from './run.ts';

export { OPS_HELP } from './ops-help.ts';

type Args = ReturnType<typeof parseRunArgs>;

async function dirOf(a: Args): Promise<string> {
  const inv = a.values.inventory?.[0];
  if (!inv && !a.values['runs-dir'] && !process.env.HAP_RUNS_DIR) throw new HapError('give -i INVENTORY (journals are kept beside it) or --runs-dir DIR');
  return runsDir(inv ?? '.', a.values['runs-dir']);
}

async function pickRun(a: Args): Promise<RunInfo> {
  const want = a.positionals[1];
  if (want?.endsWith('.jsonl')) {
    const r = await readRun(resolve(want)).catch(() => undefined);
    if (!r) throw new HapError(`${want} is not a hap run journal`);
    return r;
  }
  const dir = await dirOf(a);
  const runs = await listRuns(dir);
  const r = want ? runs.find((x) => x.id === want || x.id.startsWith(want)) : runs.at(-1);
  if (!r) throw new HapError(want ? `no run '${want}' in ${dir} (see hap runs)` : `no runs in ${dir}`);
  return r;
}

async function targets(a: Args): Promise<LockTarget[]> {
  const inv = a.values.inventory?.[0];
  if (!inv) throw new HapError('give -i INVENTORY');
  const inventory = await loadInventory(resolve(inv));
  const hosts = applyLimit(inventory, [...inventory.hosts.keys()], a.values.limit);
  const ctx = { inventory, options: defaultOptions(), transports: defaultTransports() };
  return lockTargets(ctx, hosts);
}

/** Runs fn on every target in parallel; an unreachable host is reported, not fatal. */
async function onEach(ts: LockTarget[], fn: (t: LockTarget, tr: Awaited<ReturnType<LockTarget['open']>>) => Promise<string>): Promise<string[]> {
  return Promise.all(
    ts.map(async (t) => {
      try {
        const tr = await t.open();
        try {
          return `${t.name}: ${await fn(t, tr)}`;
        } finally {
          await tr.close().catch(() => {});
        }
      } catch (e) {
        if (e instanceof UnreachableError) return `${t.name}: unreachable (${e.message})`;
        throw e;
      }
    }),
  );
}

export async function opsCommand(cmd: 'runs' | 'lock' | 'unlock' | 'report', a: Args, io: Io): Promise<number> {
  switch (cmd) {
    case 'runs': {
      const runs = await listRuns(await dirOf(a));
      if (!runs.length) io.out('no runs');
      for (const r of runs) {
        const secs = ((r.end?.t ?? r.lastT) / 1000).toFixed(1);
        const mode = r.start.check ? ' (check)' : r.start.resumes ? ` (resumes ${r.start.resumes})` : '';
        io.out(`${r.id}  ${r.start.started}  ${secs.padStart(7)} s  ${outcomeOf(r).padEnd(12)} ${batchesDone(r)} batches  ${r.start.playbook} -i ${r.start.inventory}${mode}`);
      }
      return EXIT.ok;
    }
    case 'lock':
      for (const l of await onEach(await targets(a), async (t, tr) => {
        const held = await readLock(tr, t.file);
        return held ? (held.rec ? `locked by ${describeLock(held.rec)}` : `unreadable lock ${t.file}`) : 'free';
      }))
        io.out(l);
      return EXIT.ok;
    case 'unlock': {
      let refused = false;
      for (const l of await onEach(await targets(a), async (t, tr) => {
        const held = await readLock(tr, t.file);
        if (!held) return 'free';
        if (held.rec && isStale(held.rec) === false) {
          refused = true;
          return `NOT removed: run ${held.rec.run} is still running here (pid ${held.rec.pid}); stop it first (Ctrl-C releases the lock)`;
        }
        await removeLock(tr, t.file);
        return `removed ${held.rec ? describeLock(held.rec) : 'an unreadable lock'}`;
      }))
        io.out(l);
      return refused ? EXIT.error : EXIT.ok;
    }
    case 'report': {
      const r = await pickRun(a);
      if (a.values.html) {
        await writeFile(a.values.html, htmlReport(r));
        io.out(`wrote ${a.values.html} (run ${r.id})`);
      } else io.out(textReport(r));
      return EXIT.ok;
    }
  }
}
