import { shellJoin } from '../transport/quote.ts';
import { DEFAULT_LAB, FAULT_VERBS, labDebs, labDown, labExec, labFault, labList, labStatus, labUp, type FaultVerb } from './index.ts';
import { LabError } from './proc.ts';

const USAGE = `usage: hap lab <command> [--name NAME] (default name: ${DEFAULT_LAB})
  up --hosts N [--inventory FILE] [--group G[=h1,h2]]   start N hosts h1..hN (or add hosts); writes an Ansible inventory
  list                              names of the labs on this machine
  status                            hosts, addresses, states, subnet, bridge, disk use
  down                              destroy the lab (the image cache stays)
  kill|stop|start HOST              hard power-off / clean shutdown / boot
  partition|heal HOST               pull / replug the host's network cable
  freeze|thaw HOST                  hang / resume every process of the host
  exec HOST -- CMD...               run a command inside the host (no SSH)
  debs                              print the cached etcd 3.5 .debs (downloads them once)`;

export interface Parsed {
  cmd: string;
  name: string;
  hosts?: number;
  inventory?: string;
  /** --group NAME[=h1,h2]: an inventory group of those hosts (all hosts when none named). */
  groups: Record<string, string[] | undefined>;
  positional: string[];
  rest: string[];
}

/** Splits `hap lab` arguments; exported for tests. */
export function parseLabArgs(argv: string[]): Parsed {
  const out: Parsed = { cmd: '', name: DEFAULT_LAB, groups: {}, positional: [], rest: [] };
  const value = (flag: string, i: number): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new LabError(`${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    } else if (flag === '--group') {
      const v = inline ?? value(flag, i++);
      const [g, members] = v.split('=');
      if (!g || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(g)) throw new LabError(`--group needs a group name, not ${JSON.stringify(v)}`);
      out.groups[g] = members ? members.split(',').filter(Boolean) : undefined;
    } else if (flag === '--name' || flag === '--hosts' || flag === '--inventory') {
      const v = inline ?? value(flag, i++);
      if (flag === '--name') out.name = v;
      else if (flag === '--inventory') out.inventory = v;
      else if (/^[0-9]+$/.test(v)) out.hosts = Number(v);
      else throw new LabError(`--hosts needs a number, not ${JSON.stringify(v)}`);
    } else if (a === '-h' || a === '--help') {
      out.cmd = 'help';
    } else if (a.startsWith('-')) {
      throw new LabError(`unknown option ${a}\n${USAGE}`);
    } else if (!out.cmd) {
      out.cmd = a;
    } else {
      out.positional.push(a);
    }
  }
  return out;
}

function oneHost(p: Parsed): string {
  const [host, ...extra] = p.positional;
  if (!host || extra.length) throw new LabError(`hap lab ${p.cmd} takes one host name, e.g. hap lab ${p.cmd} h1`);
  return host;
}

function human(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function dispatch(p: Parsed, out: (s: string) => void): Promise<number> {
  switch (p.cmd) {
    case 'up': {
      if (p.hosts === undefined) throw new LabError('hap lab up needs --hosts N');
      const t0 = Date.now();
      const r = await labUp({ name: p.name, hosts: p.hosts, inventory: p.inventory, groups: p.groups, log: out });
      for (const h of r.hosts) out(`${h.name}\t${h.address}`);
      out(`lab ${r.name} up: ${r.hosts.length} hosts on ${r.bridge} (${r.subnet}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      out(`inventory: ${r.inventoryFile}`);
      return 0;
    }
    case 'down': {
      const t0 = Date.now();
      const had = await labDown(p.name);
      out(had ? `lab ${p.name} destroyed in ${((Date.now() - t0) / 1000).toFixed(1)} s` : `no lab named ${p.name}; nothing to do`);
      return 0;
    }
    case 'list':
      for (const n of await labList()) out(n);
      return 0;
    case 'status': {
      const s = await labStatus(p.name);
      out(`lab ${s.name}: subnet ${s.subnet}, bridge ${s.bridge}${s.inventoryFile ? `, inventory ${s.inventoryFile}` : ''}`);
      out('HOST\tADDRESS\t\tSTATE\t\tDISK');
      for (const h of s.hosts) out(`${h.name}\t${h.address}\t${h.state.padEnd(12)}\t${human(h.diskBytes)}`);
      return 0;
    }
    case 'exec': {
      const host = oneHost(p);
      if (!p.rest.length) throw new LabError('hap lab exec HOST -- CMD...: the command is missing');
      const command = p.rest.length === 1 ? (p.rest[0] ?? '') : shellJoin(p.rest);
      return (await labExec(p.name, host, command, { inherit: true })).rc;
    }
    case 'debs':
      for (const f of await labDebs((s) => process.stderr.write(`${s}\n`))) out(f);
      return 0;
    case 'help':
    case '':
      out(USAGE);
      return p.cmd === 'help' ? 0 : 2;
    default:
      if ((FAULT_VERBS as readonly string[]).includes(p.cmd)) {
        const host = oneHost(p);
        await labFault(p.name, p.cmd as FaultVerb, host);
        out(`${host}: ${p.cmd} done`);
        return 0;
      }
      throw new LabError(`unknown lab command ${JSON.stringify(p.cmd)}\n${USAGE}`);
  }
}

/** `hap lab …`: argv is what follows `lab`; returns the exit code. */
export async function labMain(argv: string[]): Promise<number> {
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  try {
    return await dispatch(parseLabArgs(argv), out);
  } catch (e) {
    if (e instanceof LabError) {
      process.stderr.write(`hap lab: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
