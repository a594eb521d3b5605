import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadScenario, workDir } from '../../engine/molecule/scenario.ts';
import { moleculeTest } from '../support/molecule.ts';

/**
 * Two LBs, three TLS backends, a client loop through the VIP: one holder, all backends reached,
 * a rolling change and a rejected bad value drop nothing, a backend that is not ready leaves,
 * the VIP stays where a rolling change moved it (nopreempt), a backend out of rotation through
 * the runtime API drops nothing, haproxy stopped or the holder killed moves the VIP (VRRPv3
 * 0.5 s, VRRPv2 1 s and unicast VRRPv3 measured).
 */
describe('molecule lb-failover', () => {
  it('keeps the VIP answering through faults and LB changes', async () => {
    const log = await moleculeTest('lb-failover');
    expect(log).toContain('TASK The VIP moved to the other LB within 3 s');
    expect(log).toContain('TASK The VIP stays on the LB it moved to (nopreempt: one move per rolling change, not two)');
    expect(log).toContain("TASK haproxy's own message, the old configuration kept serving, the files are unchanged");
    const figures = JSON.parse(await readFile(`${workDir(await loadScenario('lb-failover'))}-figures.json`, 'utf8')) as Record<string, { failed: number; longest_gap_s: number; resets_retried: number }>;
    const rows = Object.entries(figures).map(([phase, f]) => `${phase}: failed ${f.failed}, resets retried ${f.resets_retried}, longest gap ${f.longest_gap_s} s`);
    console.log(`lb-failover figures:\n  ${rows.join('\n  ')}`);
    expect(figures['rolling change']?.failed).toBe(0);
    expect(figures['bad value']?.failed).toBe(0);
    expect(figures['holder killed (VRRPv3 0.5 s)']?.longest_gap_s).toBeLessThanOrEqual(3);
    expect(figures['holder killed (VRRPv2 1 s)']?.longest_gap_s).toBeGreaterThan(0);
    expect(figures['holder killed (unicast VRRPv3 0.5 s)']?.longest_gap_s).toBeLessThanOrEqual(3);
    expect(figures['h4 out through the runtime API']?.failed).toBe(0);
  }, 900_000);
});
