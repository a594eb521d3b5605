// Handlebars helpers for config-file templates. Each is a plain function of its positional
// arguments; template.ts adapts them to handlebars, checks for undefined arguments and adds
// the template line to their errors.
import { FILTERS, runFilter, niceJson, pyJson, toYaml } from './expr-filters.ts';
import { ExprError, compare, deepEqual, getAttr, isMapping, lengthOf, pyStr, toList, truthy, typeName, versionTest } from './expr-values.ts';

export interface HelperCall {
  /** key=value arguments */
  hash: Record<string, unknown>;
  /** the template's root context (for groups) */
  root: unknown;
}

export interface Helper {
  fn: (args: unknown[], call: HelperCall) => unknown;
  /** accepts undefined arguments (a missing variable) instead of failing */
  lenient?: boolean;
}

const h = (fn: Helper['fn']): Helper => ({ fn });

function hostvarsOf(hostvars: unknown, host: unknown): Record<string, unknown> {
  if (!isMapping(hostvars)) throw new ExprError(`hostvars must be a mapping, got ${typeName(hostvars)}`);
  const name = pyStr(host);
  if (!Object.hasOwn(hostvars, name)) throw new ExprError(`unknown host '${name}' in hostvars`);
  const vars = hostvars[name];
  if (!isMapping(vars)) throw new ExprError(`hostvars['${name}'] is not a mapping`);
  return vars;
}

/** One variable of one host; `name` may be a dotted path (`facts.default_ipv4`). */
function hostvar(hostvars: unknown, host: unknown, name: unknown): unknown {
  const vars = hostvarsOf(hostvars, host);
  let v: unknown = vars;
  for (const part of pyStr(name).split('.')) v = getAttr(v, part, `hostvars['${pyStr(host)}'].${pyStr(name)}`);
  return v;
}

/** The hosts of a group (by name, from the root `groups`) or a list of host names as given. */
function hostsOf(group: unknown, root: unknown): unknown[] {
  if (Array.isArray(group)) return group;
  const groups = isMapping(root) ? root.groups : undefined;
  if (!isMapping(groups)) throw new ExprError(`map_hosts needs 'groups' in the template variables`);
  const hosts = groups[pyStr(group)];
  if (!Array.isArray(hosts)) throw new ExprError(`unknown group '${pyStr(group)}'`);
  return hosts;
}

function range(args: unknown[]): number[] {
  const [a, b, step = 1] = args.map(Number);
  const [start, stop] = b === undefined ? [0, a ?? 0] : [a ?? 0, b];
  if (step === 0) throw new ExprError('range step must not be 0');
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

/** Runs an expression filter with the helper's positional and key=value arguments. */
const filter = (name: string): Helper => h(([v, ...rest], { hash }) => runFilter(name, v, rest, hash));

export const HELPERS: Record<string, Helper> = {
  default: {
    lenient: true,
    fn: ([v, fallback]) => (v === undefined || v === null || v === '' ? fallback : v),
  },
  defined: { lenient: true, fn: ([v]) => v !== undefined },
  join: h(([list, sep]) => toList(list).map(pyStr).join(sep === undefined ? ',' : pyStr(sep))),
  to_yaml: h(([v]) => toYaml(v)),
  to_json: h(([v]) => pyJson(v)),
  to_nice_json: h(([v, indent]) => niceJson(v, indent === undefined ? 4 : Number(indent))),
  b64encode: filter('b64encode'),
  b64decode: filter('b64decode'),
  indent: h(([text, n = 4, first], { hash }) => runFilter('indent', text, [n, first ?? hash.first ?? false, hash.blank ?? false])),
  eq: h(([a, b]) => deepEqual(a, b)),
  ne: h(([a, b]) => !deepEqual(a, b)),
  lt: h(([a, b]) => compare(a, b) < 0),
  le: h(([a, b]) => compare(a, b) <= 0),
  gt: h(([a, b]) => compare(a, b) > 0),
  ge: h(([a, b]) => compare(a, b) >= 0),
  and: h((args) => args.every(truthy)),
  or: h((args) => args.some(truthy)),
  not: h(([v]) => !truthy(v)),
  keys: h(([v]) => {
    if (!isMapping(v)) throw new ExprError(`keys expects a mapping, got ${typeName(v)}`);
    return Object.keys(v);
  }),
  values: h(([v]) => {
    if (!isMapping(v)) throw new ExprError(`values expects a mapping, got ${typeName(v)}`);
    return Object.values(v);
  }),
  map_attr: h(([list, attr]) => runFilter('map', list, [], { attribute: attr })),
  hostvar: h(([hostvars, host, name]) => hostvar(hostvars, host, name)),
  map_hosts: h(([group, hostvars, attr], { root }) => hostsOf(group, root).map((host) => hostvar(hostvars, host, attr))),
  concat: h((args) => (args.length > 0 && args.every(Array.isArray) ? args.flat(1) : args.map((a) => String(a)).join(''))),
  split: h(([s, sep]) => runFilter('split', s, sep === undefined ? [] : [sep])),
  upper: filter('upper'),
  lower: filter('lower'),
  trim: filter('trim'),
  replace: filter('replace'),
  quote: filter('quote'),
  length: h(([v]) => lengthOf(v)),
  first: filter('first'),
  last: filter('last'),
  range: h((args) => range(args)),
  version: h(([a, op, b]) => versionTest(a, b, op)),
};

// Every expression filter is also a helper (`{{regex_replace x "a" "b"}}`), so a .hbs file has
// the same vocabulary as `{{ x | regex_replace('a', 'b') }}` in YAML; the helpers above keep
// their handlebars-friendly forms (`join` defaults to ',', `default` treats '' as missing).
for (const name of Object.keys(FILTERS)) if (!Object.hasOwn(HELPERS, name)) HELPERS[name] = filter(name);
