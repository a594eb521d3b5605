import { describe, expect, it } from 'vitest';
import { HapError, HapErrors } from '../../../engine/source/errors.ts';
import { keyPosOf, MAX_ALIAS_NODES, parseYaml, posOf } from '../../../engine/source/yaml.ts';

const value = (text: string): unknown => (parseYaml(`v: ${text}\n`, 'v.yml') as { v: unknown }).v;

/** Messages of the errors parseYaml throws, as the CLI prints them. */
function errorsOf(input: string | Buffer): string[] {
  try {
    parseYaml(input, 'f.yml');
  } catch (e) {
    if (e instanceof HapErrors) return e.errors.map(String);
    if (e instanceof HapError) return [String(e)];
    throw e;
  }
  throw new Error('parsed without an error');
}

// each row checked against PyYAML 6.0 (`yaml.safe_load('v: ' + text)`), what ansible-core reads with
describe.each([
  ['yes', true], ['no', false], ['on', true], ['off', false], ['Yes', true], ['YES', true], ['True', true], ['FALSE', false],
  ['y', 'y'], ['n', 'n'], ['Y', 'Y'], ['N', 'N'], ['yES', 'yES'], ['tRUE', 'tRUE'],
  ['0755', 0o755], ['-0755', -0o755], ['0o17', '0o17'], ['09', '09'], ['0_7', 7], ['1_000', 1000], ['+12', 12], ['-0', 0],
  ['190:20:30', 685230], ['-1:30', -90], ['1:70', '1:70'], ['0x1F', 31], ['0x_1F', 31], ['0b101', 5],
  ['1e3', '1e3'], ['1.0e3', '1.0e3'], ['1.0e+3', 1000], ['1.', 1], ['.5', 0.5], ['-.5', '-.5'], ['3.14', 3.14], ['1_0.5', 10.5],
  ['.inf', Infinity], ['-.Inf', -Infinity],
  ['~', null], ['null', null], ['Null', null], ['NULL', null], ['', null],
  ['2001-12-14', '2001-12-14'], ['9007199254740991', 9007199254740991], ['"0755"', '0755'], ["'yes'", 'yes'],
])('YAML 1.1 scalar %s', (text, expected) => {
  it(`reads as ${JSON.stringify(expected)}`, () => expect(value(text)).toEqual(expected));
});

describe('YAML as Ansible reads it', () => {
  it('reads .nan as NaN', () => expect(value('.NaN')).toBeNaN());

  it('resolves aliases, keeping the anchor position for errors', () => {
    const doc = parseYaml('x: &a {k: 1}\ny: *a\n', 'f.yml') as Record<string, Record<string, unknown>>;
    expect(doc.y).toEqual({ k: 1 });
    expect(doc.y).not.toBe(doc.x); // a copy: changing one never changes the other
    expect(posOf(doc.y, 'k')).toEqual({ file: 'f.yml', line: 1, col: 11 });
  });

  it('merges << keys: explicit keys win, earlier merged mappings win over later', () => {
    const doc = parseYaml('d: &d {a: 1, b: 2}\ne: &e {b: 9, c: 3}\nf:\n  b: 0\n  <<: [*d, *e]\n', 'f.yml') as Record<string, unknown>;
    expect(doc.f).toEqual({ a: 1, b: 0, c: 3 });
    expect(keyPosOf(doc.f, 'c')).toEqual({ file: 'f.yml', line: 2, col: 14 });
  });

  it('keeps keys as written (yes: names "yes")', () => expect(parseYaml('yes: 1\n0755: 2\n', 'f.yml')).toEqual({ yes: 1, '0755': 2 }));

  it('accepts a UTF-8 byte order mark', () => {
    expect(parseYaml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a: 1\n')]), 'f.yml')).toEqual({ a: 1 });
  });
});

describe('YAML refused with file:line:col', () => {
  it.each([
    ['an integer beyond 2^53', 'a: 1\nb: 12345678901234567890\n', /^f\.yml:2:4: integer 12345678901234567890 is beyond 2\^53/],
    ['a recursive alias', 'a: &a [1, *a]\n', /^f\.yml:1:11: alias \*a refers to a node that contains it/],
    ['an unknown tag', 'a: !unsafe "{{ x }}"\n', /^f\.yml:1:4: Unresolved tag: !unsafe/],
    ['a duplicate key', 'a: 1\na: 2\n', /^f\.yml:2:1: YAML syntax error: Map keys must be unique/],
    ['a list as a key', '? [a]\n: 1\n', /^f\.yml:1:3: a mapping key must be a plain value/],
    ['a merge of a scalar', 'a: &a 1\nb: {<<: *a}\n', /^f\.yml:2:9: a << merge key takes a mapping/],
    ['501 nested lists', `a: ${'['.repeat(501)}${']'.repeat(501)}\n`, /^f\.yml:1:\d+: nesting deeper than 500 levels/],
  ])('%s', (_, text, re) => expect(errorsOf(text)[0]).toMatch(re));

  it('refuses non-UTF-8 bytes at their line and column', () => {
    expect(errorsOf(Buffer.from('a: 1\nb: caf\xe9\n', 'latin1'))).toEqual(['f.yml:2:7: not UTF-8: byte 0xe9 at offset 11; save the file as UTF-8']);
  });

  it('refuses 20,000-deep nesting without overflowing the stack', () => {
    let block = '';
    for (let i = 0; i < 20_000; i++) block += `${' '.repeat(i)}k:\n`;
    expect(errorsOf(block)).toEqual([expect.stringMatching(/^f\.yml:\d+:\d+: nesting too deep for YAML \(hap allows 500 levels\)$/)]);
    expect(errorsOf(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}`)).toEqual([expect.stringMatching(/^f\.yml:1:\d+: nesting too deep/)]);
  });

  it('bounds alias expansion (billion laughs) quickly, at the alias', () => {
    let text = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    const started = Date.now();
    expect(errorsOf(text)).toEqual([`f.yml:6:10: aliases expand this file by more than ${MAX_ALIAS_NODES} nodes (a "billion laughs" file?); refusing`]);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
