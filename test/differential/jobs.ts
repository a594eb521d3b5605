import { basename, join } from 'node:path';
import { main } from '../../engine/cli/main.ts';
import { ansible, type Ran } from './ansible.ts';
import { materialize, type Case } from './cases.ts';
import { ansiblePatterns, ansiblePlay, hapPatterns, hapPlay, type PlayOutcome } from './outcomes.ts';

/** Runs the hap CLI in-process (as test/support does): exit code and output. */
export async function hapCli(...argv: string[]): Promise<Ran> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** What one case compares: Ansible's side and hap's, in one shape. */
export interface Compared {
  ansible: unknown;
  hap: unknown;
}

const json = (ran: Ran): unknown => {
  try {
    return JSON.parse(ran.out.slice(ran.out.indexOf('{')));
  } catch {
    return { code: ran.code, err: ran.err.split('\n').slice(0, 3).join('\n') };
  }
};

/** Hosts with at least one variable, as `ansible-inventory --list` shows them under _meta.hostvars. */
function withVars(m: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => v && typeof v === 'object' && Object.keys(v).length));
}

async function inventoryJob(root: string, inventory: string, order: number): Promise<Record<'list' | 'graph' | 'hostvars', Compared>> {
  const dir = join(root, `inventory-${inventory}`);
  const inv = await materialize(dir, inventory, {});
  const [aList, aFolded, aGraph] = await Promise.all([
    ansible(dir, ['ansible-inventory', '-i', basename(inv), '--list', '--export'], order),
    ansible(dir, ['ansible-inventory', '-i', basename(inv), '--list'], order),
    ansible(dir, ['ansible-inventory', '-i', basename(inv), '--graph'], order),
  ]);
  const hList = await hapCli('inventory', '-i', inv, '--list');
  const hGraph = await hapCli('inventory', '-i', inv, '--graph');
  const list = json(hList) as Record<string, { hosts?: string[]; hostvars?: Record<string, unknown> }>;
  const hosts = new Set<string>(Object.keys(list._meta?.hostvars ?? {}));
  for (const [g, v] of Object.entries(list)) if (g !== '_meta') for (const h of v.hosts ?? []) hosts.add(h);
  const hostvars: Record<string, unknown> = {};
  for (const h of [...hosts].sort()) hostvars[h] = json(await hapCli('inventory', '-i', inv, '--host', h));
  const folded = json(aFolded) as { _meta?: { hostvars?: Record<string, unknown> } };
  return {
    list: { ansible: json(aList), hap: json(hList) },
    graph: { ansible: aGraph.code ? { code: aGraph.code } : aGraph.out.trim(), hap: hGraph.code ? { code: hGraph.code } : hGraph.out.trim() },
    hostvars: { ansible: withVars(folded._meta?.hostvars ?? {}), hap: withVars(hostvars) },
  };
}

const patternPlay = (name: string, pattern: string) =>
  `- name: ${JSON.stringify(name)}\n  hosts: ${JSON.stringify(pattern)}\n  gather_facts: false\n  connection: local\n  tasks:\n    - debug: { var: ansible_play_hosts_all }\n      run_once: true\n`;

/** Every plain pattern of one inventory as one playbook of one play per pattern: one Ansible run. */
async function patternBatch(root: string, inventory: string, patterns: string[], order: number): Promise<Record<string, Compared>> {
  const dir = join(root, `patterns-${inventory}`);
  const play = patterns.map((p, i) => patternPlay(`p${i}`, p)).join('');
  const inv = await materialize(dir, inventory, { 'patterns.yml': play });
  const a = await ansible(dir, ['ansible-playbook', '-i', basename(inv), 'patterns.yml'], order);
  const h = await hapCli('run', join(dir, 'patterns.yml'), '-i', inv, '--output', 'json');
  const aHosts = ansiblePatterns(a);
  const hHosts = hapPatterns(h);
  const out: Record<string, Compared> = {};
  patterns.forEach((p, i) => {
    out[p] = { ansible: { exit: a.code, hosts: aHosts[`p${i}`] ?? [] }, hap: { exit: h.code, hosts: hHosts[`p${i}`] ?? [] } };
  });
  return out;
}

/** A pattern that must fail, or a --limit: one run each. */
async function patternAlone(root: string, c: Extract<Case, { kind: 'pattern' }>, n: number): Promise<Compared> {
  const dir = join(root, `pattern-${n}`);
  const inv = await materialize(dir, c.inventory, { 'play.yml': patternPlay('p', c.pattern) });
  const limit = c.limit === undefined ? [] : ['--limit', c.limit];
  const a = await ansible(dir, ['ansible-playbook', '-i', basename(inv), 'play.yml', ...limit], n);
  const h = await hapCli('run', join(dir, 'play.yml'), '-i', inv, '--output', 'json', ...limit);
  const failed = (code: number) => code !== 0;
  if (c.error) return { ansible: { fails: failed(a.code) }, hap: { fails: failed(h.code) } };
  return { ansible: { exit: a.code, hosts: ansiblePatterns(a).p ?? [] }, hap: { exit: h.code, hosts: hapPatterns(h).p ?? [] } };
}

async function playJob(root: string, c: Extract<Case, { kind: 'play' }>, n: number): Promise<{ ansible: PlayOutcome; hap: PlayOutcome }> {
  const dir = join(root, `play-${n}`);
  const inv = await materialize(dir, c.inventory, { ...c.files, 'play.yml': c.play });
  const a = await ansible(dir, ['ansible-playbook', '-i', basename(inv), 'play.yml', ...c.args], n);
  const h = await hapCli('run', join(dir, 'play.yml'), '-i', inv, '--output', 'json', ...c.args);
  return { ansible: ansiblePlay(a), hap: hapPlay(h) };
}

/**
 * Starts every case's runs at once (Ansible's through a small pool, batched where one run can
 * serve many cases); returns each case's comparison as a promise.
 */
export function startAll(root: string, cases: Case[]): Map<string, Promise<Compared>> {
  const out = new Map<string, Promise<Compared>>();
  const inventories = new Map<string, ReturnType<typeof inventoryJob>>();
  const batches = new Map<string, Case[]>();
  cases.forEach((c, n) => {
    if (c.kind === 'inventory') {
      if (!inventories.has(c.inventory)) inventories.set(c.inventory, inventoryJob(root, c.inventory, n));
      out.set(c.id, inventories.get(c.inventory)!.then((r) => r[c.what]));
    } else if (c.kind === 'pattern' && !c.error && c.limit === undefined) {
      batches.set(c.inventory, [...(batches.get(c.inventory) ?? []), c]);
    } else if (c.kind === 'pattern') out.set(c.id, patternAlone(root, c, n));
    else out.set(c.id, playJob(root, c, n));
  });
  for (const [inventory, list] of batches) {
    const batch = patternBatch(root, inventory, list.map((c) => (c as Extract<Case, { kind: 'pattern' }>).pattern), cases.indexOf(list[0]!));
    for (const c of list) out.set(c.id, batch.then((r) => r[(c as Extract<Case, { kind: 'pattern' }>).pattern]!));
  }
  return out;
}
