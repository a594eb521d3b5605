import { describe, expect, it } from 'vitest';
import { moleculeTest } from '../support/molecule.ts';

/** A dead member, then a rolling restart: refused, exit 8, no member stopped, data intact. */
describe('molecule etcd-quorum-guard', () => {
  it('refuses the batch that would break quorum', async () => {
    expect(await moleculeTest('etcd-quorum-guard')).toContain('TASK Refused before any member was touched, with the arithmetic');
  }, 900_000);
});
