import { HapError, type SourcePos } from '../source/errors.ts';
import { posOf } from '../source/yaml.ts';
import { renderValue, isTemplated } from './interpolate.ts';
import type { VarOrigin } from './ladder.ts';

/** `group_vars: inventories/prod/group_vars/all.yml:3:9` → that place. */
function posIn(source: string): SourcePos | undefined {
  const m = /(\S+):(\d+):(\d+)\b[^:]*$/.exec(source);
  return m ? { file: m[1]!, line: Number(m[2]), col: Number(m[3]) } : undefined;
}

function hasTemplate(v: unknown): boolean {
  if (typeof v === 'string') return isTemplated(v);
  if (Array.isArray(v)) return v.some(hasTemplate);
  if (v && typeof v === 'object') return Object.values(v).some(hasTemplate);
  return false;
}

/**
 * Builds the variable scope a task sees. Variables whose values hold templates are rendered
 * on first read (as Ansible does), so `etcd_url: "https://{{ ansible_host }}:2379"` works
 * wherever the host differs; a variable that refers to itself is an error.
 */
export function lazyScope(
  vars: Record<string, unknown>,
  origins: Record<string, VarOrigin>,
  magic: Record<string, unknown>,
  facts: Record<string, unknown> = {},
): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  const rendering = new Set<string>();
  for (const [k, v] of Object.entries(vars)) {
    // registered results and set_fact values are data, never templates (a command's output
    // may well contain `{{`)
    if (origins[k]?.layer === 'runtime' || !hasTemplate(v)) {
      scope[k] = v;
      continue;
    }
    let done = false;
    let cached: unknown;
    Object.defineProperty(scope, k, {
      enumerable: true,
      configurable: true,
      get() {
        if (done) return cached;
        if (rendering.has(k)) throw new HapError(`variable '${k}' refers to itself (${[...rendering, k].join(' → ')})`);
        rendering.add(k);
        try {
          const source = origins[k]?.source ?? 'unknown';
          cached = renderValue(v, scope, { name: `variable '${k}' (${source})`, pos: posOf(v) ?? posIn(source) });
          done = true;
          return cached;
        } finally {
          rendering.delete(k);
        }
      },
    });
  }
  // facts also answer as ansible_<name> unless a variable of that name is set
  for (const [k, v] of Object.entries(facts)) if (!(`ansible_${k}` in scope)) scope[`ansible_${k}`] = v;
  for (const [k, v] of Object.entries(magic)) Object.defineProperty(scope, k, { value: v, enumerable: true, configurable: true });
  return scope;
}

/** An object whose properties are computed on first read (hostvars: one entry per host). */
export function lazyMap(keys: Iterable<string>, compute: (k: string) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    let done = false;
    let cached: unknown;
    Object.defineProperty(out, k, {
      enumerable: true,
      get() {
        if (!done) {
          cached = compute(k);
          done = true;
        }
        return cached;
      },
    });
  }
  return out;
}
