import { describe, expect, it } from 'vitest';
import { HapError } from '../../../engine/source/errors.ts';
import { evaluate, evaluateCondition, parseExpr, truthy } from '../../../engine/vars/expr.ts';

const vars = {
  x: 1,
  two: 2,
  s: 'Hello World',
  csv: 'a,b,,c',
  l: [3, 1, 2],
  words: ['b', 'A', 'c', 'a'],
  d: { a: 1, b: { c: 'z' } },
  n: null,
  t: true,
  f: false,
  empty: '',
  zero: 0,
  users: [
    { name: 'ann', admin: true, age: 30 },
    { name: 'bob', admin: false, age: 25 },
    { name: 'cid', age: 41 },
  ],
  ok: { changed: false, failed: false, rc: 0 },
  bad: { changed: true, failed: true, rc: 2 },
  skip: { skipped: true, changed: false },
  v: 'v1.29.3',
  json: '{"k": [1, 2]}',
  b64: 'aGVsbG8=',
  path: '/etc/kubernetes/admin.conf',
  groups: { etcd: ['n1', 'n2', 'n3'] },
  inventory_hostname: 'n2',
};

const pos = { file: 'roles/etcd/tasks/main.yml', line: 7, col: 11 };

describe.each([
  // literals
  ['1', 1],
  ['1.5', 1.5],
  ["'it'", 'it'],
  ['"dq"', 'dq'],
  ['true', true],
  ['True', true],
  ['False', false],
  ['none', null],
  ['None', null],
  ['null', null],
  ['[1, "a", [2]]', [1, 'a', [2]]],
  ["{'k': 1, 'm': [x]}", { k: 1, m: [1] }],
  ['{}', {}],
  ["('a', 'b')", ['a', 'b']],
  // access
  ['x', 1],
  ['d.a', 1],
  ['d.b.c', 'z'],
  ["d['b']['c']", 'z'],
  ['l[0]', 3],
  ['l[-1]', 2],
  ['s[0]', 'H'],
  ['groups.etcd[1] == inventory_hostname', true],
  // arithmetic
  ['x + two', 3],
  ['two - 5', -3],
  ['two * 3', 6],
  ['7 / 2', 3.5],
  ['7 // 2', 3],
  ['-7 // 2', -4],
  ['7 % 3', 1],
  ['-7 % 3', 2],
  ['2 ** 3 ** 2', 512],
  ['2 + 3 * 4', 14],
  ['(2 + 3) * 4', 20],
  ['-x', -1],
  ["'ab' + 'cd'", 'abcd'],
  ['[1] + [2]', [1, 2]],
  ["'ab' * 2", 'abab'],
  ["s ~ '!' ~ x", 'Hello World!1'],
  ["'n=' ~ n ~ t", 'n=NoneTrue'],
  // comparison
  ['x == 1', true],
  ['x != 1', false],
  ["x == '1'", false],
  ['[1, [2]] == [1, [2]]', true],
  ["d == {'a': 1, 'b': {'c': 'z'}}", true],
  ['x < two', true],
  ['x <= 1', true],
  ['x > two', false],
  ['two >= 2', true],
  ["'abc' < 'abd'", true],
  ['1 < x + 1 < 3', true],
  ['1 < x < 3', false],
  ['3 in l', true],
  ['4 not in l', true],
  ["'World' in s", true],
  ["'a' in d", true],
  ["'zz' not in d", true],
  ['x  not\n in [2]', true],
  ["'is  not' ~ 'x'", 'is  notx'],
  ['x is  not none', true],
  // logic (Python returns the deciding operand)
  ['t and x', 1],
  ['f and missing', false],
  ['t or missing', true],
  ['empty or "fallback"', 'fallback'],
  ['zero or n', null],
  ['not t', false],
  ['not empty', true],
  ['not x == 2', true],
  ['not x in l and t', false],
  ['not 5 in l and t', true],
  ['not missing is defined', true],
  ["'yes' if t else 'no'", 'yes'],
  ["'yes' if f else 'no'", 'no'],
  ["'a' if f else 'b' if t else 'c'", 'b'],
  ["'a' if f", null],
  // methods
  ["s.startswith('Hell')", true],
  ["s.startswith(('x', 'H'))", true],
  ["s.endswith('d')", true],
  ['s.split()', ['Hello', 'World']],
  ["csv.split(',')", ['a', 'b', '', 'c']],
  ["csv.split(',', 1)", ['a', 'b,,c']],
  ["'  pad '.strip()", 'pad'],
  ["'xxaxx'.strip('x')", 'a'],
  ['s.lower()', 'hello world'],
  ['s.upper()', 'HELLO WORLD'],
  ["s.replace('l', 'L')", 'HeLLo WorLd'],
  ["d.get('a')", 1],
  ["d.get('zz', 7)", 7],
  ["d.get('zz')", null],
  ['d.keys()', ['a', 'b']],
  ['d.b.values()', ['z']],
  ['d.b.items()', [['c', 'z']]],
  // slices, as Python's
  ['l[1:]', [1, 2]],
  ['l[:-1]', [3, 1]],
  ['l[::-1]', [2, 1, 3]],
  ['l[::2]', [3, 2]],
  ['l[-10:1]', [3]],
  ['l[5:]', []],
  ['l[2:0:-1]', [2, 1]],
  ['l[ 1 : ]', [1, 2]],
  ['l[None:1]', [3]],
  ['s[:5]', 'Hello'],
  ['s[::-1][:5]', 'dlroW'],
  ["groups['etcd'][1:] | join(',')", 'n2,n3'],
  ['l[x:two + 1]', [1, 2]],
  ['(l | sort)[-2:]', [2, 3]],
  ['d.b.c[0]', 'z'],
  // braces are tolerated in a condition
  ['{{ x == 1 }}', true],
])('expression %s', (src, expected) => {
  it('evaluates', () => expect(evaluate(src, vars)).toEqual(expected));
});

describe.each([
  ['x is defined', true],
  ['missing is defined', false],
  ['d.zz is defined', false],
  ['missing.deeper is defined', false],
  ['missing is undefined', true],
  ['x is not defined', false],
  ['n is none', true],
  ['x is none', false],
  ['x is truthy', true],
  ['empty is falsy', true],
  ['x is number', true],
  ['s is number', false],
  ['s is string', true],
  ['d is mapping', true],
  ['l is mapping', false],
  ['l is sequence', true],
  ['s is sequence', true],
  ['x is sequence', false],
  ['x is integer', true],
  ['1.5 is float', true],
  ['t is boolean', true],
  ['ok is succeeded', true],
  ['ok is success', true],
  ['bad is succeeded', false],
  ['bad is failed', true],
  ['ok is failed', false],
  ['bad is changed', true],
  ['ok is not changed', true],
  ['skip is skipped', true],
  ['ok is skipped', false],
  ["s is match('Hel+o')", true],
  ["s is match('World')", false],
  ["s is search('World$')", true],
  ["s is search('^World')", false],
  ["s is match('hello', ignorecase=true)", true],
  ["'etcd-1' is match('(?P<n>etcd)-\\d')", true],
  ["'etcd-1' is match('etcd-\\d$')", true],
  ["'a\\tb' is search('\\t')", true],
  ["v is version('1.29.0', '>=')", true],
  ["v is version('1.30', '<')", true],
  ["v is version('v1.29.3', '==')", true],
  ["v is version('1.29.3')", true],
  ["'3.5.10' is version('3.5.9', 'gt')", true],
  ["'3.5.0-rc1' is version('3.5.0', 'lt')", true],
  ["'3.5.0.1' is version('3.5.0', 'gt')", true],
  ["'1.10' is version('1.9', '>')", true],
  ["'3.4.10' is version('3.5', 'ge')", false],
  ['x is eq(1)', true],
  ['x is equalto(2)', false],
  ['x is ne(2)', true],
  ['x is lt(2)', true],
  ['x is le(1)', true],
  ['x is gt(0)', true],
  ['x is ge(2)', false],
  ['3 is in(l)', true],
  ['l is contains(3)', true],
  ['6 is divisibleby(3)', true],
  ['x is odd', true],
  ['two is even', true],
  ["'abc' is lower", true],
  ["'ABC' is upper", true],
  ['[1] is subset([1, 2])', true],
  ['[1, 2] is superset([2])', true],
  ['t is true', true],
  ['f is false', true],
  ['l is iterable', true],
  ["s is regex('wor', ignorecase=true)", true],
])('test %s', (src, expected) => {
  it('evaluates', () => expect(evaluate(src, vars)).toBe(expected));
});

describe.each([
  ['missing | default(5)', 5],
  ['missing.x.y | default(5)', 5],
  ['x | default(5)', 1],
  ["empty | default('e')", ''],
  ["empty | default('e', true)", 'e'],
  ['missing | d(2)', 2],
  ['l | length', 3],
  ['s | length', 11],
  ['d | count', 2],
  ["'42' | int", 42],
  ["'4.7' | int", 4],
  ["'x' | int", 0],
  ["'x' | int(7)", 7],
  ['4.7 | int', 4],
  ["'ff' | int(0, 16)", 255],
  ["'yes' | bool", true],
  ["'off' | bool", false],
  ['1 | bool', true],
  ['x | string', '1'],
  ['t | string', 'True'],
  ['s | lower', 'hello world'],
  ['s | upper', 'HELLO WORLD'],
  ["'  a b  ' | trim", 'a b'],
  ["'ab' | list", ['a', 'b']],
  ['d | list', ['a', 'b']],
  ['l | first', 3],
  ['l | last', 2],
  ['s | first', 'H'],
  ["l | join(',')", '3,1,2'],
  ['l | join', '312'],
  ["words | select('match', '[aA]')", ['A', 'a']],
  ["words | reject('match', '[aA]')", ['b', 'c']],
  ['[0, 1, "", "a"] | select', [1, 'a']],
  ["users | map(attribute='name') | list", ['ann', 'bob', 'cid']],
  ["users | map(attribute='admin', default=false)", [true, false, false]],
  ["words | map('upper') | join", 'BACA'],
  ["users | selectattr('admin') | map(attribute='name') | list", ['ann']],
  ["users | selectattr('admin', 'defined') | map(attribute='name') | list", ['ann', 'bob']],
  ["users | selectattr('name', 'equalto', 'bob') | map(attribute='age') | first", 25],
  ["users | selectattr('age', '>', 28) | map(attribute='name') | list", ['ann', 'cid']],
  ["users | rejectattr('admin') | map(attribute='name') | list", ['bob', 'cid']],
  ['d.b | dict2items', [{ key: 'c', value: 'z' }]],
  ["d.b | dict2items(key_name='k', value_name='v')", [{ k: 'c', v: 'z' }]],
  ["[{'key': 'a', 'value': 1}] | items2dict", { a: 1 }],
  ["d | combine({'a': 2, 'e': 3})", { a: 2, b: { c: 'z' }, e: 3 }],
  ["d | combine({'b': {'d': 1}}, recursive=true)", { a: 1, b: { c: 'z', d: 1 } }],
  ['[1, [2, [3]]] | flatten', [1, 2, 3]],
  ['[1, [2, [3]]] | flatten(1)', [1, 2, [3]]],
  ["csv | split(',')", ['a', 'b', '', 'c']],
  ["'a  b' | split", ['a', 'b']],
  ["s | replace('o', '0')", 'Hell0 W0rld'],
  ["s | regex_search('W(or)ld')", 'World'],
  ["s | regex_search('W(or)ld', '\\\\1')", ['or']],
  ["s | regex_search('nope')", null],
  ["s | regex_replace('(\\\\w+) (\\\\w+)', '\\\\2 \\\\1')", 'World Hello'],
  ["'a1b22' | regex_findall('\\\\d+')", ['1', '22']],
  ['json | from_json', { k: [1, 2] }],
  ['d | to_json', '{"a": 1, "b": {"c": "z"}}'],
  ["{'b': 1, 'a': [1]} | to_nice_json", '{\n    "a": [\n        1\n    ],\n    "b": 1\n}'],
  ['d.b | to_yaml', 'c: z\n'],
  ["'c: 1' | from_yaml", { c: 1 }],
  ["'hello' | b64encode", 'aGVsbG8='],
  ['b64 | b64decode', 'hello'],
  ['l | sort', [1, 2, 3]],
  ['l | sort(reverse=true)', [3, 2, 1]],
  ['words | sort', ['A', 'a', 'b', 'c']],
  ["users | sort(attribute='age') | map(attribute='name') | list", ['bob', 'ann', 'cid']],
  ['[1, 2, 1, [1], [1]] | unique', [1, 2, [1]]],
  ['l | min', 1],
  ['l | max', 3],
  ["users | max(attribute='age')", { name: 'cid', age: 41 }],
  ['l | sum', 6],
  ["users | sum(attribute='age')", 96],
  ['-3 | abs', 3],
  ['2.567 | round(2)', 2.57],
  ["'1.5' | float", 1.5],
  ["'x' | float", 0],
  ['[1, 2, 3] | difference([2])', [1, 3]],
  ['[1, 2, 3] | intersect([3, 2, 9])', [2, 3]],
  ['[1, 2] | union([2, 3])', [1, 2, 3]],
  ['path | basename', 'admin.conf'],
  ['path | dirname', '/etc/kubernetes'],
  ["\"it's\" | quote", "'it'\\''s'"],
  ["'a\\nb' | indent(2)", 'a\n  b'],
  ["'a\\nb' | indent(2, true)", '  a\n  b'],
  ["t | ternary('on', 'off')", 'on'],
  ["f | ternary('on', 'off')", 'off'],
  ["v | version_compare('1.30', '<')", true],
  ['l | reverse', [2, 1, 3]],
  ['d.b | items', [['c', 'z']]],
  ['x | mandatory', 1],
  ['x | int + 1', 2],
])('filter %s', (src, expected) => {
  it('evaluates', () => expect(evaluate(src, vars)).toEqual(expected));
});

describe.each([
  // [expression, message fragment, column inside the expression (1-based) or undefined]
  ['x ==', 'Expected expression after ==', 5],
  ['x | nosuchfilter', "unknown filter 'nosuchfilter'", 5],
  ['x is nosuchtest', "unknown test 'nosuchtest'", 6],
  ['x = 1', "did you mean '=='?", 3],
  ['f(1)', 'function calls are not supported', 1],
  ['t ? 1 : 2', "write 'b if a else c'", 3],
  ['(1', 'Unclosed (', undefined],
  ["'abc", 'Unclosed quote', undefined],
  ['x y', 'Unexpected "y"', 3],
  ['', 'empty expression', 1],
  ['{{ x }} == 1', 'bare expression', undefined],
  ['l[1:', 'Unclosed [', 5],
  ['l[1:2:3:4]', 'Unclosed [', 8],
  ['l[]', 'Unexpected "]"', 4],
])('syntax error in %j', (src, message, column) => {
  it('is a HapError with the column', () => {
    let err: unknown;
    try {
      parseExpr(src, pos);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HapError);
    expect((err as HapError).message).toContain(message);
    expect((err as HapError).pos?.file).toBe(pos.file);
    if (column !== undefined) {
      expect((err as HapError).message).toContain(`at column ${column}`);
      expect((err as HapError).pos?.col).toBe(pos.col + column - 1);
    }
  });
});

describe.each([
  ['etcd_version == 1', "undefined variable 'etcd_version' in expression 'etcd_version == 1'"],
  ['d.zz == 1', "undefined variable 'd.zz'"],
  ["d['b'].nope", `undefined variable 'd["b"].nope'`],
  ['l[7]', "undefined variable 'l[7]'"],
  ['t and missing', "undefined variable 'missing'"],
  ['missing | length', "undefined variable 'missing'"],
  ['missing | mandatory', "undefined variable 'missing'"],
  ['d.constructor', "access to 'constructor' is not allowed"],
  ["d['__proto__']", "access to '__proto__' is not allowed"],
  ['l.constructor.prototype', "access to 'constructor' is not allowed"],
  ['s.constructor', "access to 'constructor' is not allowed"],
  ['x.toString', "undefined variable 'x.toString'"],
  ['d.hasOwnProperty', "undefined variable 'd.hasOwnProperty'"],
  ['toString', "undefined variable 'toString'"],
  ['l.pop()', "method 'pop' is not available on list"],
  ['s.constructor("x")', "access to 'constructor' is not allowed"],
  ['x < s', 'cannot compare int with str'],
  ["x + 'a'", "unsupported operand types for +: 'int' and 'str'"],
  ['x / 0', 'division by zero'],
  ["'%s' % x", "string formatting with '%' is not supported"],
  ['x is failed', "the 'failed' test expects a registered result"],
  ['[] | first', 'first of an empty sequence'],
  ["s is match('(')", 'bad regular expression'],
  ['l[::0]', 'slice step cannot be zero'],
  ["l['a':]", 'slice indices must be integers or None'],
  ['d[1:]', "'dict' object is not subscriptable with a slice"],
])('evaluation error in %j', (src, message) => {
  it('is a HapError naming the problem', () => {
    expect(() => evaluate(src, vars, pos)).toThrow(HapError);
    expect(() => evaluate(src, vars, pos)).toThrow(message);
  });
});

describe('evaluate', () => {
  it('accepts a parsed expression and caches parses', () => {
    const e = parseExpr('x + 1');
    expect(parseExpr('x + 1')).toBe(e);
    expect(evaluate(e, { x: 41 })).toBe(42);
  });

  it('keeps the position of the condition in errors', () => {
    try {
      evaluate('nope', vars, pos);
      expect.unreachable();
    } catch (e) {
      expect((e as HapError).pos).toEqual(pos);
      expect(String(e)).toMatch(/^roles\/etcd\/tasks\/main\.yml:7:11: undefined variable 'nope'/);
    }
  });

  it('reads variables through getters and prototype chains of scopes', () => {
    const base = { inherited: 'yes' };
    const scope = Object.create(base) as Record<string, unknown>;
    Object.defineProperty(scope, 'lazy', { enumerable: true, get: () => 5 });
    expect(evaluate('lazy + 1', scope)).toBe(6);
    expect(evaluate('inherited', scope)).toBe('yes');
  });

  it('does not evaluate the side a short circuit skips', () => {
    expect(evaluate('missing is defined and missing > 1', {})).toBe(false);
    expect(evaluate("missing if false else 'ok'", {})).toBe('ok');
  });

  it('marks a braced condition', () => {
    expect(parseExpr('{{ x }}').braced).toBe(true);
    expect(parseExpr('x').braced).toBe(false);
  });
});

describe.each([
  ['x == 1', true],
  [['x == 1', 't'], true],
  [['x == 1', 'f'], false],
  [[], true],
  [true, true],
  [false, false],
  ['empty', false],
  ['l', true],
  ['{{ t }}', true],
])('evaluateCondition %j', (cond, expected) => {
  it('holds or not', () => expect(evaluateCondition(cond, vars, pos)).toBe(expected));
});

describe.each([
  ['', false],
  ['a', true],
  [0, false],
  [2, true],
  [[], false],
  [[0], true],
  [{}, false],
  [{ a: 1 }, true],
  [null, false],
  [undefined, false],
  [false, false],
])('truthy(%j)', (v, expected) => {
  it('follows Python', () => expect(truthy(v)).toBe(expected));
});

describe('parenthesised comparisons are not chained', () => {
  it.each([
    ['(a != b) == (c == d)', { a: 1, b: 1, c: 'h1', d: 'h2' }, true],
    ['(1 < 2) == true', {}, true],
    ['1 < 2 < 3', {}, true],
    ['3 > 2 > 2', {}, false],
  ])('%s', (src, vars, expected) => {
    expect(evaluate(src, vars)).toBe(expected);
  });
});
