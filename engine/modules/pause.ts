import type { ModuleDef } from './types.ts';

export interface PauseArgs {
  seconds?: number;
  minutes?: number;
  prompt?: string;
  echo?: boolean;
}

/** Waits a fixed time. hap runs non-interactively: `prompt` never waits for input. */
export const pause: ModuleDef<PauseArgs> = {
  name: 'pause',
  schema: {
    type: 'object',
    additionalProperties: false,
    not: { required: ['seconds', 'minutes'] },
    properties: {
      seconds: { type: 'number', minimum: 0 },
      minutes: { type: 'number', minimum: 0 },
      prompt: { type: 'string' },
      echo: { type: 'boolean' },
    },
  },
  async plan(args, ctx) {
    const ms = ((args.minutes ?? 0) * 60 + (args.seconds ?? 0)) * 1000;
    const start = Date.now();
    const aborted = await new Promise<boolean>((resolve) => {
      if (ctx.signal.aborted) return resolve(true);
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        ctx.signal.removeEventListener('abort', onAbort);
        resolve(false);
      }, ms);
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    const result = { start: new Date(start).toISOString(), stop: new Date().toISOString(), delta: (Date.now() - start) / 1000, user_input: '' };
    if (aborted) return { status: 'failed', msg: 'pause interrupted', result };
    const note = args.prompt !== undefined && ms === 0 ? 'prompt ignored: hap is not interactive' : `Paused for ${ms / 1000} seconds`;
    return { status: 'ok', msg: note, result };
  },
};
