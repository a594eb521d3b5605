import type { PlayEnv } from './play-env.ts';
import { runList } from './tasks.ts';

/**
 * One flush, as Ansible 2.14: a single pass over the handlers in the order they are defined,
 * each run once on the hosts that notified it. A handler notified during the flush runs in it
 * only if it comes later in the list; an earlier one (or itself) waits for the next flush.
 */
export async function runHandlers(env: PlayEnv, hosts: string[]): Promise<void> {
  for (const handler of env.play.handlers) {
    if (env.aborted || env.playEnded) return;
    const targets = hosts.filter((h) => {
      const s = env.hosts.get(h)!;
      return s.active && s.notified.has(handler.id);
    });
    if (targets.length === 0) continue;
    await runList(env, [handler.task], targets);
    // cleared after the run, so a handler notifying itself is not left pending
    for (const h of targets) env.hosts.get(h)!.notified.delete(handler.id);
  }
}
