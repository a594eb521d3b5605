import { expect } from 'vitest';
import { main } from '../../engine/cli/main.ts';

/** Runs hap in-process: its exit code and everything it printed. */
export async function hap(args: string[]): Promise<{ code: number; log: string }> {
  const out: string[] = [];
  const code = await main(args, { out: (s) => out.push(s), err: (s) => out.push(s) });
  return { code, log: out.join('\n') };
}

/** `hap molecule VERB SCENARIO` must pass (its log is printed when not); the seconds it took. */
export async function stage(verb: string, scenario: string): Promise<number> {
  const t = Date.now();
  const { code, log } = await hap(['molecule', verb, scenario]);
  if (code !== 0) console.log(log);
  expect(code).toBe(0);
  return (Date.now() - t) / 1000;
}

/** Runs `hap molecule test SCENARIO` in-process; prints the log when it fails; returns the log. */
export async function moleculeTest(scenario: string): Promise<string> {
  const { code, log } = await hap(['molecule', 'test', scenario]);
  if (code !== 0) console.log(log);
  expect(code).toBe(0);
  return log;
}
