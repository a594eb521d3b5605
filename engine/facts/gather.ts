import type { ModuleContext } from '../modules/types.ts';
import type { Fact } from './types.ts';

/**
 * Reads a fact for a module. The shared cache runs commands without privilege escalation,
 * so with `become` the fact is read directly (uncached) with the task's become settings.
 */
export async function gather<T>(ctx: Pick<ModuleContext, 'facts' | 'transport' | 'become'>, fact: Fact<T>): Promise<T> {
  if (!ctx.become) return ctx.facts.get(fact);
  return fact.parse(await ctx.transport.exec(fact.command, { become: ctx.become }));
}
