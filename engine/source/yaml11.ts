import type { ScalarTag } from 'yaml';

/**
 * Plain scalars resolved exactly as PyYAML's YAML 1.1 resolver does (what ansible-core reads
 * with): `yes/no/on/off` are booleans but `y`/`n` are not, `0755` is octal, `1_000` and
 * `190:20:30` (base 60) are integers, `1e3` is a string (a float needs a dot), and dates stay
 * strings (hap's values are JSON-like). The regular expressions are PyYAML's.
 */
const BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const NULL = /^(?:~|null|Null|NULL|)$/;

const TRUE: ReadonlySet<string> = new Set(['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);

/** Sum of base-60 digit groups (`1:30` → 90), as PyYAML computes it. */
function sexagesimal<T extends number | bigint>(parts: T[], sixty: T, zero: T): T {
  let value = zero;
  for (const p of parts) value = ((value as number) * (sixty as number) + (p as number)) as T;
  return value;
}

function resolveInt(text: string, onError: (msg: string) => void): number | string {
  let s = text.replace(/_/g, '');
  let sign = 1n;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1n;
    s = s.slice(1);
  }
  // `0b_` has no digits: PyYAML itself fails on it; keep the text
  if (/^0[bx]$/.test(s)) return text;
  let big: bigint;
  if (s === '0') big = 0n;
  else if (s.startsWith('0b') || s.startsWith('0x')) big = BigInt(s);
  else if (s[0] === '0') big = BigInt(`0o${s.slice(1)}`);
  else if (s.includes(':')) big = sexagesimal(s.split(':').map((p) => BigInt(p)), 60n, 0n);
  else big = BigInt(s);
  big *= sign;
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
    onError(`integer ${text} is beyond 2^53 and would lose digits; quote it to keep it as a string`);
    return text;
  }
  return Number(big);
}

function resolveFloat(text: string): number {
  let s = text.replace(/_/g, '').toLowerCase();
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '.inf') return sign * Infinity;
  if (s === '.nan') return NaN;
  if (s.includes(':')) return sign * sexagesimal(s.split(':').map(Number), 60, 0);
  return sign * Number(s);
}

export const YAML11_TAGS: ScalarTag[] = [
  { tag: 'tag:yaml.org,2002:null', default: true, test: NULL, resolve: () => null, identify: (v) => v === null },
  { tag: 'tag:yaml.org,2002:bool', default: true, test: BOOL, resolve: (s) => TRUE.has(s), identify: (v) => typeof v === 'boolean' },
  { tag: 'tag:yaml.org,2002:int', default: true, test: INT, resolve: (s, onError) => resolveInt(s, onError), identify: (v) => Number.isInteger(v) },
  { tag: 'tag:yaml.org,2002:float', default: true, test: FLOAT, resolve: (s) => resolveFloat(s), identify: (v) => typeof v === 'number' },
];
