import { describe, expect, it } from 'vitest';
import { main } from '../../engine/cli/main.ts';

/** The pki and etcd roles on 3 lab hosts: TLS cluster, idempotent, verified from every member. */
describe('molecule etcd-cluster', () => {
  it('passes create → converge → idempotence → verify → destroy', async () => {
    const out: string[] = [];
    const code = await main(['molecule', 'test', 'etcd-cluster'], { out: (s) => out.push(s), err: (s) => out.push(s) });
    if (code !== 0) console.log(out.join('\n'));
    expect(code).toBe(0);
    const log = out.join('\n');
    expect(log).toContain('TASK etcd : Initial members start together');
    expect(log).toContain('second converge: changed=0');
    expect(log).toMatch(/verify done in/);
  }, 900_000);
});
