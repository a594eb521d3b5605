import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { HapError, HapErrors } from '../source/errors.ts';
import { parseYaml } from '../source/yaml.ts';
import { addVarsFiles, buildInventory, type InventoryDoc, type VarsDoc } from './build.ts';
import { validateInventory, validateVarsFile } from './schema.ts';
import type { Inventory } from './types.ts';

const INVENTORY_EXT = ['.yml', '.yaml', '.json'];
/**
 * What Ansible skips in an inventory directory: hidden entries, group_vars/, host_vars/,
 * vars_plugins/ (IGNORED_ALWAYS) and the default INVENTORY_IGNORE_EXTS (REJECT_EXTS plus
 * .orig, .ini, .cfg, .retry); INVENTORY_IGNORE_PATTERNS is empty by default.
 */
const IGNORED_NAMES = [/^\./, /^host_vars$/, /^group_vars$/, /^vars_plugins$/];
const IGNORED_EXTS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];

/** True for a directory entry Ansible's inventory manager would not read. */
export function ignoredInventoryEntry(name: string): boolean {
  return IGNORED_NAMES.some((re) => re.test(name)) || IGNORED_EXTS.some((ext) => name.endsWith(ext));
}
/** Ansible's host_group_vars plugin reads these extensions, and files without one. */
const VARS_EXT = ['.yml', '.yaml', '.json', ''];

/**
 * Loads an inventory: a YAML file, or a directory whose files (and subdirectories) are all read
 * in name order, skipping what Ansible skips; group_vars/ and host_vars/ beside it are read as
 * Ansible does. Every error of every file is reported at once.
 */
export async function loadInventory(path: string): Promise<Inventory> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new HapError(`inventory ${path} not found: give a YAML file or a directory holding hosts.yml`);
  const files = info.isDirectory() ? await inventoryFiles(path) : [path];
  const varsDir = info.isDirectory() ? path : dirname(path);
  const errors: HapError[] = [];
  const parse = (file: string, validate: Validate) => parseFile(file, validate, errors);
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

async function inventoryFiles(dir: string, top = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of [...entries].sort((a, b) => cmp(a.name, b.name))) {
    if (ignoredInventoryEntry(e.name)) continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await inventoryFiles(full, top)));
    // other files are skipped, as Ansible skips (with a warning) what no inventory plugin
    // parses: a PKI or a kubeconfig kept beside hosts.yml is not an inventory
    else if (INVENTORY_EXT.includes(extname(e.name))) out.push(full);
  }
  if (dir === top && !out.length) throw new HapError(`inventory directory ${dir} holds no *.yml, *.yaml or *.json file`);
  return out;
}

/**
 * Reads group_vars/ and host_vars/ beside a playbook into the inventory, as Ansible does; their
 * values win over the inventory's own (skipped when the playbook sits in the inventory folder).
 */
export async function addPlaybookVars(inv: Inventory, playbookDir: string): Promise<void> {
  const info = await stat(inv.source).catch(() => undefined);
  const invDir = info?.isDirectory() ? inv.source : dirname(inv.source);
  if (resolve(invDir) === resolve(playbookDir)) return;
  const errors: HapError[] = [];
  for (const kind of ['group', 'host'] as const) {
    const names = kind === 'group' ? inv.groups.keys() : inv.hosts.keys();
    const vdocs: VarsDoc[] = [];
    for (const { name, file } of await varsFiles(join(playbookDir, `${kind}_vars`), new Set(names))) {
      vdocs.push({ name, file, doc: await parseFile(file, validateVarsFile, errors) });
    }
    errors.push(...addVarsFiles(inv, kind, vdocs, true));
  }
  if (errors.length) throw new HapErrors(inReadingOrder(errors));
}

type Validate = (doc: unknown, file: string) => HapError[];

/** One YAML file, validated; its problems go to `errors` and it reads as undefined. */
async function parseFile(file: string, validate: Validate, errors: HapError[]): Promise<unknown> {
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
