import type { Inventory } from './types.ts';

/**
 * Puts a host into a group for the rest of the run (`group_by`), creating the group under
 * `all` (or under `parents`, created the same way) as Ansible's group_by does. In memory only.
 */
export function addHostToGroup(inv: Inventory, host: string, group: string, parents: string[] = ['all']): void {
  const h = inv.hosts.get(host);
  if (!h) return;
  const ensure = (name: string, parent: string): void => {
    let g = inv.groups.get(name);
    if (!g) {
      const p = inv.groups.get(parent);
      g = { name, hosts: [], children: [], parents: [parent], depth: (p?.depth ?? 0) + 1, vars: {}, varPos: {} };
      inv.groups.set(name, g);
      if (p && !p.children.includes(name)) p.children.push(name);
    }
    if (!h.groups.includes(name)) h.groups.push(name);
  };
  for (const p of parents) if (p !== 'all') ensure(p, 'all');
  for (const p of parents) ensure(group, p);
  const g = inv.groups.get(group)!;
  if (!g.hosts.includes(host)) g.hosts.push(host);
  h.groups.sort((a, b) => (inv.groups.get(a)?.depth ?? 0) - (inv.groups.get(b)?.depth ?? 0) || a.localeCompare(b));
}
