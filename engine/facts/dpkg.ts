import { quote, sh } from '../transport/quote.ts';
import type { ExecResult } from '../transport/types.ts';
import type { Fact } from './types.ts';

export interface DpkgPackage {
  version: string;
  /** Status abbreviation, e.g. 'ii ' (installed) or 'rc ' (removed, config files left). */
  status: string;
  installed: boolean;
}

/** Every package dpkg knows, by name (without architecture). */
export const dpkgFact: Fact<Map<string, DpkgPackage>> = {
  name: 'dpkg',
  command: `dpkg-query -W -f ${quote('${Package} ${Version} ${db:Status-Abbrev}\\n')}`,
  parse: parseDpkg,
};

export function parseDpkg(r: ExecResult): Map<string, DpkgPackage> {
  if (r.rc !== 0) throw new Error(`dpkg-query failed: ${r.stderr.trim() || `rc ${r.rc}`}`);
  const out = new Map<string, DpkgPackage>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) (\S*) (\S{2,3})\s*$/.exec(line);
    if (!m) continue;
    const [, name = '', version = '', status = ''] = m;
    const pkg = { version, status, installed: status[1] === 'i' };
    // with several architectures, an installed one wins
    if (!out.get(name)?.installed) out.set(name, pkg);
  }
  return out;
}

export interface AptPolicy {
  /** null when not installed */
  installed: string | null;
  /** null when no version is available */
  candidate: string | null;
}

/** `apt-cache policy` for some packages: installed and candidate versions. */
export function aptPolicyFact(names: string[]): Fact<Map<string, AptPolicy>> {
  return { name: 'apt-policy', command: sh`LC_ALL=C apt-cache policy ${names}`, parse: parseAptPolicy };
}

export function parseAptPolicy(r: ExecResult): Map<string, AptPolicy> {
  if (r.rc !== 0) throw new Error(`apt-cache policy failed: ${r.stderr.trim() || `rc ${r.rc}`}`);
  const out = new Map<string, AptPolicy>();
  let current: AptPolicy | undefined;
  const version = (v: string): string | null => (v === '(none)' ? null : v);
  for (const line of r.stdout.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head?.[1]) {
      current = { installed: null, candidate: null };
      out.set(head[1], current);
      continue;
    }
    const field = /^ {2}(Installed|Candidate): (\S+)/.exec(line);
    if (current && field) {
      if (field[1] === 'Installed') current.installed = version(field[2] ?? '');
      else current.candidate = version(field[2] ?? '');
    }
  }
  return out;
}

export interface DebInfo {
  package: string;
  version: string;
}

/** Name and version inside a .deb file on the host. */
export function debInfoFact(path: string): Fact<DebInfo> {
  return {
    name: 'deb-info',
    command: sh`dpkg-deb -f ${path} Package Version`,
    parse: (r) => {
      if (r.rc !== 0) throw new Error(`cannot read ${path}: ${r.stderr.trim() || `rc ${r.rc}`}`);
      const f = new Map(r.stdout.split('\n').map((l) => [l.split(':')[0] ?? '', l.slice(l.indexOf(':') + 1).trim()]));
      return { package: f.get('Package') ?? '', version: f.get('Version') ?? '' };
    },
  };
}
