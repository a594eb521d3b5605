import { resolve } from 'node:path';
import { HapError } from '../source/errors.ts';
import { loadYamlFile, parseYaml, keyPosOf } from '../source/yaml.ts';
import { formatPos } from '../source/errors.ts';
import type { ExtraVars } from '../vars/ladder.ts';

/**
 * Parses `-e` options: `key=value` (several per option), `@file.yml`, or inline YAML/JSON.
 * Two definitions of one name with different values are an error (same ladder layer).
 */
export async function parseExtraVars(opts: string[]): Promise<ExtraVars> {
  const values: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const set = (k: string, v: unknown, src: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new HapError(`-e: '${k}' is not a valid variable name (${src})`);
    if (k in values && JSON.stringify(values[k]) !== JSON.stringify(v)) {
      throw new HapError(`-e: '${k}' is given twice with different values (${sources[k]} and ${src})`);
    }
    values[k] = v;
    sources[k] = src;
  };
  for (const [i, opt] of opts.entries()) {
    const where = `-e #${i + 1}`;
    let doc: unknown;
    if (opt.startsWith('@')) {
      const file = resolve(opt.slice(1));
      doc = await loadYamlFile(file);
      if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new HapError(`-e @${file}: must be a mapping of variables`);
      for (const [k, v] of Object.entries(doc)) set(k, v, formatPos(keyPosOf(doc, k)));
      continue;
    }
    const t = opt.trim();
    if (t.startsWith('{')) {
      doc = parseYaml(t, where);
      for (const [k, v] of Object.entries(doc as object)) set(k, v, where);
      continue;
    }
    // key=value pairs; values are YAML scalars (numbers, booleans) as Ansible's -e k=v are strings
    for (const m of t.matchAll(/([^\s=]+)=("([^"]*)"|'([^']*)'|(\S*))/g)) set(m[1]!, m[3] ?? m[4] ?? m[5] ?? '', where);
    if (!/=/.test(t)) throw new HapError(`-e '${opt}': expected key=value, @file.yml or a YAML/JSON mapping`);
  }
  return { values, sources };
}
