import type { SourcePos } from '../source/errors.ts';

/** Where a variable was written (file:line:col of its value). */
export type VarSource = SourcePos;

export interface InvGroup {
  name: string;
  /** Hosts listed directly under this group (not through children), in inventory order. */
  hosts: string[];
  children: string[];
  parents: string[];
  /** all = 0, a child of all = 1, …; the longest path from all when a group has several parents. */
  depth: number;
  /** This group's own vars (inline and group_vars/), not merged with parents: the ladder does that. */
  vars: Record<string, unknown>;
  varPos: Record<string, VarSource>;
}

export interface InvHost {
  name: string;
  /** Every group the host belongs to, directly or through children, 'all' included, sorted by (depth, name). */
  groups: string[];
  /** Inline vars from the inventory plus host_vars/. */
  vars: Record<string, unknown>;
  varPos: Record<string, VarSource>;
  /** Ansible's implicit localhost: usable by name, in no group's host list, not listed. */
  implicit?: boolean;
}

export interface Inventory {
  /** The path given (file or directory). */
  source: string;
  hosts: Map<string, InvHost>;
  groups: Map<string, InvGroup>;
  /** Host names in the order they first appear in the inventory. */
  order: string[];
}
