import { describe, expect, it } from 'vitest';
import { checkBatch, combine, leaderLast, parseEndpointStatus, parseHealth, parseMemberList, settled, type ClusterStatus } from '../../../engine/executor/gates/quorum/status.ts';
import { batches, exceedsFailPercentage } from '../../../engine/executor/batches.ts';

// etcdctl 3.4.23 output captured on lab hosts (h3 killed for the health/status lines)
const MEMBERS = `3f1699733d38682d, started, h2, https://10.0.0.12:2380, https://10.0.0.12:2379, false
4a7e02216dc4b69d, started, h3, https://10.0.0.13:2380, https://10.0.0.13:2379, false
ebe002402a5a99e4, started, h1, https://10.0.0.11:2380, https://10.0.0.11:2379, false
`;
const STATUS = `https://10.0.0.11:2379, ebe002402a5a99e4, 3.4.23, 20 kB, false, false, 2, 8, 8, 
https://10.0.0.12:2379, 3f1699733d38682d, 3.4.23, 20 kB, true, false, 2, 9, 9, 
`;
const HEALTH = `[{"endpoint":"https://10.0.0.11:2379","health":true,"took":"9.9ms"},{"endpoint":"https://10.0.0.12:2379","health":true,"took":"11ms"},{"endpoint":"https://10.0.0.13:2379","health":false,"took":"3.0s","error":"context deadline exceeded"}]`;

const hostOf = (m: { name: string }) => m.name;
const status = (): ClusterStatus => combine(parseMemberList(MEMBERS), parseEndpointStatus(STATUS), parseHealth(HEALTH), hostOf);

describe('etcdctl parsing', () => {
  it('joins member list, endpoint status and health', () => {
    const s = status();
    expect(s.members.map((m) => [m.host, m.healthy, m.leader, m.appliedIndex])).toEqual([
      ['h2', true, true, 9],
      ['h3', false, false, undefined],
      ['h1', true, false, 8],
    ]);
    expect(s.leader?.host).toBe('h2');
    expect(s.members[1]!.error).toBe('context deadline exceeded');
  });
  it('an empty member list means no cluster', () => {
    expect(combine(parseMemberList(''), [], new Map(), hostOf).down).toBe(true);
  });
});

describe.each([
  // [healthy hosts, learners, batch, allowed]
  [['h1', 'h2', 'h3'], [], ['h1'], true],
  [['h1', 'h2', 'h3'], [], ['h1', 'h2'], false],
  [['h1', 'h2'], [], ['h1'], false],
  [['h1', 'h2'], [], ['h3'], true], // the dead member itself may be worked on
  [['h1', 'h2', 'h3', 'h4', 'h5'], [], ['h1', 'h2'], true],
  [['h1', 'h2', 'h3', 'h4', 'h5'], [], ['h1', 'h2', 'h3'], false],
  [['h1', 'h2', 'h3', 'h4'], ['h4'], ['h1'], true], // learners do not vote
  [['h1', 'h2', 'h3'], [], ['h9'], true], // a host that is not a member yet
])('quorum arithmetic: healthy %j, learners %j, batch %j', (healthy, learners, batch, allowed) => {
  it(allowed ? 'allows the batch' : 'refuses the batch and says why', () => {
    const names = ['h1', 'h2', 'h3', 'h4', 'h5'].slice(0, Math.max(3, healthy.length, ...healthy.map((h) => Number(h.slice(1)))));
    const s: ClusterStatus = {
      down: false,
      members: names.map((n, i) => ({ id: String(i), name: n, host: n, peerUrls: [], clientUrls: [], started: true, learner: learners.includes(n), healthy: healthy.includes(n), leader: i === 0 })),
    };
    const r = checkBatch(s, batch);
    expect(r.ok).toBe(allowed);
    const voting = names.length - learners.length;
    expect(r.message).toContain(`${voting} voting members, quorum ${Math.floor(voting / 2) + 1}`);
    if (!allowed) expect(r.message).toMatch(/healthy < quorum/);
  });
});

describe('ordering and settling', () => {
  it('puts the leader last', () => {
    expect(leaderLast(['h1', 'h2', 'h3'], status())).toEqual(['h1', 'h3', 'h2']);
  });
  it('is settled only when all are healthy, voting and caught up', () => {
    const s = status();
    expect(settled(s, 8).why).toEqual(['h3 unhealthy (context deadline exceeded)']);
    for (const m of s.members) Object.assign(m, { healthy: true, appliedIndex: 9 });
    expect(settled(s, 9).ok).toBe(true);
    s.members[2]!.appliedIndex = 7;
    expect(settled(s, 9).why).toEqual(['h1 applied 7 < 9']);
    s.members[2]!.appliedIndex = 9;
    s.members[1]!.learner = true;
    expect(settled(s, 9).why).toEqual(['h3 is still a learner']);
  });
});

describe.each([
  [5, [], [[1, 2, 3, 4, 5]]],
  [5, [2], [[1, 2], [3, 4], [5]]],
  [5, [1, 3], [[1], [2, 3, 4], [5]]],
  [5, ['40%'], [[1, 2], [3, 4], [5]]],
  [5, ['10%'], [[1], [2], [3], [4], [5]]],
  [4, [1, '50%'], [[1], [2, 3], [4]]],
])('serial over %i hosts with %j', (n, serial, expected) => {
  it('gives the batches Ansible gives', () => {
    expect(batches(Array.from({ length: n }, (_, i) => i + 1), serial as Array<number | string>)).toEqual(expected);
  });
});

describe('max_fail_percentage', () => {
  it('aborts only when failures exceed the percentage', () => {
    expect(exceedsFailPercentage(1, 4, 25)).toBe(false);
    expect(exceedsFailPercentage(2, 4, 25)).toBe(true);
    expect(exceedsFailPercentage(1, 4, undefined)).toBe(false);
    expect(exceedsFailPercentage(1, 1, 0)).toBe(true);
  });
});
