import { groupsMagic, selectHosts, type Inventory } from '../inventory/index.ts';
import { connectionInfo } from '../executor/connection.ts';
import type { RunContext } from '../executor/context.ts';
import { playHosts } from '../executor/play.ts';
import type { Playbook } from '../playbook/types.ts';
import { mergeVars, type ExtraVars } from '../vars/ladder.ts';
import { lazyScope } from '../vars/lazy.ts';
import { UnreachableError, type Transport } from '../transport/types.ts';
import { DEFAULT_LOCK_FILE, describeLock, isStale, releaseLock, takeOver, tryLock, type LockRecord } from './lock.ts';

/** One host to lock: how to reach it and where its lock file lives. */
export interface LockTarget {
  name: string;
  open: () => Promise<Transport>;
  file: string;
}

/**
 * The hosts a run locks: every member of each `quorum:` group of the playbook (the whole
 * cluster, whatever --limit says), and with --lock every host the plays target.
 */
export function lockHosts(ctx: RunContext, playbook: Playbook, all: boolean): string[] {
  const hosts = new Set<string>();
  for (const play of playbook.plays) {
    const targets = playHosts(ctx, play);
    if (play.quorum && targets.length) for (const h of selectHosts(ctx.inventory, play.quorum.group)) hosts.add(h);
    if (all) for (const h of targets) hosts.add(h);
  }
  return [...hosts].sort();
}

/** A host's variables from the inventory and -e alone (locks and samples happen outside any play). */
export function inventoryVars(inventory: Inventory, extra: ExtraVars, host: string): Record<string, unknown> {
  const { vars, origins } = mergeVars({ inventory, host, extra });
  const h = inventory.hosts.get(host);
  return lazyScope(vars, origins, { inventory_hostname: host, groups: groupsMagic(inventory), group_names: h?.groups ?? [] });
}

/** Lock targets reached with each host's own connection variables (`hap_lock_file` moves the file). */
export function lockTargets(ctx: Pick<RunContext, 'inventory' | 'options' | 'transports'>, hosts: string[]): LockTarget[] {
  return hosts.map((name) => {
    const scope = inventoryVars(ctx.inventory, ctx.options.extra, name);
    const vars: Record<string, unknown> = {};
    for (const k of Object.keys(scope)) if (k.startsWith('ansible_') || k.startsWith('hap_')) vars[k] = scope[k];
    const info = connectionInfo(name, vars);
    return {
      name,
      file: String(vars.hap_lock_file ?? DEFAULT_LOCK_FILE),
      open: async () => {
        const t = (info.connection === 'local' ? ctx.transports.local : ctx.transports.ssh)(info);
        await t.connect();
        return t;
      },
    };
  });
}

async function withHost<T>(target: LockTarget, fn: (t: Transport) => Promise<T>): Promise<T> {
  const t = await target.open();
  try {
    return await fn(t);
  } finally {
    await t.close().catch(() => {});
  }
}

/**
 * A lock over several hosts, taken host by host in name order: two runs racing for the same
 * cluster meet on its first host and exactly one gets past it.
 */
export class ClusterLock {
  private held: LockTarget[] = [];

  constructor(
    private readonly targets: LockTarget[],
    readonly record: LockRecord,
    private readonly note: (msg: string) => void,
  ) {}

  get hosts(): string[] {
    return this.held.map((t) => t.name);
  }

  /** Takes the lock; returns why not (and holds nothing) when another run has it. */
  async acquire(takeOverRun?: string): Promise<string | undefined> {
    for (const target of [...this.targets].sort((a, b) => a.name.localeCompare(b.name))) {
      let refused: string | undefined;
      try {
        refused = await withHost(target, async (t) => {
          const r = await tryLock(t, target.file, this.record);
          if (r.ok) return undefined;
          const held = r.held;
          if (held && held.run === takeOverRun && isStale(held) && (await takeOver(t, target.file, held.run, this.record))) {
            this.note(`stale lock of run ${held.run} (pid ${held.pid} is gone) on ${target.name} taken over`);
            return undefined;
          }
          if (!held) return `${target.name} holds an unreadable lock ${target.file}: ${r.raw.slice(0, 200)}`;
          const how = isStale(held)
            ? `; that run was killed: 'hap run … --resume' continues it, 'hap unlock -i INVENTORY' removes the lock`
            : `; wait for it to end ('hap lock -i INVENTORY' shows the lock)`;
          return `the cluster is locked by ${describeLock(held)} (lock on ${target.name})${how}`;
        });
      } catch (e) {
        if (!(e instanceof UnreachableError)) throw e;
        this.note(`cannot lock ${target.name}: unreachable (${e.message})`);
        continue;
      }
      if (refused) {
        await this.release();
        return refused;
      }
      this.held.push(target);
    }
    return undefined;
  }

  /** Removes this run's lock from every host that has it; never throws (the run's outcome stands). */
  async release(): Promise<void> {
    const held = this.held;
    this.held = [];
    await Promise.all(
      held.map((target) =>
        withHost(target, (t) => releaseLock(t, target.file, this.record.run)).catch((e: unknown) =>
          this.note(`could not release the lock on ${target.name}: ${(e as Error).message}; 'hap unlock -i INVENTORY' removes it`),
        ),
      ),
    );
  }
}
