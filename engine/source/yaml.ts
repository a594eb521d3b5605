import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { HapError, HapErrors, type SourcePos } from './errors.ts';
import { hideLeaves, vaultFile, vaultScalar, vaultTag } from './yaml-vault.ts';

/** Where each container and each of its entries came from. */
interface Positions {
  self: SourcePos;
  /** Position of each entry's value (map key or array index). */
  entries: Map<string | number, SourcePos>;
  /** Position of each map key itself. */
  keys: Map<string, SourcePos>;
}

/**
 * Positions of parsed containers, kept beside the plain values so the rest of the engine
 * works with ordinary objects and still names file:line:col in its errors.
 */
const positions = new WeakMap<object, Positions>();

/** The position of a container, or of its entry `key`, when known. */
export function posOf(value: unknown, key?: string | number): SourcePos | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const p = positions.get(value);
  if (!p) return undefined;
  if (key === undefined) return p.self;
  return p.entries.get(key) ?? p.self;
}

/** The position of a map key (for "unknown key" errors). */
export function keyPosOf(value: unknown, key: string): SourcePos | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const p = positions.get(value);
  return p?.keys.get(key) ?? p?.self;
}

/** Marks `copy` as coming from the same place as `original` (for derived objects). */
export function copyPos(original: unknown, copy: object): void {
  if (original && typeof original === 'object') {
    const p = positions.get(original);
    if (p) positions.set(copy, p);
  }
}

export function setPos(value: object, pos: SourcePos): void {
  if (!positions.has(value)) positions.set(value, { self: pos, entries: new Map(), keys: new Map() });
}

/** Parses YAML text into plain values, recording positions. Throws HapErrors on syntax errors. */
export function parseYaml(text: string, file: string): unknown {
  const lc = new LineCounter();
  const source = vaultFile(text, file);
  const doc = parseDocument(source.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, customTags: [vaultTag] });
  const at = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col };
  };
  if (doc.errors.length > 0) {
    throw new HapErrors(
      doc.errors.map((e) => new HapError(`YAML syntax error: ${firstLine(e.message)}`, at(e.pos[0]))),
    );
  }
  const value = convert(doc.contents as Node | null, at);
  if (source.vaulted) hideLeaves(value);
  return value;
}

function firstLine(msg: string): string {
  return msg.split('\n')[0] ?? msg;
}

function convert(node: Node | null, at: (o: number) => SourcePos): unknown {
  if (node === null || node === undefined) return null;
  const start = node.range?.[0] ?? 0;
  if (isMap(node)) {
    const out: Record<string, unknown> = {};
    const p: Positions = { self: at(start), entries: new Map(), keys: new Map() };
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      if (key === '<<' && pair.value) {
        // merge key: copy entries that are not set explicitly
        const merged = convert(pair.value as Node, at);
        for (const src of Array.isArray(merged) ? merged : [merged]) {
          if (src && typeof src === 'object') for (const [k, v] of Object.entries(src)) if (!(k in out)) out[k] = v;
        }
        continue;
      }
      const keyStart = keyNode?.range?.[0] ?? start;
      p.keys.set(key, at(keyStart));
      const valueNode = pair.value as Node | null;
      p.entries.set(key, valueNode?.range ? at(valueNode.range[0]) : at(keyStart));
      out[key] = convert(valueNode, at);
    }
    positions.set(out, p);
    return out;
  }
  if (isSeq(node)) {
    const out: unknown[] = [];
    const p: Positions = { self: at(start), entries: new Map(), keys: new Map() };
    node.items.forEach((item, i) => {
      const n = item as Node | null;
      p.entries.set(i, n?.range ? at(n.range[0]) : at(start));
      out.push(convert(n, at));
    });
    positions.set(out, p);
    return out;
  }
  if (isScalar(node)) return node.tag === '!vault' ? vaultScalar(String(node.value), at(start)) : node.value;
  // aliases resolve through toJS of the referenced node
  return (node as unknown as { toJS?: (d: unknown) => unknown }).toJS?.(null) ?? null;
}

/** Reads and parses a YAML file; errors name the file. */
export async function loadYamlFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HapError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseYaml(text, path);
}
