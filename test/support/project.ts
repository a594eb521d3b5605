import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { main } from '../../engine/cli/main.ts';
import type { HapEvent } from '../../engine/output/events.ts';

/** A throwaway project directory, written from a map and removed when the calling test ends. */
export async function project(files: Record<string, string>): Promise<{ dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hap-test-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name.replaceAll('$DIR', dir));
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, text.replaceAll('$DIR', dir));
  }
  return { dir };
}

export interface HapRun {
  code: number;
  out: string[];
  err: string[];
  events: HapEvent[];
  recap?: Extract<HapEvent, { event: 'recap' }>['hosts'];
}

/** Runs the hap CLI in-process and collects its output (JSON events when --output json). */
export async function hap(...argv: string[]): Promise<HapRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  const events: HapEvent[] = [];
  if (argv.includes('json')) for (const l of out) events.push(JSON.parse(l) as HapEvent);
  const recap = events.find((e) => e.event === 'recap') as Extract<HapEvent, { event: 'recap' }> | undefined;
  return { code, out, err, events, recap: recap?.hosts };
}

/** Results of one task by host, from the JSON events. */
export function resultsOf(run: HapRun, task: string): Record<string, Extract<HapEvent, { event: 'host_result' }>> {
  const out: Record<string, Extract<HapEvent, { event: 'host_result' }>> = {};
  for (const e of run.events) if (e.event === 'host_result' && e.task === task && e.item === undefined) out[e.host] = e;
  return out;
}

export const LOCAL_INVENTORY = `all:
  vars:
    ansible_connection: local
  children:
    web:
      hosts:
        w1: {}
        w2: {}
        w3: {}
    db:
      hosts:
        d1: {}
`;
