import { groupsMagic } from '../inventory/index.ts';
import { addHostToGroup } from '../inventory/runtime-groups.ts';
import type { Play, Playbook, Task, TaskBase } from '../playbook/types.ts';
import { lazyMap, lazyScope } from '../vars/lazy.ts';
import { mergeVars } from '../vars/ladder.ts';
import type { RunContext } from './context.ts';
import type { HostState } from './host.ts';
import { dirname } from 'node:path';
import { statSync } from 'node:fs';

/** What the tasks of one play share: its hosts, the current batch and the variable scopes. */
export class PlayEnv {
  batch: string[] = [];
  readonly validatedRoles = new Set<string>();
  /** Loop variables of an enclosing include, per host. */
  readonly includeLocals = new Map<string, Record<string, unknown>>();
  /** Task lists of templated includes, by include and rendered names. */
  readonly includeCache = new Map<string, Task[]>();
  /** Set by any_errors_fatal or end_play: the play stops after the current task. */
  aborted?: string;
  /** Set by `meta: end_play`: no more tasks or batches in this play; the playbook goes on. */
  playEnded = false;
  private groups?: Record<string, string[]>;
  private hostvarsCache?: Record<string, unknown>;
  private activeLists = new Map<string[], string[]>();

  constructor(
    readonly ctx: RunContext,
    readonly playbook: Playbook,
    readonly play: Play,
    readonly hosts: Map<string, HostState>,
    readonly playHosts: string[],
    /** The run-wide state of any inventory host (delegate_to targets, quorum members). */
    readonly stateOf: (host: string) => HostState = (h) => hosts.get(h)!,
  ) {}

  private invDir?: string;

  /** The inventory's folder: the -i directory itself, or the folder of the -i file. */
  private inventoryDir(): string {
    const src = this.ctx.inventory.source;
    this.invDir ??= statSync(src, { throwIfNoEntry: false })?.isDirectory() ? src : dirname(src);
    return this.invDir;
  }

  /** group_by: the host joins a group for the rest of the run; `groups` is read afresh. */
  addToGroup(host: string, group: string, parents?: string[]): void {
    addHostToGroup(this.ctx.inventory, host, group, parents);
    this.groups = undefined;
  }

  /** Drops per-task caches (hostvars see the newest runtime vars of other hosts). */
  step(): void {
    this.hostvarsCache = undefined;
  }

  activeBatch(): string[] {
    return this.activeOf(this.batch);
  }

  /**
   * The active hosts of `hosts`, as the same array while that set is unchanged: every host's
   * scope on every task holds these lists, and 500 hosts each filtering 500 was most of a
   * run's garbage.
   */
  private activeOf(hosts: string[]): string[] {
    const prev = this.activeLists.get(hosts);
    if (prev) {
      let j = 0;
      let same = true;
      for (const h of hosts) {
        if (!this.hosts.get(h)?.active) continue;
        if (prev[j++] !== h) {
          same = false;
          break;
        }
      }
      if (same && j === prev.length) return prev;
    }
    if (this.activeLists.size > 8) this.activeLists.clear(); // batches come and go
    const list = hosts.filter((h) => this.hosts.get(h)?.active);
    this.activeLists.set(hosts, list);
    return list;
  }

  private magic(host: string, task?: TaskBase): Record<string, unknown> {
    const inv = this.ctx.inventory;
    this.groups ??= groupsMagic(inv);
    this.hostvarsCache ??= lazyMap([...inv.hosts.keys()], (h) => this.varsFor(h, undefined, {}, false));
    const h = inv.hosts.get(host);
    const role = task?.origin.role;
    const state = this.hosts.get(host);
    return {
      inventory_hostname: host,
      inventory_hostname_short: host.split('.')[0],
      groups: this.groups,
      group_names: (h?.groups ?? []).filter((g) => g !== 'all' && g !== 'ungrouped'),
      hostvars: this.hostvarsCache,
      ansible_play_batch: this.activeBatch(),
      ansible_play_hosts: this.activeOf(this.playHosts),
      ansible_play_hosts_all: this.playHosts,
      playbook_dir: this.playbook.dir,
      inventory_file: inv.source,
      inventory_dir: this.inventoryDir(),
      ansible_check_mode: this.ctx.options.check,
      ansible_diff_mode: this.ctx.options.diff,
      ansible_verbosity: this.ctx.options.verbosity,
      ...(this.ctx.options.limit !== undefined ? { ansible_limit: this.ctx.options.limit } : {}),
      ansible_facts: state?.gathered ?? {},
      ...(role ? { role_path: role.path, role_name: role.name } : {}),
    };
  }

  /** The variables a task sees on a host (ladder + facts + magic + loop locals). */
  varsFor(host: string, task?: TaskBase, locals: Record<string, unknown> = {}, withPlay = true): Record<string, unknown> {
    const state = this.hosts.get(host);
    const { vars, origins } = mergeVars({
      inventory: this.ctx.inventory,
      host,
      play: withPlay ? this.play : undefined,
      roleEntry: task?.roleEntry,
      taskVars: task?.vars,
      runtime: state?.runtime,
      extra: this.ctx.options.extra,
    });
    return lazyScope(vars, origins, { ...this.magic(host, task), ...this.includeLocals.get(host), ...locals }, state?.gathered ?? {});
  }
}
