import { HapError, type SourcePos } from '../source/errors.ts';
import { posOf } from '../source/yaml.ts';

// Ansible's int, float and bool checks accept their text forms too (`-e keep=7` is a string)
const TYPES: Record<string, Record<string, unknown>> = {
  str: { type: 'string' },
  path: { type: 'string' },
  raw: {},
  int: { anyOf: [{ type: 'integer' }, { type: 'string', pattern: '^[+-]?[0-9]+$' }] },
  float: { anyOf: [{ type: 'number' }, { type: 'string', pattern: '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$' }] },
  bool: { anyOf: [{ type: 'boolean' }, { enum: ['yes', 'no', 'on', 'off', 'true', 'false', 'True', 'False', 'y', 'n', '1', '0', 1, 0] }] },
  list: { type: 'array' },
  dict: { type: 'object' },
};

/**
 * Converts a role's Ansible-style argument spec (`options: {name: {type, required, choices,
 * elements, options}}`) into a JSON schema checked with ajv before the role's first task.
 */
export function argumentSpecSchema(spec: unknown, file: string): { schema?: Record<string, unknown>; errors: HapError[] } {
  const errors: HapError[] = [];
  const at = (v: unknown): SourcePos => posOf(v) ?? { file, line: 1, col: 1 };
  const convert = (options: unknown): Record<string, unknown> => {
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    for (const [name, o] of Object.entries((options as Record<string, Record<string, unknown>>) ?? {})) {
      const type = String(o?.type ?? 'str');
      const base = TYPES[type];
      if (!base) {
        errors.push(new HapError(`argument spec '${name}': unknown type '${type}' (one of ${Object.keys(TYPES).join(', ')})`, at(o)));
        continue;
      }
      const s: Record<string, unknown> = { ...base };
      if (o.choices) s.enum = o.choices;
      if (type === 'list' && o.elements) s.items = TYPES[String(o.elements)] ?? {};
      if (type === 'list' && o.elements === 'dict' && o.options) s.items = convert(o.options);
      if (type === 'dict' && o.options) Object.assign(s, convert(o.options));
      if (o.description) s.description = Array.isArray(o.description) ? o.description.join(' ') : o.description;
      properties[name] = s;
      if (o.required === true) required.push(name);
    }
    return { type: 'object', properties, required };
  };
  const schema = convert((spec as Record<string, unknown>)?.options);
  return { schema, errors };
}
