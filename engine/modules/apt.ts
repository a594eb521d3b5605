import { sh } from '../transport/quote.ts';
import { aptPolicyFact, debInfoFact, dpkgFact } from '../facts/dpkg.ts';
import { gather } from '../facts/gather.ts';
import { shellJoin } from '../transport/quote.ts';
import type { Change, ModuleContext, ModuleDef, Plan } from './types.ts';

export interface AptArgs {
  name?: string | string[];
  state?: 'present' | 'absent' | 'latest';
  update_cache?: boolean;
  cache_valid_time?: number;
  deb?: string;
  purge?: boolean;
  install_recommends?: boolean;
  allow_change_held_packages?: boolean;
}

const DPKG_OPTS = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', '-o', 'DPkg::Lock::Timeout=120'];

/** The apt-get command line for one operation; noninteractive, keeping changed config files. */
export function aptGet(verb: 'install' | 'remove' | 'purge' | 'update', pkgs: string[], recommends = false, held = false): string {
  const extra = [...(verb === 'install' && !recommends ? ['--no-install-recommends'] : []), ...(held ? ['--allow-change-held-packages'] : [])];
  return `DEBIAN_FRONTEND=noninteractive ${shellJoin(['apt-get', '-y', ...DPKG_OPTS, verb, ...extra, ...pkgs])}`;
}

/** Does the installed version satisfy the wanted one? `*` matches any run of characters (`1.32.2-*`), as apt does. */
export function versionMatches(installed: string, wanted: string): boolean {
  const re = new RegExp(`^${wanted.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(installed);
}

/** `nginx=1.2` → name and wanted version; `libc6:amd64` looks up `libc6`. */
export function parseSpec(spec: string): { spec: string; name: string; version?: string } {
  const [pkg = '', version] = spec.split('=', 2);
  return { spec, name: pkg.replace(/:[a-z0-9]+$/, ''), ...(version ? { version } : {}) };
}

function aptChange(ctx: ModuleContext, summary: string, command: string): Change {
  return {
    summary,
    async apply() {
      const r = await ctx.transport.exec(command, { become: ctx.become });
      const result = { stdout: r.stdout, stderr: r.stderr, rc: r.rc };
      if (r.rc !== 0) return { failed: `${summary} failed: ${(r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n')}`, result };
      return { result };
    },
  };
}

/** Seconds since the last successful `apt-get update` (large when never). */
async function cacheAge(ctx: ModuleContext): Promise<number> {
  const r = await ctx.transport.exec(
    `now=$(date +%s); t=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0); echo $((now - t))`,
  );
  const age = Number(r.stdout.trim());
  return Number.isFinite(age) ? age : Infinity;
}

export const apt: ModuleDef<AptArgs> = {
  name: 'apt',
  aliases: ['package'],
  schema: {
    type: 'object',
    additionalProperties: false,
    anyOf: [{ required: ['name'] }, { required: ['deb'] }, { required: ['update_cache'] }],
    properties: {
      name: {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', items: { type: 'string', minLength: 1 } },
        ],
      },
      state: { enum: ['present', 'absent', 'latest'] },
      update_cache: { type: 'boolean' },
      cache_valid_time: { type: 'integer', minimum: 0 },
      deb: { type: 'string', minLength: 1 },
      purge: { type: 'boolean' },
      install_recommends: { type: 'boolean' },
      allow_change_held_packages: { type: 'boolean' },
    },
  },
  async plan(args, ctx): Promise<Plan> {
    const state = args.state ?? 'present';
    const specs = (Array.isArray(args.name) ? args.name : args.name !== undefined ? [args.name] : [])
      .flatMap((n) => n.split(','))
      .map((n) => n.trim())
      .filter(Boolean)
      .map(parseSpec);
    if (args.deb !== undefined && state !== 'present') return { status: 'failed', msg: 'deb works only with state: present' };
    const stale = args.update_cache === true && (args.cache_valid_time === undefined || (await cacheAge(ctx)) >= args.cache_valid_time);
    const update = aptChange(ctx, 'update apt cache', aptGet('update', []));
    const changes: Change[] = [];
    let cacheUpdated = false;

    if (state === 'latest' && stale && specs.length) {
      // candidates come from the cache, so a stale cache is refreshed before planning
      const r = await ctx.transport.exec(aptGet('update', []), { become: ctx.become });
      if (r.rc !== 0) return { status: 'failed', msg: `apt-get update failed: ${r.stderr.trim()}` };
      cacheUpdated = true;
    }
    const installed = specs.length || args.deb !== undefined ? await gather(ctx, dpkgFact) : new Map();

    if (args.deb !== undefined) {
      const present = await ctx.transport.exec(sh`test -f ${args.deb}`);
      if (present.rc !== 0) {
        // not there yet: in --check an earlier task that copies it was only planned
        const path = args.deb.includes('/') ? args.deb : `./${args.deb}`;
        changes.push(aptChange(ctx, `install ${args.deb} (not on the host yet)`, aptGet('install', [path], args.install_recommends)));
        return { status: 'change', changes };
      }
      const deb = await gather(ctx, debInfoFact(args.deb));
      const have = installed.get(deb.package);
      if (!have?.installed || have.version !== deb.version) {
        const path = args.deb.includes('/') ? args.deb : `./${args.deb}`;
        const was = have?.installed ? ` (was ${have.version})` : '';
        changes.push(aptChange(ctx, `install ${deb.package} ${deb.version} from ${args.deb}${was}`, aptGet('install', [path], args.install_recommends)));
      }
    }
    if (state === 'present') {
      const missing = specs.filter((s) => {
        const have = installed.get(s.name);
        return !have?.installed || (s.version !== undefined && !versionMatches(have.version, s.version));
      });
      const held = args.allow_change_held_packages === true;
      if (missing.length) changes.push(aptChange(ctx, `install ${missing.map((s) => s.spec).join(', ')}`, aptGet('install', missing.map((s) => s.spec), args.install_recommends, held)));
    } else if (state === 'absent') {
      const present = specs.filter((s) => installed.get(s.name)?.installed || (args.purge && installed.has(s.name)));
      if (present.length) {
        const verb = args.purge ? 'purge' : 'remove';
        changes.push(aptChange(ctx, `${verb} ${present.map((s) => s.name).join(', ')}`, aptGet(verb, present.map((s) => s.name))));
      }
    } else if (specs.length) {
      const policy = await gather(ctx, aptPolicyFact(specs.map((s) => s.name)));
      const upgrades: string[] = [];
      for (const s of specs) {
        const p = policy.get(s.name);
        if (!p?.candidate) return { status: 'failed', msg: `No package matching '${s.name}' is available` };
        const have = installed.get(s.name);
        if (!have?.installed || have.version !== p.candidate) upgrades.push(`${s.name}${have?.installed ? ` (${have.version} -> ${p.candidate})` : ''}`);
      }
      if (upgrades.length) changes.push(aptChange(ctx, `install latest ${upgrades.join(', ')}`, aptGet('install', specs.map((s) => s.name), args.install_recommends)));
    }
    // the cache update counts as a change only when asked for alone, as in Ansible
    if (stale && !cacheUpdated && (changes.length || (!specs.length && args.deb === undefined))) changes.unshift(update);
    const result = { cache_updated: cacheUpdated };
    return changes.length ? { status: 'change', changes, result } : { status: 'ok', result };
  },
};
