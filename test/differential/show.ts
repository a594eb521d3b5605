// Prints both sides of the cases whose id contains the argument:
//   npx tsx test/differential/show.ts "play set_fact"
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadCases } from './cases.ts';
import { startAll } from './jobs.ts';

const want = process.argv[2] ?? '';
const cases = loadCases().filter((c) => c.id.includes(want));
const root = mkdtempSync(join(tmpdir(), 'hap-differential-'));
try {
  const results = startAll(root, cases);
  for (const c of cases) {
    const { ansible, hap } = await results.get(c.id)!;
    const same = isDeepStrictEqual(ansible, hap);
    console.log(`\n== ${c.id}${same ? ' (same)' : ''}`);
    if (!same) console.log(`ansible: ${JSON.stringify(ansible)}\nhap:     ${JSON.stringify(hap)}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
