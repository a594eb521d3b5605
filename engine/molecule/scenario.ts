import { access, cp, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { HapError } from '../source/errors.ts';
import { loadYamlFile, posOf } from '../source/yaml.ts';
import { validate } from '../schemas/ajv.ts';
import type { LabHost } from '../lab/index.ts';

/** molecule/<name>/molecule.yml: how many lab hosts, their groups and variables. */
export interface Scenario {
  name: string;
  dir: string;
  hosts: number;
  groups: Record<string, string[]>;
  vars: Record<string, unknown>;
  /** Playbooks present in the scenario folder, by stage. */
  playbooks: { prepare?: string; converge: string; side_effect?: string; verify?: string };
  /** Lab name: one lab per scenario so scenarios never share hosts. */
  lab: string;
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    hosts: { type: 'integer', minimum: 1, maximum: 30 },
    groups: { type: ['object', 'null'], additionalProperties: { type: 'array', items: { type: 'string' } } },
    vars: { type: ['object', 'null'] },
    idempotence: { type: 'boolean' },
  },
};

export const MOLECULE_DIR = resolve(new URL('../../molecule', import.meta.url).pathname);

const exists = (p: string) => access(p).then(() => true, () => false);

export async function listScenarios(root = MOLECULE_DIR): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    if (d.isDirectory() && (await exists(join(root, d.name, 'molecule.yml')))) out.push(d.name);
  }
  return out.sort((a, b) => (a === 'default' ? -1 : b === 'default' ? 1 : a.localeCompare(b)));
}

export async function loadScenario(name: string, root = MOLECULE_DIR): Promise<Scenario & { idempotence: boolean }> {
  const dir = join(root, name);
  const file = join(dir, 'molecule.yml');
  if (!(await exists(file))) throw new HapError(`no molecule scenario '${name}' (expected ${file})`);
  const raw = ((await loadYamlFile(file)) ?? {}) as Record<string, unknown>;
  const errs = validate(SCHEMA, raw, 'molecule.yml');
  if (errs.length) throw new HapError(errs.map((e) => e.toString()).join('\n'), posOf(raw));
  const pb = async (stage: string) => ((await exists(join(dir, `${stage}.yml`))) ? join(dir, `${stage}.yml`) : undefined);
  const converge = await pb('converge');
  if (!converge) throw new HapError(`scenario '${name}' has no converge.yml`);
  return {
    name,
    dir,
    hosts: (raw.hosts as number) ?? 3,
    groups: (raw.groups as Record<string, string[]>) ?? {},
    vars: (raw.vars as Record<string, unknown>) ?? {},
    playbooks: { prepare: await pb('prepare'), converge, side_effect: await pb('side_effect'), verify: await pb('verify') },
    // HAP_MOLECULE_LAB_PREFIX: a second checkout's scenarios in labs of their own (with TMPDIR
    // for the work directories), beside a first one's
    lab: `${process.env.HAP_MOLECULE_LAB_PREFIX ?? 'm-'}${name}`.slice(0, 20),
    idempotence: raw.idempotence !== false,
  };
}

/** The scenario's working directory (inventory written there). */
export function workDir(s: Scenario): string {
  return join(tmpdir(), 'hap-molecule', s.name);
}

/**
 * Writes the scenario's inventory: the lab's hosts and connection settings, the scenario's
 * groups and vars, and its group_vars/host_vars folders if it has them.
 */
export async function writeScenarioInventory(s: Scenario, hosts: LabHost[], keyFile: string): Promise<string> {
  const dir = workDir(s);
  await mkdir(dir, { recursive: true });
  const doc = {
    all: {
      vars: {
        ansible_user: 'root',
        ansible_ssh_private_key_file: keyFile,
        ansible_host_key_checking: false,
        molecule_scenario: s.name,
        molecule_lab: s.lab,
        ...s.vars,
      },
      hosts: Object.fromEntries(hosts.map((h) => [h.name, { ansible_host: h.address }])),
      children: Object.fromEntries(Object.entries(s.groups).map(([g, members]) => [g, { hosts: Object.fromEntries(members.map((m) => [m, null])) }])),
    },
  };
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'hosts.yml'), `# written by hap molecule for scenario ${s.name}\n${stringify(doc)}`);
  for (const sub of ['group_vars', 'host_vars']) {
    if (await exists(join(s.dir, sub))) await cp(join(s.dir, sub), join(dir, sub), { recursive: true });
  }
  return dir;
}
