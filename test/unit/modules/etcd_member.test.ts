import { describe, expect, it } from 'vitest';
import { RecordingTransport } from '../../support/recording-transport.ts';
import { runModule } from '../../support/run-module.ts';

const line = (id: string, name: string, ip: string, learner = false, started = true) =>
  `${id}, ${started ? 'started' : 'unstarted'}, ${name}, https://${ip}:2380, ${started ? `https://${ip}:2379` : ''}, ${learner}`;
const three = [line('a1', 'h1', '10.0.0.1'), line('b2', 'h2', '10.0.0.2'), line('c3', 'h3', '10.0.0.3')];
const health = (healthy: string[], all = ['10.0.0.1', '10.0.0.2', '10.0.0.3']) =>
  JSON.stringify(all.map((ip) => ({ endpoint: `https://${ip}:2379`, health: healthy.includes(ip), ...(healthy.includes(ip) ? {} : { error: 'context deadline exceeded' }) })));

function cluster(members: string[], healthy: string[], extra: ConstructorParameters<typeof RecordingTransport>[0] = []): RecordingTransport {
  return new RecordingTransport([
    ...extra,
    { match: 'member list', result: { stdout: members.join('\n') } },
    { match: 'endpoint health', result: { stdout: health(healthy) } },
  ]);
}

describe('etcd_member', () => {
  it('removes a voting member when the others keep quorum', async () => {
    const t = cluster(three, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], [{ match: 'member remove c3' }]);
    const r = await runModule('etcd_member', { name: 'h3', state: 'absent' }, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.changes[0]).toContain('removing h3 leaves 2, quorum 2; healthy remaining 2 (h1, h2) >= quorum 2');
    expect(t.commands.some((c) => c.includes("'member' 'remove' 'c3'") || c.includes('member remove c3'))).toBe(true);
  });

  it('refuses when the members left healthy would not reach quorum, naming the arithmetic', async () => {
    const t = cluster(three, ['10.0.0.1', '10.0.0.3']);
    const r = await runModule('etcd_member', { name: 'h3', state: 'absent' }, { transport: t });
    expect(r.status).toBe('failed');
    expect(r.msg).toBe('3 voting members; removing h3 leaves 2, quorum 2; healthy remaining 1 (h1) < quorum 2 — REFUSED: bring the unhealthy members back first');
    expect(t.commands.some((c) => c.includes('remove'))).toBe(false);
  });

  it('is ok when the member is already gone', async () => {
    const r = await runModule('etcd_member', { name: 'h4', state: 'absent' }, { transport: cluster(three, ['10.0.0.1']) });
    expect(r).toMatchObject({ status: 'ok', msg: 'h4 is not a member: nothing to remove' });
  });

  it('adds a learner and returns its id and the initial cluster', async () => {
    const out = 'Member  5c0c1b64f6c3b0e added to cluster 1c45a069f3a1d796\n\nETCD_NAME="h4"\nETCD_INITIAL_CLUSTER="h1=https://10.0.0.1:2380,h4=https://10.0.0.4:2380"\nETCD_INITIAL_CLUSTER_STATE="existing"\n';
    const t = cluster(three, ['10.0.0.1', '10.0.0.2', '10.0.0.3'], [{ match: 'member', result: { stdout: out }, once: false }]);
    t.on({ match: 'member list', result: { stdout: three.join('\n') } }, { match: 'endpoint health', result: { stdout: health(['10.0.0.1']) } });
    const r = await runModule('etcd_member', { name: 'h4', peer_url: 'https://10.0.0.4:2380' }, { transport: t });
    expect(r.status).toBe('changed');
    expect(r.result.member).toMatchObject({ id: '5c0c1b64f6c3b0e', learner: true });
    expect(r.result.initial_cluster).toBe('h1=https://10.0.0.1:2380,h4=https://10.0.0.4:2380');
  });

  it('refuses a stale member holding the peer URL unless told to replace it', async () => {
    const stale = [...three.slice(0, 2), line('d4', 'old', '10.0.0.3')];
    const r = await runModule('etcd_member', { name: 'h3', peer_url: 'https://10.0.0.3:2380' }, { transport: cluster(stale, ['10.0.0.1', '10.0.0.2']) });
    expect(r.status).toBe('failed');
    expect(r.msg).toContain('member d4 (old) still holds https://10.0.0.3:2380');
  });

  it('promotes a learner, and is ok for a voting member', async () => {
    const withLearner = [...three, line('e5', 'h4', '10.0.0.4', true)];
    const t = cluster(withLearner, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], [{ match: 'promote' }]);
    expect((await runModule('etcd_member', { name: 'h4', state: 'promoted' }, { transport: t })).status).toBe('changed');
    expect((await runModule('etcd_member', { name: 'h1', state: 'promoted' }, { transport: cluster(three, ['10.0.0.1']) })).status).toBe('ok');
  });
});
