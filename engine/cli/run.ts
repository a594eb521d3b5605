import { loadBoth } from './load.ts';
import { parseExtraVars } from './extra-vars.ts';
import { BadOptions, splitList, type parseRunArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import { HapError, HapErrors } from '../source/errors.ts';
import { defaultOptions, sleep, type RunContext, type RunOptions } from '../executor/context.ts';
import { playHosts } from '../executor/play.ts';
import { defaultTransports } from '../transport/registry.ts';
import { prettyReporter } from '../output/pretty.ts';
import { jsonReporter } from '../output/json.ts';
import type { Reporter } from '../output/events.ts';
import { groupVarFrames } from '../vars/ladder.ts';
import { applyLimit, type Inventory } from '../inventory/index.ts';
import type { Playbook, Task } from '../playbook/types.ts';
import { selected } from '../executor/tasks.ts';
import type { Keyring } from '../vault/keyring.ts';
import type { Interrupts } from '../ops/interrupt.ts';
import { operate } from '../ops/operate.ts';
import { runsDir } from '../ops/runs.ts';
import { resolve } from 'node:path';

type Args = ReturnType<typeof parseRunArgs>;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

async function options(a: Args): Promise<RunOptions> {
  const forks = a.values.forks === undefined ? 20 : Number(a.values.forks);
  if (!Number.isInteger(forks) || forks < 1) throw new BadOptions(`--forks must be a positive integer, got '${a.values.forks}'`);
  const output = a.values.output ?? 'pretty';
  if (!['pretty', 'json'].includes(output)) throw new BadOptions(`--output must be pretty or json, got '${output}'`);
  return defaultOptions({
    check: a.values.check ?? false,
    diff: a.values.diff ?? false,
    forks,
    tags: splitList(a.values.tags),
    skipTags: splitList(a.values['skip-tags']),
    limit: a.values.limit,
    extra: await parseExtraVars(a.values['extra-vars'] ?? []),
    verbosity: a.values.verbose?.length ?? 0,
  });
}

/** Host-level problems found before any connection: same-depth group var conflicts. */
function checkHosts(inv: Inventory, playbook: Playbook, ctx: Pick<RunContext, 'inventory' | 'options'>): HapError[] {
  const errs: HapError[] = [];
  const seen = new Set<string>();
  for (const play of playbook.plays) {
    for (const h of playHosts(ctx as RunContext, play)) {
      if (seen.has(h)) continue;
      seen.add(h);
      try {
        groupVarFrames(inv, h);
      } catch (e) {
        if (e instanceof HapError) errs.push(e);
        else throw e;
      }
    }
  }
  return errs;
}

function listTasks(tasks: Task[], o: RunOptions, indent: string, out: string[]): void {
  for (const t of tasks) {
    if (t.kind === 'block') listTasks([...t.block, ...t.rescue, ...t.always], o, indent, out);
    else if (t.kind === 'include') listTasks(t.tasks, o, indent, out);
    else if (selected(t.tags, o.tags, o.skipTags)) out.push(`${indent}${t.origin.role ? `${t.origin.role.name} : ` : ''}${t.name}\tTAGS: [${t.tags.join(', ')}]`);
  }
}

export async function runCommand(a: Args, io: Io, interrupts: Interrupts, vault?: Keyring): Promise<number> {
  const file = a.positionals[1];
  if (!file) throw new BadOptions('usage: hap run PLAYBOOK -i INVENTORY [options]');
  if (!a.values.inventory?.length) throw new BadOptions('no inventory given: use -i INVENTORY (a YAML file or a directory)');
  const opts = await options(a);
  const { playbook, inventory } = await loadBoth(file, a.values.inventory?.[0]);
  const pb = playbook!;
  const base = { inventory, options: opts };
  if (opts.limit !== undefined && applyLimit(inventory, [...inventory.hosts.keys()], opts.limit).length === 0) {
    throw new HapError(`--limit '${opts.limit}' matches no host of the inventory`);
  }
  const hostErrors = checkHosts(inventory, pb, base as RunContext);
  if (hostErrors.length) throw new HapErrors(hostErrors);
  if (a.values['syntax-check']) {
    io.out(`playbook: ${pb.file} (syntax OK)`);
    return EXIT.ok;
  }
  if (a.values['list-hosts'] || a.values['list-tasks']) {
    for (const play of pb.plays) {
      io.out(`play: ${play.name}`);
      if (a.values['list-hosts']) {
        const hosts = playHosts(base as RunContext, play);
        io.out(`  hosts (${hosts.length}):`);
        for (const h of hosts) io.out(`    ${h}`);
      }
      if (a.values['list-tasks']) {
        const out: string[] = [];
        listTasks([...play.preTasks, ...play.tasks, ...play.postTasks], opts, '    ', out);
        io.out('  tasks:');
        for (const l of out) io.out(l);
      }
    }
    return EXIT.ok;
  }
  const emit: Reporter = a.values.output === 'json' ? jsonReporter(io.out) : prettyReporter(io.out, opts.verbosity);
  const ctx: RunContext = {
    options: opts,
    inventory,
    transports: defaultTransports(),
    emit,
    signal: interrupts.abort.signal,
    sleep,
    now: () => Date.now(),
    vault,
  };
  return operate(ctx, pb, {
    runsDir: await runsDir(inventory.source, a.values['runs-dir']),
    playbook: resolve(pb.file),
    inventory: resolve(inventory.source),
    resume: a.values.resume ?? false,
    lock: a.values.lock ?? false,
    interrupts,
    say: io.err,
  });
}
