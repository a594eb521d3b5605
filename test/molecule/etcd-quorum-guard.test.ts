import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';

/** A dead member, then a rolling restart: refused, exit 8, no member stopped, data intact. */
describe('molecule etcd-quorum-guard', () => {
  it('refuses the batch that would break quorum', async () => {
    const out: string[] = [];
    const code = await main(['molecule', 'test', 'etcd-quorum-guard'], { out: (s) => out.push(s), err: (s) => out.push(s) });
    if (code !== 0) console.log(out.join('\n'));
    expect(code).toBe(0);
  }, 900_000);
});
