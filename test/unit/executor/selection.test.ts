import { describe, expect, it } from 'vitest';
import { selected } from '../../../engine/executor/tasks.ts';

// Ansible's Taggable.evaluate_tags, case by case: [task tags, --tags, --skip-tags, runs]
describe.each<[string[], string[], string[], boolean]>([
  [[], [], [], true],
  [['x'], [], [], true],
  [['never'], [], [], false],
  [['never'], ['never'], [], true],
  [['never', 'debug'], ['debug'], [], true],
  [['never', 'debug'], ['all'], [], false],
  [['never', 'debug'], ['tagged'], [], false],
  [['always'], ['x'], [], true],
  [['always', 'never'], [], [], true],
  [['always'], [], ['always'], false],
  [['always'], [], ['all'], true],
  [['always'], [], ['all', 'always'], false],
  [[], [], ['all'], false],
  [['x'], ['tagged'], [], true],
  [[], ['tagged'], [], false],
  [[], ['untagged'], [], true],
  [['x'], ['untagged'], [], false],
  [['x'], [], ['tagged'], false],
  [[], [], ['tagged'], true],
  [['x', 'y'], ['y'], ['x'], false],
  [['x'], ['y'], [], false],
])('tags %j with --tags %j --skip-tags %j', (tags, only, skip, runs) => {
  it(runs ? 'runs' : 'is skipped', () => expect(selected(tags, only, skip)).toBe(runs));
});
