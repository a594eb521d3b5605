import { apt } from './apt.ts';
import { assert } from './assert.ts';
import { blockinfile } from './blockinfile.ts';
import { command } from './command.ts';
import { copy } from './copy.ts';
import { debug } from './debug.ts';
import { etcdMember } from './etcd_member.ts';
import { fail } from './fail.ts';
import { fetchModule } from './fetch.ts';
import { file } from './file.ts';
import { groupBy } from './group_by.ts';
import { haproxyServer } from './haproxy_server.ts';
import { lineinfile } from './lineinfile.ts';
import { pause } from './pause.ts';
import { pkiModule } from './pki.ts';
import { pkiRevoke } from './pki_revoke.ts';
import { setFact } from './set_fact.ts';
import { shell } from './shell.ts';
import { slurp } from './slurp.ts';
import { stat } from './stat.ts';
import { systemd } from './systemd.ts';
import { template } from './template.ts';
import type { ModuleDef } from './types.ts';
import { uri } from './uri.ts';
import { waitFor } from './wait_for.ts';

/** Every module hap has. includes, meta and handlers are the runner's, not modules. */
const all = [
  apt, assert, blockinfile, command, copy, debug, etcdMember, fail, fetchModule, file, groupBy, haproxyServer, lineinfile,
  pause, pkiModule, pkiRevoke, setFact, shell, slurp, stat, systemd, template, uri, waitFor,
] as unknown as ModuleDef[];

function index(defs: ModuleDef[]): ReadonlyMap<string, ModuleDef> {
  const map = new Map<string, ModuleDef>();
  for (const def of defs) {
    for (const name of [def.name, ...(def.aliases ?? [])]) {
      if (map.has(name)) throw new Error(`module name ${name} is registered twice`);
      map.set(name, def);
    }
  }
  return map;
}

/** Modules by name and by every alias. */
export const modules: ReadonlyMap<string, ModuleDef> = index(all);

/** A module by name, alias, or Ansible's fully qualified `ansible.builtin.<name>`. */
export function findModule(name: string): ModuleDef | undefined {
  return modules.get(name.startsWith('ansible.builtin.') ? name.slice('ansible.builtin.'.length) : name);
}
