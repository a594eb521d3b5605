import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRun } from '../../engine/ops/runs.ts';
import { htmlReport } from '../../engine/report/html.ts';
import { chromiumDom } from '../support/chromium.ts';

// The journal of a real etcd 3.4 → 3.5 upgrade of a 3-member lab cluster (kept as a fixture).
const JOURNAL = new URL('../fixtures/journal/etcd-upgrade.jsonl', import.meta.url).pathname;

describe('the HTML timeline in a real browser (Debian chromium, headless)', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('draws a lane per host, a bar per task, the batches, the guard waits and healthy members', async () => {
    dir = await mkdtemp(join(tmpdir(), 'hap-report-'));
    const run = (await readRun(JOURNAL))!;
    await writeFile(join(dir, 'r.html'), htmlReport(run));
    const dom = await chromiumDom(join(dir, 'r.html'), join(dir, 'r.png'));
    const lanes = [...dom.matchAll(/<g class="lane" data-host="([^"]+)"/g)].map((m) => m[1]);
    expect(lanes).toEqual(['h1', 'h2', 'h3']);
    const results = run.lines.filter((l) => l.event === 'host_result' && l.item === undefined).length;
    expect(dom.match(/<rect class="bar"/g)).toHaveLength(results);
    expect(dom.match(/<rect class="batch"/g)).toHaveLength(4); // the check play's one batch, then one per member
    expect([...dom.matchAll(/<g class="play">.*?play: ([^<]+)</g)].map((m) => m[1])).toEqual(['Versions and health checked before anything changes', 'Rolling upgrade of etcd']);
    expect(dom.match(/<rect class="guard-wait"/g)!.length).toBeGreaterThanOrEqual(3);
    expect(dom.match(/<circle class="measure"/g)).toHaveLength(run.lines.filter((l) => l.event === 'cluster_health').length);
    expect(dom).toContain('<title>quorum: 2 of 3</title>');
    const png = await readFile(join(dir, 'r.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(10_000); // a drawn page, not a blank one
  });
});
