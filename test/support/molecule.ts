import { expect } from 'vitest';
import { main } from '../../engine/cli/main.ts';

/** Runs `hap molecule test SCENARIO` in-process; prints the log when it fails; returns the log. */
export async function moleculeTest(scenario: string): Promise<string> {
  const out: string[] = [];
  const code = await main(['molecule', 'test', scenario], { out: (s) => out.push(s), err: (s) => out.push(s) });
  const log = out.join('\n');
  if (code !== 0) console.log(log);
  expect(code).toBe(0);
  return log;
}
