import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { HapError, HapErrors } from '../source/errors.ts';
import { parseYaml } from '../source/yaml.ts';
import { addVarsFiles, buildInventory, type InventoryDoc, type VarsDoc } from './build.ts';
import { validateInventory, validateVarsFile } from './schema.ts';
import type { Inventory } from './types.ts';

const INVENTORY_EXT = ['.yml', '.yaml'];
/** Ansible's host_group_vars plugin reads these extensions, and files without one. */
const VARS_EXT = ['.yml', '.yaml', '.json', ''];

/**
 * Loads an inventory: a YAML file, or a directory with hosts.yml (or hosts.yaml, or every
 * *.yml / *.yaml file in it); group_vars/ and host_vars/ beside it are read as Ansible does.
 * Every error of every file is reported at once.
 */
export async function loadInventory(path: string): Promise<Inventory> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new HapError(`inventory ${path} not found: give a YAML file or a directory holding hosts.yml`);
  const files = info.isDirectory() ? await inventoryFiles(path) : [path];
  const varsDir = info.isDirectory() ? path : dirname(path);
  const errors: HapError[] = [];
  const parse = async (file: string, validate: (doc: unknown, file: string) => HapError[]): Promise<unknown> => {
    try {
      const doc = parseYaml(await readFile(file), file);
      const problems = validate(doc, file);
      errors.push(...problems);
      return problems.length ? undefined : doc;
    } catch (e) {
      if (e instanceof HapErrors) errors.push(...e.errors);
      else if (e instanceof HapError) errors.push(e);
      else errors.push(new HapError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`));
      return undefined;
    }
  };
  const docs: InventoryDoc[] = [];
  for (const file of files) docs.push({ file, doc: await parse(file, validateInventory) });
  const { inventory, errors: buildErrors } = buildInventory(path, docs);
  errors.push(...buildErrors);
  if (inventory) {
    for (const kind of ['group', 'host'] as const) {
      const names = kind === 'group' ? inventory.groups.keys() : inventory.hosts.keys();
      const found = await varsFiles(join(varsDir, `${kind}_vars`), new Set(names));
      const vdocs: VarsDoc[] = [];
      for (const { name, file } of found) vdocs.push({ name, file, doc: await parse(file, validateVarsFile) });
      errors.push(...addVarsFiles(inventory, kind, vdocs));
    }
  }
  if (errors.length || !inventory) throw new HapErrors(inReadingOrder(errors));
  return inventory;
}

async function inventoryFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name);
  for (const preferred of ['hosts.yml', 'hosts.yaml']) if (files.includes(preferred)) return [join(dir, preferred)];
  const all = files.filter((f) => INVENTORY_EXT.includes(extname(f))).sort();
  if (!all.length) throw new HapError(`inventory directory ${dir} holds no hosts.yml nor any *.yml file`);
  return all.map((f) => join(dir, f));
}

/**
 * The vars files of the named groups (or hosts), as Ansible finds them: `<name>`, `<name>.yml`,
 * `.yaml` or `.json`, or every such file under a `<name>/` directory; in sorted order.
 */
async function varsFiles(dir: string, names: Set<string>): Promise<Array<{ name: string; file: string }>> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: Array<{ name: string; file: string }> = [];
  for (const e of [...entries].sort((a, b) => cmp(a.name, b.name))) {
    const full = join(dir, e.name);
    if (e.isDirectory() && names.has(e.name)) {
      for (const file of await treeFiles(full)) out.push({ name: e.name, file });
    } else if (e.isFile()) {
      const ext = extname(e.name);
      const name = names.has(e.name) ? e.name : VARS_EXT.includes(ext) ? basename(e.name, ext) : undefined;
      if (name !== undefined && names.has(name)) out.push({ name, file: full });
    }
  }
  return out;
}

async function treeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of [...entries].sort((a, b) => cmp(a.name, b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await treeFiles(full)));
    else if (e.isFile() && VARS_EXT.includes(extname(e.name))) out.push(full);
  }
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Errors grouped by file (first seen first), then by line and column. */
function inReadingOrder(errors: HapError[]): HapError[] {
  const fileRank = new Map<string, number>();
  for (const e of errors) if (e.pos && !fileRank.has(e.pos.file)) fileRank.set(e.pos.file, fileRank.size);
  const key = (e: HapError): [number, number, number] =>
    e.pos ? [fileRank.get(e.pos.file) ?? 0, e.pos.line, e.pos.col] : [-1, 0, 0];
  return [...errors].sort((a, b) => {
    const [fa, la, ca] = key(a);
    const [fb, lb, cb] = key(b);
    return fa - fb || la - lb || ca - cb;
  });
}
