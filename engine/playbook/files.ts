import { access } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { HapError } from '../source/errors.ts';
import type { Origin } from './types.ts';

/** Where Ansible looks for a `src:` of template/copy: the role's folder, then the playbook's. */
export function searchPaths(kind: 'files' | 'templates', name: string, origin: Origin, playbookDir: string): string[] {
  if (isAbsolute(name)) return [name];
  const out: string[] = [];
  if (origin.role) out.push(join(origin.role.path, kind, name), join(origin.role.path, name));
  out.push(join(playbookDir, kind, name), join(playbookDir, name));
  return out;
}

export async function findFile(kind: 'files' | 'templates', name: string, origin: Origin, playbookDir: string): Promise<string> {
  const paths = searchPaths(kind, name, origin, playbookDir);
  for (const p of paths) {
    if (await access(p).then(() => true, () => false)) return p;
  }
  throw new HapError(`${kind === 'templates' ? 'template' : 'file'} '${name}' not found (looked in ${paths.join(', ')})`);
}
