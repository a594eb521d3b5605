import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Alias, type Document, type Node, type YAMLError, type YAMLMap } from 'yaml';
import { HapError, HapErrors, type SourcePos } from './errors.ts';
import { hideLeaves, vaultFile, vaultScalar, vaultTag } from './yaml-vault.ts';
import { YAML11_TAGS } from './yaml11.ts';

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

/** Deeper than any playbook needs, and well inside what the parser's recursion survives. */
export const MAX_DEPTH = 500;
/** Nodes that aliases may add to a file: a "billion laughs" file stops here, not in memory exhaustion. */
export const MAX_ALIAS_NODES = 100_000;
const MAX_REPORTED = 10;

/**
 * Parses YAML text (or bytes, which must be UTF-8) into plain values, recording positions.
 * Scalars are read as YAML 1.1, as ansible-core's PyYAML reads them (see yaml11.ts); aliases
 * and `<<` merge keys work. Throws HapErrors naming file:line:col.
 */
export function parseYaml(input: string | Buffer, file: string): unknown {
  const source = vaultFile(typeof input === 'string' ? input : decodeUtf8(input, file), file);
  const lc = new LineCounter();
  const at = (offset: number): SourcePos => {
    const { line, col } = lc.linePos(offset);
    return { file, line, col };
  };
  let doc: Document.Parsed;
  try {
    doc = parseDocument(source.text, {
      lineCounter: lc,
      prettyErrors: false,
      uniqueKeys: true,
      version: '1.1',
      schema: 'failsafe',
      customTags: [...YAML11_TAGS, vaultTag],
      merge: true,
    });
  } catch (e) {
    if (e instanceof RangeError) throw new HapError(`nesting too deep for YAML (hap allows ${MAX_DEPTH} levels)`, { file, line: 1, col: 1 });
    throw e;
  }
  // after a syntax error the parser's further complaints are mostly its echo: report the first
  const syntax = doc.errors.filter((e) => e.code !== 'TAG_RESOLVE_FAILED').slice(0, 1);
  const problems = [...syntax, ...doc.errors, ...doc.warnings].filter((e) => e.code === 'TAG_RESOLVE_FAILED' || syntax.includes(e));
  if (problems.length > 0) throw new HapErrors(yamlErrors([...new Set(problems)], at, source.text));
  const value = new Converter(doc, at).convert(doc.contents as Node | null, 0);
  if (source.vaulted) hideLeaves(value);
  return value;
}

function yamlErrors(problems: YAMLError[], at: (o: number) => SourcePos, text: string): HapError[] {
  const out: HapError[] = [];
  for (const e of problems) {
    const msg = firstLine(e.message)
      .replace(/ at line \d+, column \d+:?$/, '')
      .replace(/^Source contains multiple documents.*/, 'a file holds one YAML document, this one holds several (a second ---)');
    if (/Maximum call stack/.test(msg)) {
      // the parser recursed itself out of stack: report it once, as what it is
      out.push(new HapError(`nesting too deep for YAML (hap allows ${MAX_DEPTH} levels)`, at(e.pos[0])));
      break;
    }
    if (msg.startsWith('Unresolved tag')) out.push(new HapError(`${msg}: hap knows YAML's own tags and !vault (not !unsafe)`, at(e.pos[0])));
    else if (e.code === 'TAG_RESOLVE_FAILED') out.push(new HapError(msg, at(e.pos[0])));
    else {
      const pos = at(e.pos[0]);
      const tab = /^ *\t/.test(text.split('\n')[pos.line - 1] ?? '') ? ' (a tab indents this line: YAML indents with spaces only)' : '';
      out.push(new HapError(`YAML syntax error: ${msg}${tab}`, pos));
    }
  }
  if (out.length > MAX_REPORTED) {
    const more = out.length - MAX_REPORTED;
    return [...out.slice(0, MAX_REPORTED), new HapError(`… and ${more} more YAML error${more === 1 ? '' : 's'} in this file`, out[MAX_REPORTED]!.pos)];
  }
  return out;
}

/** UTF-8 text of a file's bytes (a BOM is dropped by the parser); other encodings are refused. */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad).toString('utf8');
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    throw new HapError(`not UTF-8: byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad}; save the file as UTF-8`, { file, line, col });
  }
}

function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length - 1;
}

function firstLine(msg: string): string {
  return msg.split('\n')[0] ?? msg;
}

const isMergeKey = (n: Node | null): boolean => isScalar(n) && typeof n.value === 'symbol';

/** Turns the document's nodes into plain values, counting what aliases add. */
class Converter {
  private aliasNodes = 0;
  private inAlias = 0;
  private outermostAlias: SourcePos | undefined;
  private readonly open = new Set<Node>();

  constructor(
    private readonly doc: Document.Parsed,
    private readonly at: (o: number) => SourcePos,
  ) {}

  convert(node: Node | null, depth: number): unknown {
    if (node === null || node === undefined) return null;
    const start = node.range?.[0] ?? 0;
    if (depth > MAX_DEPTH) throw new HapError(`nesting deeper than ${MAX_DEPTH} levels`, this.at(start));
    if (this.inAlias > 0 && ++this.aliasNodes > MAX_ALIAS_NODES) {
      const msg = `aliases expand this file by more than ${MAX_ALIAS_NODES} nodes (a "billion laughs" file?); refusing`;
      throw new HapError(msg, this.outermostAlias ?? this.at(start));
    }
    if (isAlias(node)) return this.alias(node, depth);
    if (isMap(node)) return this.map(node, start, depth);
    if (isSeq(node)) {
      const out: unknown[] = [];
      const p: Positions = { self: this.at(start), entries: new Map(), keys: new Map() };
      this.open.add(node);
      node.items.forEach((item, i) => {
        const n = item as Node | null;
        p.entries.set(i, n?.range ? this.at(n.range[0]) : this.at(start));
        out.push(this.convert(n, depth + 1));
      });
      this.open.delete(node);
      positions.set(out, p);
      return out;
    }
    if (isScalar(node)) return node.tag === '!vault' ? vaultScalar(String(node.value), this.at(start)) : node.value;
    throw new HapError('unsupported YAML node', this.at(start));
  }

  private alias(node: Alias, depth: number): unknown {
    const target = node.resolve(this.doc) as Node | undefined;
    const pos = this.at(node.range?.[0] ?? 0);
    if (!target) throw new HapError(`unknown alias *${node.source}`, pos);
    if (this.open.has(target)) throw new HapError(`alias *${node.source} refers to a node that contains it`, pos);
    if (this.inAlias++ === 0) this.outermostAlias = pos;
    try {
      return this.convert(target, depth);
    } finally {
      this.inAlias--;
    }
  }

  private map(node: YAMLMap, start: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const p: Positions = { self: this.at(start), entries: new Map(), keys: new Map() };
    const explicit = new Set<string>();
    const merged: Array<[Node, unknown]> = [];
    this.open.add(node);
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      const keyStart = keyNode?.range?.[0] ?? start;
      if (isMergeKey(keyNode)) {
        if (valueNode) merged.push([valueNode, this.convert(valueNode, depth + 1)]);
        continue;
      }
      if (keyNode && !isScalar(keyNode)) throw new HapError('a mapping key must be a plain value, not a list or mapping', this.at(keyStart));
      const v = keyNode?.value;
      // keys are names: keep what was written (`yes:` names "yes", `0755:` names "0755")
      const key = typeof v === 'string' ? v : (keyNode?.source ?? String(v ?? ''));
      explicit.add(key);
      p.keys.set(key, this.at(keyStart));
      p.entries.set(key, valueNode?.range ? this.at(valueNode.range[0]) : this.at(keyStart));
      out[key] = this.convert(valueNode, depth + 1);
    }
    this.open.delete(node);
    // `<<`: entries not set explicitly; of several merged mappings the earlier wins (PyYAML)
    for (const [n, value] of merged) {
      const sources = Array.isArray(value) ? value : [value];
      for (const src of sources) {
        if (!src || typeof src !== 'object' || Array.isArray(src)) {
          throw new HapError('a << merge key takes a mapping or a list of mappings', this.at(n.range?.[0] ?? start));
        }
        const sp = positions.get(src);
        for (const [k, v] of Object.entries(src)) {
          if (explicit.has(k) || k in out) continue;
          out[k] = v;
          const kp = sp?.keys.get(k);
          const ep = sp?.entries.get(k);
          if (kp) p.keys.set(k, kp);
          if (ep) p.entries.set(k, ep);
        }
      }
    }
    positions.set(out, p);
    return out;
  }
}

/** Reads and parses a YAML file; errors name the file. */
export async function loadYamlFile(path: string): Promise<unknown> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (e) {
    throw new HapError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseYaml(text, path);
}
