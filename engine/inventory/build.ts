import { isDeepStrictEqual } from 'node:util';
import { formatPos, HapError, type SourcePos } from '../source/errors.ts';
import { keyPosOf, posOf, setPos } from '../source/yaml.ts';
import { expandHostRange, splitHostPort } from './ranges.ts';
import type { InvGroup, InvHost, Inventory, VarSource } from './types.ts';

/** A parsed, validated inventory file. */
export interface InventoryDoc {
  file: string;
  doc: unknown;
}

/** A parsed, validated group_vars/ or host_vars/ file, for the group or host it is named after. */
export interface VarsDoc {
  name: string;
  file: string;
  doc: unknown;
}

type Obj = Record<string, unknown>;

interface VarTarget {
  vars: Record<string, unknown>;
  varPos: Record<string, VarSource>;
}

/**
 * Builds an inventory from parsed, validated files (pure: no IO). Collects every problem; the
 * inventory is missing only when groups form a cycle.
 */
export function buildInventory(source: string, docs: InventoryDoc[]): { inventory?: Inventory; errors: HapError[] } {
  const b = new Builder();
  for (const { file, doc } of docs) {
    if (!isObj(doc)) continue;
    for (const [name, def] of Object.entries(doc)) b.group(name, def, undefined, keyPosOf(doc, name) ?? { file, line: 1, col: 1 });
  }
  const acyclic = b.reconcile();
  return { inventory: acyclic ? b.finish(source) : undefined, errors: b.errors };
}

/**
 * Adds group_vars/ or host_vars/ files to the inventory being loaded. Two files giving one
 * name is an error (which wins would hang on file order); so is a file contradicting an
 * inline value.
 */
export function addVarsFiles(inv: Inventory, kind: 'group' | 'host', files: VarsDoc[], override = false): HapError[] {
  const errors: HapError[] = [];
  const fromFile = new Set<string>();
  for (const { name, doc } of files) {
    const t = kind === 'group' ? inv.groups.get(name) : inv.hosts.get(name);
    if (!t || !isObj(doc)) continue;
    for (const [k, v] of Object.entries(doc)) {
      const pos = posOf(doc, k) ?? { file: '<unknown>', line: 1, col: 1 };
      const prev = t.varPos[k];
      // override: the playbook's group_vars/ and host_vars/ win over the inventory's, as in Ansible
      if (prev && (fromFile.has(`${name}\0${k}`) || (!override && !isDeepStrictEqual(t.vars[k], v)))) {
        errors.push(twice(k, `${kind} '${name}'`, pos, prev));
        continue;
      }
      t.vars[k] = v;
      t.varPos[k] = pos;
      fromFile.add(`${name}\0${k}`);
    }
  }
  return errors;
}

function twice(key: string, owner: string, pos: SourcePos, prev: SourcePos): HapError {
  return new HapError(`variable '${key}' of ${owner} is defined twice: here and at ${formatPos(prev)}; keep one`, pos);
}

/** A mapping made from a string value, keeping the string's position for its key. */
function atPos(obj: Obj, parent: unknown, key: string): Obj {
  const p = posOf(parent, key);
  if (p) setPos(obj, p);
  return obj;
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

interface GroupDraft extends VarTarget {
  name: string;
  hosts: string[];
  hostSet: Set<string>;
  children: string[];
  parents: string[];
}

interface HostDraft extends VarTarget {
  name: string;
}

class Builder {
  readonly groups = new Map<string, GroupDraft>();
  readonly hosts = new Map<string, HostDraft>();
  readonly order: string[] = [];
  readonly errors: HapError[] = [];
  /** Where each parent → child edge was written, for cycle errors. */
  private readonly edges = new Map<string, SourcePos>();

  constructor() {
    // as Ansible: ungrouped is all's first child
    this.link(this.ensureGroup('all'), this.ensureGroup('ungrouped'), undefined);
  }

  private ensureGroup(name: string): GroupDraft {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], hostSet: new Set(), children: [], parents: [], vars: {}, varPos: {} };
      this.groups.set(name, g);
    }
    return g;
  }

  private link(parent: GroupDraft, child: GroupDraft, pos: SourcePos | undefined): void {
    if (parent.children.includes(child.name)) return;
    parent.children.push(child.name);
    child.parents.push(parent.name);
    if (pos) this.edges.set(`${parent.name}\0${child.name}`, pos);
  }

  group(name: string, def: unknown, parent: GroupDraft | undefined, pos: SourcePos): void {
    const g = this.ensureGroup(name);
    if (parent) this.link(parent, g, pos);
    if (!isObj(def)) return;
    // sections in the order written, as Ansible's yaml plugin: it decides the order hosts are met
    for (const [section, raw] of Object.entries(def)) {
      // `hosts: test5` is `hosts: { test5: }`, as Ansible reads it
      const body = typeof raw === 'string' && section !== 'vars' ? atPos({ [raw]: null }, def, section) : raw;
      if (!isObj(body)) continue;
      if (section === 'hosts') for (const [key, hv] of Object.entries(body)) this.hostEntry(g, body, key, hv);
      else if (section === 'vars') this.addVars(g, `group '${name}'`, body);
      else if (section === 'children') for (const [child, cdef] of Object.entries(body)) this.group(child, cdef, g, keyPosOf(body, child) ?? pos);
    }
  }

  private hostEntry(g: GroupDraft, hosts: Obj, key: string, hv: unknown): void {
    const keyPos = keyPosOf(hosts, key);
    const { host, port, literal } = splitHostPort(key);
    let names: string[];
    try {
      names = literal ? [host] : expandHostRange(host);
    } catch (e) {
      this.errors.push(new HapError((e as Error).message, keyPos));
      return;
    }
    for (const name of names) {
      let h = this.hosts.get(name);
      if (!h) {
        h = { name, vars: {}, varPos: {} };
        this.hosts.set(name, h);
        this.order.push(name);
      }
      if (!g.hostSet.has(name)) {
        g.hostSet.add(name);
        g.hosts.push(name);
      }
      if (port !== undefined && keyPos) this.setVar(h, `host '${name}'`, 'ansible_port', port, keyPos);
      if (isObj(hv)) this.addVars(h, `host '${name}'`, hv);
    }
  }

  private addVars(t: VarTarget, owner: string, vars: Obj): void {
    for (const [k, v] of Object.entries(vars)) {
      const pos = posOf(vars, k) ?? { file: '<unknown>', line: 1, col: 1 };
      this.setVar(t, owner, k, v, pos);
    }
  }

  /** A host or group listed twice may repeat a var, but not give it another value. */
  private setVar(t: VarTarget, owner: string, key: string, value: unknown, pos: SourcePos): void {
    const prev = t.varPos[key];
    if (prev) {
      if (!isDeepStrictEqual(t.vars[key], value)) this.errors.push(twice(key, owner, pos, prev));
      return;
    }
    t.vars[key] = value;
    t.varPos[key] = pos;
  }

  /** As Ansible: top-level groups hang under all; hosts in no other group go to ungrouped. */
  reconcile(): boolean {
    const all = this.ensureGroup('all');
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.link(all, g, undefined);
    }
    if (this.findCycles().length) return false;
    const ungrouped = this.ensureGroup('ungrouped');
    const inOther = new Set<string>();
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.name !== 'ungrouped') for (const h of g.hosts) inOther.add(h);
    }
    // as Ansible's reconcile: a host listed under ungrouped and also elsewhere leaves it; hosts
    // in no group join it after those listed there, in the order hosts were first met
    const listed = ungrouped.hosts.filter((h) => !inOther.has(h));
    ungrouped.hosts = [...listed, ...this.order.filter((h) => !inOther.has(h) && !listed.includes(h))];
    ungrouped.hostSet = new Set(ungrouped.hosts);
    return true;
  }

  /** Reports each group cycle once, at the edge (child key) that closes it. */
  private findCycles(): string[][] {
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const found: string[][] = [];
    const visit = (name: string): void => {
      state.set(name, 'open');
      stack.push(name);
      for (const c of this.groups.get(name)?.children ?? []) {
        const s = state.get(c);
        if (s === 'open') {
          const cycle = [...stack.slice(stack.indexOf(c)), c];
          found.push(cycle);
          this.errors.push(
            new HapError(
              `group '${c}' is its own ancestor: ${cycle.join(' → ')}; remove one of these children entries`,
              this.edges.get(`${name}\0${c}`) ?? this.cycleEdgePos(cycle),
            ),
          );
        } else if (s === undefined) visit(c);
      }
      stack.pop();
      state.set(name, 'done');
    };
    visit('all');
    for (const name of this.groups.keys()) if (!state.has(name)) visit(name);
    return found;
  }

  private cycleEdgePos(cycle: string[]): SourcePos | undefined {
    for (let i = 0; i + 1 < cycle.length; i++) {
      const p = this.edges.get(`${cycle[i]}\0${cycle[i + 1]}`);
      if (p) return p;
    }
    return undefined;
  }

  finish(source: string): Inventory {
    const depth = new Map<string, number>();
    const depthOf = (name: string): number => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      const parents = this.groups.get(name)?.parents ?? [];
      const d = parents.length ? Math.max(...parents.map(depthOf)) + 1 : 0;
      depth.set(name, d);
      return d;
    };
    const groups = new Map<string, InvGroup>();
    for (const g of this.groups.values()) {
      groups.set(g.name, {
        name: g.name,
        hosts: [...g.hosts],
        children: g.children,
        parents: g.parents,
        depth: depthOf(g.name),
        vars: g.vars,
        varPos: g.varPos,
      });
    }
    const ancestors = (name: string, into: Set<string>): void => {
      if (into.has(name)) return;
      into.add(name);
      for (const p of this.groups.get(name)?.parents ?? []) ancestors(p, into);
    };
    const hosts = new Map<string, InvHost>();
    for (const name of this.order) {
      const member = new Set<string>(['all']);
      for (const g of this.groups.values()) if (g.hostSet.has(name)) ancestors(g.name, member);
      const h = this.hosts.get(name);
      const sorted = [...member].sort((a, b) => depthOf(a) - depthOf(b) || (a < b ? -1 : a > b ? 1 : 0));
      hosts.set(name, { name, groups: sorted, vars: h?.vars ?? {}, varPos: h?.varPos ?? {} });
    }
    return { source, hosts, groups, order: [...this.order] };
  }
}
