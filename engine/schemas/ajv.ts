import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { HapError } from '../source/errors.ts';
import { keyPosOf, posOf } from '../source/yaml.ts';

/** The one ajv instance; every schema in hap compiles here (compiled once, cached by ajv). */
export const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
/** hap's own annotation: the one sentence an anyOf's failure is reported with (see summarised). */
export const ERROR_MESSAGE_KEYWORD = { keyword: 'errorMessage', schemaType: 'string' } as const;
ajv.addKeyword(ERROR_MESSAGE_KEYWORD);

const cache = new WeakMap<object, ValidateFunction>();

export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    cache.set(schema, fn);
  }
  return fn;
}

/** Walks a parsed value along an ajv instancePath ("/a/0/b"). */
function walk(root: unknown, path: string): { parent: unknown; key: string | number | undefined; value: unknown } {
  const parts = path.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let parent: unknown = undefined;
  let key: string | number | undefined;
  let value: unknown = root;
  for (const p of parts) {
    parent = value;
    key = Array.isArray(value) ? Number(p) : p;
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[p] : undefined;
  }
  return { parent, key, value };
}

/** The one-sentence `errorMessage` of an anyOf schema, if it has one. */
export function errorMessage(e: ErrorObject): string | undefined {
  const m = e.keyword === 'anyOf' ? (e.parentSchema as { errorMessage?: unknown } | undefined)?.errorMessage : undefined;
  return typeof m === 'string' ? m : undefined;
}

/**
 * An anyOf schema with `errorMessage` says in one sentence what its branches would say in
 * many: its branches' errors are dropped, its own kept.
 */
export function summarised(errors: ErrorObject[] | null | undefined): ErrorObject[] {
  const all = errors ?? [];
  const summaries = all.filter((e) => errorMessage(e) !== undefined);
  const under = (e: ErrorObject) =>
    summaries.some((s) => s !== e && e.schemaPath.startsWith(`${s.schemaPath.replace(/\/anyOf$/, '')}/anyOf/`) && e.instancePath.startsWith(s.instancePath));
  return all.filter((e) => !under(e));
}

/** Turns ajv errors into HapErrors at the YAML positions of the offending nodes. */
export function schemaErrors(
  root: unknown,
  errors: ErrorObject[] | null | undefined,
  what: string,
  skip?: (value: unknown) => boolean,
): HapError[] {
  const out: HapError[] = [];
  const seen = new Set<string>();
  for (const e of summarised(errors)) {
    const { parent, key, value } = walk(root, e.instancePath);
    if (skip?.(value)) continue;
    let pos = key === undefined ? posOf(root) : posOf(parent, key);
    let msg: string;
    const at = e.instancePath ? `'${e.instancePath.slice(1).replace(/\//g, '.')}'` : what;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = String(e.params.additionalProperty);
        pos = keyPosOf(value, extra) ?? pos;
        msg = `unknown key '${extra}' in ${at}`;
        break;
      }
      case 'propertyNames': {
        const name = String(e.params.propertyName);
        pos = keyPosOf(value, name) ?? pos;
        msg = `invalid variable name '${name}' in ${at}: use letters, digits and _, not starting with a digit`;
        break;
      }
      case 'pattern':
        // a property name's pattern is reported through its propertyNames error
        if ('propertyName' in e) continue;
        msg = `${at} ${e.message ?? 'is invalid'}`;
        break;
      case 'required':
        msg = `${at} is missing required key '${String(e.params.missingProperty)}'`;
        break;
      case 'enum':
        msg = `${at} must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'type':
        msg = `${at} must be ${String(e.params.type).replace(',', ' or ')}, got ${describe(value)}`;
        break;
      case 'anyOf':
        if (errorMessage(e)) {
          msg = `${at} must be ${errorMessage(e)}, got ${describe(value)}`;
          break;
        }
        continue;
      case 'oneOf':
        // the branch errors say more; skip the summary when they were reported
        continue;
      default:
        msg = `${at} ${e.message ?? 'is invalid'}`;
    }
    const line = `${pos?.line}:${pos?.col}:${msg}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(new HapError(msg, pos));
  }
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

/** Validates `value` against `schema`; returns every error (empty when valid). */
export function validate(
  schema: Record<string, unknown>,
  value: unknown,
  what: string,
  skip?: (value: unknown) => boolean,
): HapError[] {
  const fn = compileSchema(schema);
  if (fn(value)) return [];
  return schemaErrors(value, fn.errors, what, skip);
}
