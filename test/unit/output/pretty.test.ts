import { describe, expect, it } from 'vitest';
import type { HapEvent } from '../../../engine/output/events.ts';
import { prettyReporter } from '../../../engine/output/pretty.ts';

// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function printed(events: HapEvent[], verbosity = 0): string {
  const lines: string[] = [];
  const report = prettyReporter((s) => lines.push(plain(s)), verbosity);
  for (const e of events) report(e);
  return lines.join('\n');
}

const failed = (result: Record<string, unknown>): HapEvent => ({ event: 'host_result', host: 'h1', task: 'step', status: 'failed', msg: 'non-zero return code', changes: [], result });

describe('pretty output of a failed command', () => {
  it("shows its stdout and stderr under the line, as Ansible's result does", () => {
    const out = printed([failed({ rc: 2, stdout: 'one\ntwo\n', stderr: 'boom: no such file\n' })]);
    expect(out).toContain('fatal: [h1]: FAILED! => non-zero return code\n  stdout:\n    one\n    two\n  stderr:\n    boom: no such file');
  });

  it('keeps the last 30 lines of a long output and says how many there were', () => {
    const stdout = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    const out = printed([failed({ rc: 1, stdout })]);
    expect(out).toContain('  stdout: (last 30 of 100 lines)\n    line 71\n');
    expect(out).toContain('    line 100');
    expect(out).not.toContain('line 70\n');
  });

  it('shows nothing of a no_log result, an empty output, or a task that passed', () => {
    const censored = printed([failed({ censored: 'the output has been hidden due to the fact that no_log: true was specified for this result' })]);
    expect(censored.trim()).toBe('fatal: [h1]: FAILED! => non-zero return code');
    expect(printed([failed({ rc: 1, stdout: '', stderr: '  \n' })]).trim()).toBe('fatal: [h1]: FAILED! => non-zero return code');
    const ok: HapEvent = { event: 'host_result', host: 'h1', task: 'step', status: 'ok', changes: [], result: { rc: 0, stdout: 'fine' } };
    expect(printed([ok])).not.toContain('fine');
  });
});
