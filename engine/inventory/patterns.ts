import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HapError } from '../source/errors.ts';
import type { Inventory } from './types.ts';

export interface PatternOptions {
  /** Throw a HapError naming every part of the pattern that matched no host or group. */
  strict?: boolean;
  /** Told about each part that matched nothing (when not strict), as Ansible warns. */
  warn?: (message: string) => void;
  /** Base directory for `@file` limits (default: the process's working directory). */
  cwd?: string;
}

/**
 * Splits a host pattern as Ansible does: on commas when there are any, otherwise on colons
 * outside brackets (so `web[0:2]` and `h[1:3]` stay whole).
 */
export function splitPattern(pattern: string): string[] {
  const parts: string[] = [];
  if (pattern.includes(',')) parts.push(...pattern.split(','));
  else {
    let depth = 0;
    let cur = '';
    for (const c of pattern) {
      if (c === '[') depth++;
      else if (c === ']') depth = Math.max(0, depth - 1);
      if (c === ':' && depth === 0) {
        parts.push(cur);
        cur = '';
      } else cur += c;
    }
    parts.push(cur);
  }
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/**
 * Hosts of each group as Ansible's Group.get_hosts lists them: the group's own hosts in the order
 * written, then its children's, breadth first in the order the children were added.
 */
function membersByGroup(inv: Inventory): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of inv.groups.keys()) {
    const order: string[] = [name];
    const seen = new Set(order);
    for (let i = 0; i < order.length; i++) {
      for (const c of inv.groups.get(order[i]!)?.children ?? []) {
        if (!seen.has(c)) {
          seen.add(c);
          order.push(c);
        }
      }
    }
    const hosts = new Set<string>();
    for (const g of order) for (const h of inv.groups.get(g)?.hosts ?? []) hosts.add(h);
    out.set(name, [...hosts]);
  }
  return out;
}

/** Ansible's `groups` magic variable: every group (all and ungrouped included) → its hosts. */
export function groupsMagic(inv: Inventory): Record<string, string[]> {
  return Object.fromEntries(membersByGroup(inv));
}

/** fnmatch as Python's: `*`, `?`, `[abc]`, `[!abc]`; whole-name, case-sensitive. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', glob[i + 1] === '!' || glob[i + 1] === ']' ? i + 2 : i + 1);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

function matcher(expr: string): (name: string) => boolean {
  try {
    // `~regex` matches from the start of the name, as Python's re.match
    const re = expr.startsWith('~') ? new RegExp(`^(?:${expr.slice(1)})`) : globToRegExp(expr);
    return (name) => re.test(name);
  } catch (e) {
    throw new HapError(`invalid host pattern '${expr}': ${(e as Error).message}`);
  }
}

const SUBSCRIPT = /^(.+)\[(?:(-?\d+)|(\d+)([:-])(\d*))\]$/;

/** `group[0]`, `group[-1]`, `group[1:3]` (inclusive), `group[2:]`; regexes are never subscripted. */
function splitSubscript(expr: string): { expr: string; index?: number; range?: [number, number | undefined] } {
  if (expr.startsWith('~')) return { expr };
  const m = SUBSCRIPT.exec(expr);
  if (!m) return { expr };
  const [, base = '', idx, start, , end] = m;
  if (idx !== undefined) return { expr: base, index: Number(idx) };
  return { expr: base, range: [Number(start), end ? Number(end) : undefined] };
}

/** Ansible's InventoryManager pattern evaluation, order included (no re-sorting). */
class Evaluator {
  private readonly members: Map<string, string[]>;
  readonly unmatched: string[] = [];

  constructor(private readonly inv: Inventory) {
    this.members = membersByGroup(inv);
  }

  /** Hosts of every group the expression names, plus hosts it names (as Ansible's _enumerate_matches). */
  private enumerate(expr: string): string[] {
    const match = matcher(expr);
    const groups = [...this.inv.groups.keys()].filter(match);
    const out: string[] = groups.flatMap((g) => this.members.get(g) ?? []);
    if (groups.length === 0 || expr.startsWith('~') || /[.?*[]/.test(expr)) out.push(...this.inv.order.filter(match));
    if (out.length === 0 && groups.length === 0 && expr !== 'all') this.unmatched.push(expr);
    return out;
  }

  private matchOne(part: string): string[] {
    const { expr, index, range } = splitSubscript(part);
    const hosts = this.enumerate(expr);
    if (hosts.length === 0) return hosts;
    if (index !== undefined) {
      const h = hosts[index < 0 ? hosts.length + index : index];
      if (h === undefined) throw new HapError(`no host matches the subscripted pattern '${part}': it has ${hosts.length} hosts`);
      return [h];
    }
    if (range) return hosts.slice(range[0], range[1] === undefined ? undefined : range[1] + 1);
    return hosts;
  }

  /** Unions first, then intersections (`&`), then exclusions (`!`); only `&`/`!` means all first. */
  evaluate(parts: string[]): string[] {
    const plain = parts.filter((p) => !p.startsWith('&') && !p.startsWith('!'));
    const ordered = [
      ...(plain.length ? plain : ['all']),
      ...parts.filter((p) => p.startsWith('&')),
      ...parts.filter((p) => p.startsWith('!')),
    ];
    let hosts: string[] = [];
    for (const p of ordered) {
      if (this.inv.hosts.has(p)) {
        hosts.push(p);
        continue;
      }
      const that = this.matchOne(p.startsWith('&') || p.startsWith('!') ? p.slice(1) : p);
      const set = new Set(that);
      if (p.startsWith('!')) hosts = hosts.filter((h) => !set.has(h));
      else if (p.startsWith('&')) hosts = hosts.filter((h) => set.has(h));
      else {
        const have = new Set(hosts);
        hosts.push(...that.filter((h) => !have.has(h)));
      }
    }
    return [...new Set(hosts)];
  }
}

function report(unmatched: string[], source: string, opts: PatternOptions): void {
  if (!unmatched.length) return;
  const names = [...new Set(unmatched)];
  if (opts.strict) {
    throw new HapError(
      `${source} matches no host or group: ${names.map((n) => `'${n}'`).join(', ')}; check the names against the inventory`,
    );
  }
  for (const n of names) opts.warn?.(`Could not match supplied host pattern, ignoring: ${n}`);
}

/** The hosts a pattern selects (Ansible semantics), in inventory order. */
export function selectHosts(inv: Inventory, pattern: string, opts: PatternOptions = {}): string[] {
  const ev = new Evaluator(inv);
  const hosts = ev.evaluate(splitPattern(pattern));
  report(ev.unmatched, `host pattern '${pattern}'`, opts);
  return hosts;
}

/** `--limit`: the same patterns, plus `@file` (host names or patterns, one per line). */
export function applyLimit(inv: Inventory, hosts: string[], limit: string | undefined, opts: PatternOptions = {}): string[] {
  if (limit === undefined || limit.trim() === '') return hosts;
  const parts: string[] = [];
  for (const p of splitPattern(limit)) {
    if (!p.startsWith('@')) {
      parts.push(p);
      continue;
    }
    const file = resolve(opts.cwd ?? process.cwd(), p.slice(1));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new HapError(`cannot read limit file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    for (const line of text.split('\n')) {
      const t = line.trim();
      if (t && !t.startsWith('#')) parts.push(t);
    }
  }
  // a limit file with no names selects nothing (Ansible would drop the limit: unsafe)
  if (parts.length === 0) return [];
  const ev = new Evaluator(inv);
  const allowed = new Set(ev.evaluate(parts));
  report(ev.unmatched, `limit '${limit}'`, opts);
  return hosts.filter((h) => allowed.has(h));
}
