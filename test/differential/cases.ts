import { readFileSync, readdirSync, statSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const HERE = fileURLToPath(new URL('.', import.meta.url));
const INVENTORIES = join(HERE, 'fixtures/inventories');

/** A case marked as differing: for good (a README row names it) or until another branch lands. */
export interface Marker {
  /** The key of the row in README's "Differences from Ansible" table. */
  difference?: string;
  /** Expected to pass once this work lands (e.g. "input: YAML 1.1"). */
  pending?: string;
}

interface Base extends Marker {
  id: string;
  inventory: string;
}
export type Case =
  | (Base & { kind: 'inventory'; what: 'list' | 'graph' | 'hostvars' })
  | (Base & { kind: 'pattern'; pattern: string; limit?: string; error?: boolean })
  | (Base & { kind: 'play'; play: string; files: Record<string, string>; args: string[] });

type PlaySpec = { name: string; inventory?: string; play: string; files?: Record<string, string>; args?: string[] };
type PatternSpec = { inventory: string; patterns?: string[]; limits?: string[]; errors?: string[] };

const yamlOf = <T>(file: string): T => parse(readFileSync(join(HERE, 'cases', file), 'utf8')) as T;

/** Every case of cases/*.yml, with its marker from cases/differences.yml. */
export function loadCases(): Case[] {
  const marks = yamlOf<Record<string, Marker>>('differences.yml') ?? {};
  const out: Case[] = [];
  for (const name of yamlOf<string[]>('inventories.yml')) {
    for (const what of ['list', 'graph', 'hostvars'] as const) out.push({ id: `inventory ${name} ${what}`, kind: 'inventory', what, inventory: name });
  }
  for (const spec of yamlOf<PatternSpec[]>('patterns.yml')) {
    for (const pattern of spec.patterns ?? []) out.push({ id: `pattern ${spec.inventory} ${pattern}`, kind: 'pattern', inventory: spec.inventory, pattern });
    for (const limit of spec.limits ?? []) out.push({ id: `limit ${spec.inventory} ${limit}`, kind: 'pattern', inventory: spec.inventory, pattern: 'all', limit });
    for (const pattern of spec.errors ?? []) out.push({ id: `pattern ${spec.inventory} ${pattern}`, kind: 'pattern', inventory: spec.inventory, pattern, error: true });
  }
  for (const file of readdirSync(join(HERE, 'cases')).filter((f) => f.startsWith('plays-')).sort()) {
    for (const p of yamlOf<PlaySpec[]>(file)) {
      out.push({ id: `play ${p.name}`, kind: 'play', inventory: p.inventory ?? 'local', play: p.play, files: p.files ?? {}, args: p.args ?? [] });
    }
  }
  const ids = new Set(out.map((c) => c.id));
  for (const id of Object.keys(marks)) if (!ids.has(id)) throw new Error(`cases/differences.yml names no case: '${id}'`);
  return out.map((c) => ({ ...c, ...marks[c.id] }));
}

function statSafe(p: string) {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** Writes a work directory: the inventory fixture and the given files. */
export async function materialize(dir: string, inventory: string, files: Record<string, string>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const src = statSafe(join(INVENTORIES, inventory)) ? join(INVENTORIES, inventory) : join(INVENTORIES, `${inventory}.yml`);
  const inv = statSafe(src)?.isDirectory() ? join(dir, 'inventory') : join(dir, 'inventory.yml');
  await cp(src, inv, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return inv;
}
