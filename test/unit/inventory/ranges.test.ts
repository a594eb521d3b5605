import { describe, expect, it } from 'vitest';
import { expandHostRange } from '../../../engine/inventory/index.ts';
import { splitHostPort } from '../../../engine/inventory/ranges.ts';

describe.each<[string, string[]]>([
  ['plain.example', ['plain.example']],
  ['web[01:03].example', ['web01.example', 'web02.example', 'web03.example']],
  ['web[1:3]', ['web1', 'web2', 'web3']],
  ['n[8:11]', ['n8', 'n9', 'n10', 'n11']],
  ['n[:2]', ['n0', 'n1', 'n2']],
  ['n[0:6:3]', ['n0', 'n3', 'n6']],
  ['db-[a:c]', ['db-a', 'db-b', 'db-c']],
  ['r[1:2]-[a:b]', ['r1-a', 'r1-b', 'r2-a', 'r2-b']],
  ['fe80::1', ['fe80::1']],
])('expandHostRange(%j)', (name, expected) => {
  it('expands as Ansible', () => expect(expandHostRange(name)).toEqual(expected));
});

describe.each<[string, string]>([
  ['web[3:1]', "host range in 'web[3:1]' must have begin <= end"],
  ['web[1:]', "host range in 'web[1:]' must give an end value"],
  ['web[01:100]', "host range in 'web[01:100]' must give begin and end with equal widths"],
  ['web[a:3]', "host range in 'web[a:3]' mixes a letter with '3'"],
  ['web[1:2:0]', "host range step in 'web[1:2:0]' must be a positive integer"],
  ['web[1:2:3:4]', "host range in 'web[1:2:3:4]' must be [begin:end] or [begin:end:step]"],
])('expandHostRange(%j)', (name, message) => {
  it('rejects the range', () => expect(() => expandHostRange(name)).toThrow(message));
});

describe('splitHostPort', () => {
  it.each<[string, { host: string; port?: number; literal?: boolean }]>([
    ['lb.example:2201', { host: 'lb.example', port: 2201 }],
    ['web[1:3]:22', { host: 'web[1:3]', port: 22 }],
    ['web[1:3]', { host: 'web[1:3]' }],
    ['fe80::1', { host: 'fe80::1' }],
    ['h:x', { host: 'h:x' }],
    // bracketed IPv6, with or without a port, is an address, not a range
    ['[fe80::1]:2222', { host: 'fe80::1', port: 2222, literal: true }],
    ['[2001:db8::20]', { host: '2001:db8::20', literal: true }],
    ['[0:9]', { host: '[0:9]' }],
  ])('%j', (key, expected) => expect(splitHostPort(key)).toEqual(expected));
});
