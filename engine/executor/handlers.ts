import type { PlayEnv } from './play-env.ts';
import { runList } from './tasks.ts';

/**
 * Runs notified handlers in the order they are defined, each once per notifying host; a
 * handler may notify another, so this repeats until nothing is pending.
 */
export async function runHandlers(env: PlayEnv, hosts: string[]): Promise<void> {
  for (let round = 0; round < 100; round++) {
    let ran = false;
    for (const handler of env.play.handlers) {
      const targets = hosts.filter((h) => {
        const s = env.hosts.get(h)!;
        return s.active && s.notified.has(handler.id);
      });
      if (targets.length === 0) continue;
      for (const h of targets) env.hosts.get(h)!.notified.delete(handler.id);
      ran = true;
      await runList(env, [handler.task], targets);
    }
    if (!ran) return;
  }
}
