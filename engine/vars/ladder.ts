/**
 * The precedence ladder: six layers, lowest first. Every value records where it came from
 * (`hap vars --explain`). Two different definitions of one name on one layer are an error,
 * except where the layer has a documented inner order (deeper groups over shallower ones;
 * a task's vars over its block's over the play's).
 *
 *   1 role_defaults   roles/<r>/defaults/main.yml (the running role's own defaults win)
 *   2 group_vars      inventory group vars: all < parent < child; same depth + different value = error
 *                     (unless a deeper group of the host sets it too)
 *   3 host_vars       inventory host vars (hosts.yml inline, host_vars/)
 *   4 play            play vars < vars_files < role vars/ < role params < block vars < task vars
 *   5 runtime         set_fact and register results of this host, this run
 *   6 extra           -e / --extra-vars (always win)
 *
 * Facts are not a layer: they live under `ansible_facts` (and `ansible_<name>`); magic
 * variables (inventory_hostname, groups, hostvars, …) are computed and cannot be set.
 */
import { HapError, type SourcePos, formatPos } from '../source/errors.ts';
import type { Inventory } from '../inventory/index.ts';
import type { Play, RoleEntry } from '../playbook/types.ts';

export const LAYERS = ['role_defaults', 'group_vars', 'host_vars', 'play', 'runtime', 'extra'] as const;
export type Layer = (typeof LAYERS)[number];

export const MAGIC = new Set([
  'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'hostvars',
  'ansible_play_batch', 'ansible_play_hosts', 'ansible_play_hosts_all', 'playbook_dir',
  'role_path', 'role_name', 'inventory_dir', 'inventory_file', 'ansible_check_mode',
  'ansible_diff_mode', 'ansible_verbosity', 'ansible_limit', 'ansible_facts',
]);

export interface VarOrigin {
  layer: Layer;
  source: string;
}

export interface ExtraVars {
  values: Record<string, unknown>;
  sources: Record<string, string>;
}

/** Everything the ladder needs for one host at one point of the run. */
export interface LadderInput {
  inventory: Inventory;
  host: string;
  play?: Play;
  roleEntry?: RoleEntry;
  taskVars?: Record<string, unknown>;
  runtime?: Record<string, unknown>;
  extra?: ExtraVars;
}

type Frame = { layer: Layer; values: Record<string, unknown>; source: (k: string) => string };

const at = (p: SourcePos | undefined, fallback: string) => (p ? formatPos(p) : fallback);

/** The inventory's group vars for a host, with the depth rule and same-depth conflict check. */
export function groupVarFrames(inv: Inventory, host: string): Frame[] {
  const h = inv.hosts.get(host);
  if (!h) throw new HapError(`host '${host}' is not in the inventory ${inv.source}`);
  const groups = h.groups.map((g) => inv.groups.get(g)!).filter(Boolean);
  groups.sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name));
  const frames: Frame[] = [];
  const byDepth = new Map<number, Map<string, { value: unknown; group: string }>>();
  // a conflict a deeper group of this host settles is no conflict (a diamond of groups)
  const decidedBelow = (k: string, depth: number) => groups.some((o) => o.depth > depth && k in o.vars);
  for (const g of groups) {
    const seen = byDepth.get(g.depth) ?? new Map();
    byDepth.set(g.depth, seen);
    for (const [k, v] of Object.entries(g.vars)) {
      const prev = seen.get(k);
      if (prev && JSON.stringify(prev.value) !== JSON.stringify(v) && !decidedBelow(k, g.depth)) {
        const other = inv.groups.get(prev.group)!;
        throw new HapError(
          `variable '${k}' for host '${host}' is set differently by groups '${prev.group}' (${at(other.varPos[k], prev.group)}) and '${g.name}' at the same depth; set it in one place, in a child group, or in host_vars`,
          g.varPos[k],
        );
      }
      seen.set(k, { value: v, group: g.name });
    }
    frames.push({ layer: 'group_vars', values: g.vars, source: (k) => `${at(g.varPos[k], `group_vars/${g.name}`)} (group ${g.name})` });
  }
  return frames;
}

function frames(input: LadderInput): Frame[] {
  const { inventory: inv, host, play, roleEntry } = input;
  const out: Frame[] = [];
  if (play) {
    const own = roleEntry?.role;
    for (const e of play.roles) {
      if (e.role === own || e.private) continue; // an included role's defaults are its own
      out.push({ layer: 'role_defaults', values: e.role.defaults, source: (k) => at(e.role.defaultsPos[k], `role ${e.role.name} defaults`) });
    }
    if (own) out.push({ layer: 'role_defaults', values: own.defaults, source: (k) => at(own.defaultsPos[k], `role ${own.name} defaults`) });
  }
  out.push(...groupVarFrames(inv, host));
  const h = inv.hosts.get(host)!;
  out.push({ layer: 'host_vars', values: h.vars, source: (k) => at(h.varPos[k], `host ${host}`) });
  if (play) {
    // as Ansible: vars_files win over the play's vars
    out.push({ layer: 'play', values: play.vars, source: (k) => at(play.varsPos[k], 'play vars') });
    out.push({ layer: 'play', values: play.varsFiles, source: (k) => at(play.varsFilesPos[k], 'vars_files') });
    if (roleEntry) {
      const r = roleEntry.role;
      out.push({ layer: 'play', values: r.vars, source: (k) => at(r.varsPos[k], `role ${r.name} vars`) });
      out.push({ layer: 'play', values: roleEntry.params, source: () => `role ${r.name} params` });
    }
  }
  if (input.taskVars) out.push({ layer: 'play', values: input.taskVars, source: () => 'task/block vars' });
  if (input.runtime) out.push({ layer: 'runtime', values: input.runtime, source: () => 'set_fact/register' });
  if (input.extra) {
    const ex = input.extra;
    out.push({ layer: 'extra', values: ex.values, source: (k) => ex.sources[k] ?? 'extra vars' });
  }
  return out;
}

/** Merges the ladder for one host: plain values (not yet templated) and their origins. */
export function mergeVars(input: LadderInput): { vars: Record<string, unknown>; origins: Record<string, VarOrigin> } {
  const vars: Record<string, unknown> = {};
  const origins: Record<string, VarOrigin> = {};
  for (const f of frames(input)) {
    for (const [k, v] of Object.entries(f.values)) {
      if (MAGIC.has(k) && f.layer !== 'runtime') {
        throw new HapError(`'${k}' is a magic variable hap sets itself; it cannot be defined (${f.source(k)})`);
      }
      vars[k] = v;
      origins[k] = { layer: f.layer, source: f.source(k) };
    }
  }
  return { vars, origins };
}

/** For `hap vars --explain NAME`: the winning value and every definition it shadows. */
export function explainVar(input: LadderInput, name: string): Array<VarOrigin & { value: unknown }> {
  const out: Array<VarOrigin & { value: unknown }> = [];
  for (const f of frames(input)) if (name in f.values) out.push({ layer: f.layer, source: f.source(name), value: f.values[name] });
  return out.reverse();
}
