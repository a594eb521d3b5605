import { relative } from 'node:path';
import { EXIT, runExitCode } from '../cli/exit-codes.ts';
import type { RunContext } from '../executor/context.ts';
import { runPlaybook } from '../executor/play.ts';
import type { Reporter } from '../output/events.ts';
import type { Playbook } from '../playbook/types.ts';
import { HapError } from '../source/errors.ts';
import { redacting } from '../vault/redact.ts';
import { ClusterLock, lockHosts, lockTargets } from './cluster-lock.ts';
import { HealthSampler } from './health-sampler.ts';
import type { Interrupts } from './interrupt.ts';
import { Journal, newRunId, type Outcome } from './journal.ts';
import { lockRecord } from './lock.ts';
import { batchesDone, lastUnfinished, listRuns, resumeRecord, resumeState } from './runs.ts';

export interface OperateOptions {
  runsDir: string;
  /** Absolute paths: a run is resumed by the same playbook and inventory. */
  playbook: string;
  inventory: string;
  resume: boolean;
  /** --lock: lock every targeted host, not only quorum groups. */
  lock: boolean;
  interrupts: Interrupts;
  /** Messages for stderr (lock refusals, the journal's path). */
  say: (msg: string) => void;
}

const OUTCOME: Record<number, Outcome> = {
  [EXIT.ok]: 'ok',
  [EXIT.hostFailed]: 'failed',
  [EXIT.hostUnreachable]: 'unreachable',
  [EXIT.playAborted]: 'aborted',
  [EXIT.interrupted]: 'interrupted',
  [EXIT.locked]: 'refused',
};

const tee = (...rs: Reporter[]): Reporter => (e) => rs.forEach((r) => r(e));

/**
 * A playbook run made safe to operate: a journal of every event, the cluster lock around the
 * run, resume of an interrupted run, and a clean stop on the first Ctrl-C.
 */
export async function operate(base: RunContext, playbook: Playbook, o: OperateOptions): Promise<number> {
  const check = base.options.check;
  const prev = lastUnfinished(await listRuns(o.runsDir), o.playbook, o.inventory);
  const how = `hap run ${relative(process.cwd(), o.playbook) || o.playbook} -i ${relative(process.cwd(), o.inventory) || o.inventory} --resume`;
  if (o.resume && !prev) throw new HapError(`--resume: no unfinished run of ${o.playbook} with ${o.inventory} in ${o.runsDir}`);
  const resume = o.resume && prev ? resumeState(prev) : undefined;
  const journal = new Journal(o.runsDir, {
    run: newRunId(),
    playbook: o.playbook,
    inventory: o.inventory,
    check,
    ...(base.options.limit !== undefined ? { limit: base.options.limit } : {}),
    ...(resume ? resumeRecord(resume) : {}),
  });
  const record = tee(base.emit, redacting(journal.reporter, base.vault?.revealed ?? new Set()));
  const ctx: RunContext = { ...base, emit: record, signal: o.interrupts.abort.signal, stop: o.interrupts.stop.signal, resume };
  const sampler = new HealthSampler(ctx, playbook, record);
  ctx.emit = tee(record, sampler.reporter);
  if (prev && !resume && !check) {
    ctx.emit({ event: 'warning', msg: `run ${prev.id} of this playbook and inventory (started ${prev.start.started}) did not finish (${batchesDone(prev)} batches completed); '${how}' continues it` });
  }
  const hosts = check ? [] : lockHosts(ctx, playbook, o.lock);
  const lock = hosts.length ? new ClusterLock(lockTargets(ctx, hosts), lockRecord(journal.start.run, o.playbook), (msg) => ctx.emit({ event: 'warning', msg })) : undefined;
  o.interrupts.onHardStop(() => {
    journal.reporter({ event: 'warning', msg: 'second interrupt: stopped at once, in the middle of the running tasks' });
    journal.end('interrupted', EXIT.interrupted);
    // the process exits shortly; the lock is released in that moment if the hosts answer
    void lock?.release();
  });
  let exit: number = EXIT.unexpected;
  try {
    const refused = await lock?.acquire(resume?.of);
    if (refused) {
      o.say(`ERROR: refused before any change: ${refused}`);
      exit = EXIT.locked;
      return exit;
    }
    if (lock) ctx.emit({ event: 'info', msg: `cluster lock taken on ${lock.hosts.join(', ')} (run ${journal.start.run})` });
    const summary = await runPlaybook(ctx, playbook);
    const counts = Object.fromEntries([...summary.hosts].map(([h, s]) => [h, s.counts]));
    exit = ctx.stop?.aborted ? EXIT.interrupted : runExitCode(counts, summary.aborted !== undefined);
    return exit;
  } catch (e) {
    exit = ctx.signal.aborted ? EXIT.interrupted : e instanceof HapError ? EXIT.error : EXIT.unexpected;
    throw e;
  } finally {
    await sampler.close();
    await lock?.release();
    journal.end(OUTCOME[exit] ?? 'error', exit);
    // a clean run stays quiet on stderr; one that did not succeed says where its journal is
    if (exit !== EXIT.ok || base.options.verbosity > 0) o.say(`run ${journal.start.run}: journal ${journal.path}`);
  }
}
