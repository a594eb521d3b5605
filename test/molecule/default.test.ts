import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/** The default scenario: every module over SSH on 3 real systemd hosts, idempotent. */
describe('molecule default', () => {
  it('passes create → converge → idempotence → verify → destroy', async () => {
    expect(await moleculeTest('default')).toContain('second converge: changed=0');
  }, 600_000);
});
