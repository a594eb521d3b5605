import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';

/** The default scenario: every module over SSH on 3 real systemd hosts, idempotent. */
describe('molecule default', () => {
  it('passes create → converge → idempotence → verify → destroy', async () => {
    const out: string[] = [];
    const code = await main(['molecule', 'test', 'default'], { out: (s) => out.push(s), err: (s) => out.push(s) });
    if (code !== 0) console.log(out.join('\n'));
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('second converge: changed=0');
  }, 600_000);
});
