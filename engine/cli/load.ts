import { resolve } from 'node:path';
import { addPlaybookVars, loadInventory, type Inventory } from '../inventory/index.ts';
import { loadPlaybook } from '../playbook/load.ts';
import type { Playbook } from '../playbook/types.ts';
import { HapError, HapErrors } from '../source/errors.ts';

/**
 * Ansible's implicit localhost: usable by name without being in the inventory; in no group's
 * host list and not listed, but it reads `all`'s variables as Ansible's does.
 */
export function addImplicitLocalhost(inv: Inventory): void {
  if (inv.hosts.has('localhost')) return;
  inv.hosts.set('localhost', { name: 'localhost', groups: ['all'], vars: { ansible_connection: 'local' }, varPos: {}, implicit: true });
}

const asErrors = (e: unknown): HapError[] => {
  if (e instanceof HapErrors) return e.errors;
  if (e instanceof HapError) return [e];
  throw e;
};

/** Loads inventory and playbook, collecting every error of both before failing. */
export async function loadBoth(playbookFile: string | undefined, inventoryPath: string | undefined): Promise<{ playbook?: Playbook; inventory: Inventory }> {
  const errors: HapError[] = [];
  let inventory: Inventory | undefined;
  let playbook: Playbook | undefined;
  if (!inventoryPath) errors.push(new HapError('no inventory given: use -i INVENTORY (a YAML file or a directory)'));
  else {
    try {
      inventory = await loadInventory(resolve(inventoryPath));
      addImplicitLocalhost(inventory);
    } catch (e) {
      errors.push(...asErrors(e));
    }
  }
  if (playbookFile) {
    try {
      playbook = await loadPlaybook(playbookFile);
    } catch (e) {
      errors.push(...asErrors(e));
    }
  }
  if (inventory && playbook) {
    try {
      await addPlaybookVars(inventory, playbook.dir);
    } catch (e) {
      errors.push(...asErrors(e));
    }
  }
  if (playbook && inventory) errors.push(...crossErrors(playbook, inventory));
  if (errors.length) throw new HapErrors(errors);
  return { playbook, inventory: inventory! };
}

/** What only playbook and inventory together show: a quorum group the inventory lacks. */
function crossErrors(playbook: Playbook, inventory: Inventory): HapError[] {
  const errors: HapError[] = [];
  for (const play of playbook.plays) {
    const group = play.quorum?.group;
    if (group === undefined || inventory.groups.has(group)) continue;
    const known = [...inventory.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped');
    errors.push(new HapError(`quorum.group '${group}' names no group of the inventory (its groups: ${known.join(', ') || 'none'})`, play.quorum!.pos));
  }
  return errors;
}
