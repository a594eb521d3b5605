import { createTwoFilesPatch } from 'diff';
import type { FileDiff } from '../modules/types.ts';

/** A unified diff of one file change (before/after as Ansible's --diff shows). */
export function unifiedDiff(d: FileDiff): string {
  return createTwoFilesPatch(`before: ${d.path}`, `after: ${d.path}`, d.before, d.after, undefined, undefined, { context: 3 })
    .split('\n')
    .slice(1) // drop the "====" header line
    .join('\n');
}
