import { describe, expect, it } from 'vitest';
import {
  checkRun, formatTable, median, parseAnsibleRecap, parseHapRecap, parseHostCounts, parseMaxRssKb, totalChanged, type Recap,
} from '../../../bench/lib.ts';

const counts = (changed: number, extra: Partial<Recap[string]> = {}) => ({ ok: 20, changed, unreachable: 0, failed: 0, skipped: 0, ...extra });

describe('recaps', () => {
  it('reads the last recap line of hap --output json', () => {
    const out = [
      '{"event":"task_start","name":"x"}',
      '{"event":"recap","hosts":{"h1":{"ok":1,"changed":9}}}',
      '{"event":"recap","hosts":{"h1":{"ok":20,"changed":13,"unreachable":0,"failed":0,"skipped":0,"rescued":0,"ignored":0},"h2":{"ok":19,"changed":0,"unreachable":1,"failed":0,"skipped":0}}}',
      '',
    ].join('\n');
    expect(parseHapRecap(out)).toEqual({ h1: counts(13), h2: { ...counts(0), ok: 19, unreachable: 1 } });
    expect(parseHapRecap('{"event":"play_end"}\n')).toBeUndefined();
  });

  it("reads ansible-playbook's PLAY RECAP", () => {
    const out = `TASK [x] ***\nok: [h001]\n\nPLAY RECAP *********\nh001                       : ok=20   changed=13   unreachable=0    failed=0    skipped=0    rescued=0    ignored=0\nh002                       : ok=3   changed=1   unreachable=0    failed=1    skipped=2    rescued=0    ignored=0   \n\n`;
    expect(parseAnsibleRecap(out)).toEqual({ h001: counts(13), h002: { ok: 3, changed: 1, unreachable: 0, failed: 1, skipped: 2 } });
    expect(parseAnsibleRecap('no recap here')).toBeUndefined();
  });

  it('reads the maximum RSS of GNU time -v', () => {
    expect(parseMaxRssKb('\tUser time (seconds): 1.2\n\tMaximum resident set size (kbytes): 140520\n')).toBe(140520);
    expect(parseMaxRssKb('nothing')).toBeUndefined();
  });
});

describe('checkRun', () => {
  const hosts = ['h1', 'h2'];
  it.each([
    ['first', { h1: counts(13), h2: counts(13) }, 0, []],
    ['second', { h1: counts(0), h2: counts(0) }, 0, []],
    ['second', { h1: counts(0), h2: counts(1) }, 0, ['h2: second run changed=1']],
    ['first', { h1: counts(13), h2: counts(0) }, 0, ['h2: first run changed nothing']],
    ['first', { h1: counts(13) }, 0, ['h2: missing from the recap']],
    ['second', { h1: counts(0), h2: counts(0, { unreachable: 1 }) }, 4, ['exit code 4', 'h2: failed=0 unreachable=1']],
  ] as const)('%s run %j rc=%d', (phase, recap, rc, problems) => {
    expect(checkRun(recap as Recap, hosts, phase, rc)).toEqual(problems);
  });

  it('flags a run without a recap', () => {
    expect(checkRun(undefined, hosts, 'first', 2)).toEqual(['exit code 2', 'no recap in the output']);
  });
});

describe('table', () => {
  it('prints one line per N and run, with the ratio and validity', () => {
    const hap = { wallS: 2, maxRssKb: 150 * 1024, recap: { h1: counts(13) }, problems: [] };
    const ansible = { wallS: 40, maxRssKb: 60 * 1024, recap: { h1: counts(13) }, problems: [] };
    const text = formatTable([
      { hosts: 1, forks: 1, phase: 'first', hap, ansible, ansibleForks: 1 },
      { hosts: 1, forks: 1, phase: 'second', hap: { ...hap, recap: { h1: counts(0) }, problems: ['h1: second run changed=1'] } },
    ]);
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| 1 | 1/1 | 1st (changes) | **2.00** | 150 | 13 | 40.00 | 60 | 13 | 20.0x | yes |');
    expect(lines[3]).toBe('| 1 | 1/- | 2nd (no change) | **2.00** | 150 | 0 | - | - | - | - | NO |');
    expect(totalChanged({ a: counts(3), b: counts(4) })).toBe(7);
  });
});

describe('arguments and stats', () => {
  it('parses host counts', () => {
    expect(parseHostCounts('10, 50,100')).toEqual([10, 50, 100]);
    expect(() => parseHostCounts('10,x')).toThrow(/positive integers/);
    expect(() => parseHostCounts('0')).toThrow();
  });

  it('takes medians', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
