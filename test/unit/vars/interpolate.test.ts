import { describe, expect, it } from 'vitest';
import { HapError } from '../../../engine/source/errors.ts';
import { parseYaml, posOf } from '../../../engine/source/yaml.ts';
import { checkValue, isTemplated, renderValue } from '../../../engine/vars/interpolate.ts';

const vars = {
  name: 'etcd',
  port: 2379,
  on: true,
  none: null,
  list: ['a', 'b', 'c'],
  cfg: { peers: { count: 3 } },
  groups: { etcd: ['n1', 'n2'], all: ['n1', 'n2', 'lb'] },
  hostvars: { n1: { ansible_host: '10.0.0.1' }, n2: { ansible_host: '10.0.0.2' }, lb: { ansible_host: '10.0.0.9' } },
};
const file = { name: 'test' };

function failure(fn: () => unknown): HapError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HapError) return e;
    throw e;
  }
  throw new Error('expected a HapError');
}

describe.each([
  ['{{ list }}', ['a', 'b', 'c']],
  ['{{list}}', ['a', 'b', 'c']],
  ['{{ port }}', 2379],
  ['{{ on }}', true],
  ['{{ none }}', null],
  ['{{ cfg.peers }}', { count: 3 }],
  ["{{ groups['etcd'] }}", ['n1', 'n2']],
  ["{{ missing | default(5) }}", 5],
  ["{{ groups.etcd | map('extract', hostvars, 'ansible_host') | list }}", ['10.0.0.1', '10.0.0.2']],
  ["{{ {'a': {'b': port}} }}", { a: { b: 2379 } }],
  ["{{ '}}' ~ name }}", '}}etcd'],
  ['{{ port }} ', '2379 '],
  ['port {{ port }}', 'port 2379'],
  ['{{ port }}{{ port }}', '23792379'],
  ['{{ on }}/{{ none }}/{{ list }}', "True//['a', 'b', 'c']"],
  ["{{ list | join(',') }}", 'a,b,c'],
  ['a {# a comment #}b', 'a b'],
  ["{{ 'x' if on else 'y' }}-{{ port + 1 }}", 'x-2380'],
  ["{{ [] | first | default('none') }}", 'none'],
  ['no template', 'no template'],
])('renderValue(%j)', (text, expected) => {
  it('evaluates as Ansible does', () => expect(renderValue(text, vars, file)).toEqual(expected));
});

describe('renderValue', () => {
  it('renders every string of a tree and keeps other values', () => {
    const tree = { a: '{{ port }}', b: ['x-{{ name }}', 3, null, { c: '{{ list }}' }], d: false };
    expect(renderValue(tree, vars, file)).toEqual({ a: 2379, b: ['x-etcd', 3, null, { c: ['a', 'b', 'c'] }], d: false });
    expect(tree.a).toBe('{{ port }}');
  });

  it('names a missing variable, the file and line', () => {
    const doc = parseYaml('a: 1\nb:\n  - ok\n  - "x {{ nope }}"\n', 'x.yml');
    const e = failure(() => renderValue(doc, vars, { name: 'x.yml' }));
    expect(e.message).toContain("undefined variable 'nope'");
    expect(e.pos).toMatchObject({ file: 'x.yml', line: 4 });
  });

  it('keeps positions of rendered containers', () => {
    const doc = parseYaml('list:\n  - "{{ name }}"\n', 'y.yml') as { list: unknown[] };
    const out = renderValue(doc, vars, { name: 'y.yml' }) as { list: unknown[] };
    expect(posOf(out.list, 0)).toEqual(posOf(doc.list, 0));
  });

  it('lets errors of lazily rendered variables through unchanged', () => {
    const scope = {};
    Object.defineProperty(scope, 'lazy', {
      enumerable: true,
      get: () => {
        throw new HapError('variable lazy refers to itself');
      },
    });
    expect(() => renderValue('{{ lazy }}', scope, file)).toThrow('variable lazy refers to itself');
  });
});

describe('checkValue errors name the expression, line and column', () => {
  const pos = { file: 'roles/r/tasks/main.yml', line: 7, col: 10 };
  it.each([
    ["{{ groups['all' }}", 'syntax error in expression', 25],
    ['{% for h in groups.all %}{{ h }}{% endfor %}', "'{% … %}' statements are not supported", 10],
    ['a {{ x', "'{{' is never closed", 12],
    ['{{ x | frobnicate }}', "unknown filter 'frobnicate'", 17],
    ['{{  }}', 'empty expression', 10],
  ])('%j', (text, message, col) => {
    const e = failure(() => checkValue(text, { name: 'v', pos }));
    expect(e.message).toContain(message);
    expect(e.pos).toEqual({ ...pos, col });
    expect(e.message).toMatch(/\n {4}.*\n {4} *\^$/);
  });

  it('maps the lines of a multi-line value', () => {
    const e = failure(() => checkValue('first line\nsecond {{ a b }}', { name: 'v', pos }));
    expect(e.pos).toEqual({ file: pos.file, line: 8, col: 13 });
  });
});

describe('isTemplated', () => {
  it.each([
    ['{{ x }}', true],
    ['a {% if y %}', true],
    ['plain', false],
    ['{ not }', false],
  ])('%j → %s', (s, expected) => expect(isTemplated(s)).toBe(expected));
});
