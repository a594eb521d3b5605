import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { lazyScope } from '../../engine/vars/lazy.ts';
import { renderString } from '../../engine/vars/template.ts';

export const MONITORING_ROLE = new URL('../../roles/monitoring/', import.meta.url).pathname;

/** The inventory as a template sees it. */
export interface Inventory {
  groups: Record<string, string[]>;
  hostvars: Record<string, Record<string, unknown>>;
}

/**
 * A template of the monitoring role rendered as the role renders it: the role's defaults
 * (templated ones resolved by the engine), then `vars`, for `host` of `inv`.
 */
export async function renderRoleTemplate(template: string, inv: Inventory, vars: Record<string, unknown> = {}, host = 'm1'): Promise<string> {
  const defaults = parse(await readFile(join(MONITORING_ROLE, 'defaults/main.yml'), 'utf8')) as Record<string, unknown>;
  const scope = lazyScope({ ...defaults, ...vars }, {}, { ...inv, inventory_hostname: host, inventory_dir: '/inventory' });
  const src = join(MONITORING_ROLE, 'templates', template);
  return renderString(await readFile(src, 'utf8'), scope, { name: src });
}
