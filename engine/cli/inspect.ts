import { inventoryGraph, inventoryList } from '../inventory/index.ts';
import { HapError, HapErrors } from '../source/errors.ts';
import { explainVar, mergeVars } from '../vars/ladder.ts';
import { lazyScope } from '../vars/lazy.ts';
import { BadOptions, type parseRunArgs } from './args.ts';
import { EXIT } from './exit-codes.ts';
import { parseExtraVars } from './extra-vars.ts';
import { loadBoth } from './load.ts';
import type { Io } from './run.ts';
import { defaultOptions, sleep, type RunContext } from '../executor/context.ts';
import { checkPlaybookGates } from '../executor/play.ts';

type Args = ReturnType<typeof parseRunArgs>;

/** `hap validate PLAYBOOK -i INV`: every error at once, nothing contacted. */
export async function validateCommand(a: Args, io: Io): Promise<number> {
  const file = a.positionals[1];
  if (!file) throw new BadOptions('usage: hap validate PLAYBOOK -i INVENTORY');
  const { playbook, inventory } = await loadBoth(file, a.values.inventory?.[0]);
  // the plays' gates check their settings against the inventory too (nothing is contacted)
  const options = defaultOptions({ extra: await parseExtraVars(a.values['extra-vars'] ?? []) });
  const ctx = { options, inventory, emit: () => {}, signal: new AbortController().signal, sleep, now: Date.now } as unknown as RunContext;
  for (const w of await checkPlaybookGates(ctx, playbook!)) io.err(`WARNING: ${w}`);
  io.out(`${file}: valid`);
  return EXIT.ok;
}

/** `hap inventory -i INV --list | --graph | --host H` (ansible-inventory's shapes). */
export async function inventoryCommand(a: Args, io: Io): Promise<number> {
  const { inventory } = await loadBoth(undefined, a.values.inventory?.[0]);
  if (a.values.graph) io.out(inventoryGraph(inventory, a.positionals[1] ?? 'all'));
  else if (a.values.host) {
    const { vars } = mergeVars({ inventory, host: a.values.host });
    io.out(JSON.stringify(vars, null, 2));
  } else io.out(JSON.stringify(inventoryList(inventory), null, 2));
  return EXIT.ok;
}

/**
 * `hap vars -i INV --host H [--explain NAME] [PLAYBOOK]`: the host's variables, or for one
 * name the winning value, its layer and source, and what it shadows.
 */
export async function varsCommand(a: Args, io: Io): Promise<number> {
  const host = a.values.host;
  if (!host) throw new BadOptions('usage: hap vars -i INVENTORY --host HOST [--explain NAME] [PLAYBOOK]');
  // with a playbook, its group_vars/ and host_vars/ count too (loadBoth reads them)
  const { inventory, playbook } = await loadBoth(a.positionals[1], a.values.inventory?.[0]);
  if (!inventory.hosts.has(host)) throw new HapError(`host '${host}' is not in the inventory`);
  const play = playbook?.plays[0];
  const extra = await parseExtraVars(a.values['extra-vars'] ?? []);
  const input = { inventory, host, play, extra };
  const name = a.values.explain;
  if (name) {
    const defs = explainVar(input, name);
    if (defs.length === 0) throw new HapErrors([new HapError(`'${name}' is not defined for host '${host}'`)]);
    const { vars, origins } = mergeVars(input);
    const rendered = lazyScope(vars, origins, { inventory_hostname: host })[name];
    io.out(`${name} = ${JSON.stringify(rendered)}`);
    defs.forEach((d, i) => io.out(`  ${i === 0 ? 'from' : 'shadows'} ${d.layer}: ${d.source} = ${JSON.stringify(d.value)}`));
    return EXIT.ok;
  }
  const { vars, origins } = mergeVars(input);
  for (const k of Object.keys(vars).sort()) io.out(`${k} = ${JSON.stringify(vars[k])}\t# ${origins[k]!.layer}: ${origins[k]!.source}`);
  return EXIT.ok;
}
