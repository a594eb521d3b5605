import type { Inventory } from './types.ts';

function byCodepoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Like `ansible-inventory --list --export`: host vars under _meta.hostvars, each group with its
 * direct hosts, children and own vars (group vars are not folded into hosts: the ladder does
 * that). Empty keys and empty groups are left out; keys sorted as Ansible's JSON output.
 */
export function inventoryList(inv: Inventory): Record<string, unknown> {
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const name of [...inv.hosts.keys()].sort(byCodepoint)) {
    const h = inv.hosts.get(name);
    if (h && !h.implicit && Object.keys(h.vars).length) hostvars[name] = h.vars;
  }
  const out: Record<string, unknown> = { _meta: { hostvars } };
  for (const name of [...inv.groups.keys()].sort(byCodepoint)) {
    const g = inv.groups.get(name);
    if (!g) continue;
    const entry: Record<string, unknown> = {};
    if (g.children.length) entry.children = [...g.children];
    if (name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
    if (Object.keys(g.vars).length) entry.vars = g.vars;
    if (Object.keys(entry).length) out[name] = entry;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => byCodepoint(a, b)));
}

/** Like `ansible-inventory --graph [group]`: each group's children, then its direct hosts. */
export function inventoryGraph(inv: Inventory, root = 'all'): string {
  const lines: string[] = [];
  const indent = (depth: number, name: string): string => (depth ? `${'  |'.repeat(depth)}--${name}` : name);
  const walk = (name: string, depth: number): void => {
    const g = inv.groups.get(name);
    if (!g) return;
    lines.push(indent(depth, `@${name}:`));
    for (const c of g.children) walk(c, depth + 1);
    if (name !== 'all') for (const h of g.hosts) lines.push(indent(depth + 1, h));
  };
  walk(root, 0);
  return lines.join('\n');
}
