import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One finished command: exit code and output. */
export interface Ran {
  code: number;
  out: string;
  err: string;
}

const CACHE = fileURLToPath(new URL('../../node_modules/.cache/hap-differential/', import.meta.url));

/** Ansible's settings for these runs: JSON results, local connection, nothing written outside `home`. */
function env(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    LANG: 'C.UTF-8',
    ANSIBLE_HOME: join(home, '.ansible'),
    ANSIBLE_LOCAL_TEMP: join(home, '.ansible/tmp'),
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_LOCALHOST_WARNING: '0',
    ANSIBLE_INVENTORY_UNPARSED_WARNING: '0',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_HOST_KEY_CHECKING: '0',
    ANSIBLE_DEPRECATION_WARNINGS: '0',
    ANSIBLE_FORKS: '5',
  };
}

async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === '.home') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesOf(p)));
    else out.push(p);
  }
  return out.sort();
}

/** A key over the command and every input file (names and bytes), so a cached result is only reused for the same inputs. */
async function cacheKey(dir: string, argv: string[]): Promise<string> {
  const h = createHash('sha256').update(JSON.stringify(argv));
  for (const f of await filesOf(dir)) h.update(relative(dir, f)).update('\0').update(await readFile(f)).update('\0');
  return h.digest('hex').slice(0, 32);
}

const waiting: Array<{ order: number; go: () => void }> = [];
let running = 0;
const POOL = Number(process.env.HAP_DIFFERENTIAL_POOL ?? 3);

/** A place in the pool; the waiting run with the lowest order goes first (cases finish in order). */
async function slot<T>(order: number, fn: () => Promise<T>): Promise<T> {
  if (running >= POOL) await new Promise<void>((go) => waiting.push({ order, go }));
  else running++;
  try {
    return await fn();
  } finally {
    const next = waiting.sort((a, b) => a.order - b.order).shift();
    if (next) next.go();
    else running--;
  }
}

/**
 * Runs an Ansible command (`ansible-playbook`, `ansible-inventory`, `ansible`) in `dir`, a small
 * pool at a time; results are cached by their inputs under node_modules/.cache (a fresh
 * checkout runs them all).
 */
export async function ansible(dir: string, argv: string[], order = 0): Promise<Ran> {
  if (argv.some((a) => a.startsWith(dir))) throw new Error('give Ansible paths relative to its directory: the cache key must not hold the temp path');
  const key = await cacheKey(dir, argv);
  const cached = join(CACHE, `${key}.json`);
  const hit = await readFile(cached, 'utf8').catch(() => undefined);
  if (hit) return JSON.parse(hit) as Ran;
  const ran = await slot(
    order,
    () =>
      new Promise<Ran>((resolve) => {
        const home = join(dir, '.home');
        execFile(argv[0]!, argv.slice(1), { cwd: dir, env: env(home), timeout: 120_000, maxBuffer: 64 << 20 }, (error, out, err) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 250) : 0;
          resolve({ code, out, err });
        });
      }),
  );
  await mkdir(CACHE, { recursive: true });
  await writeFile(cached, JSON.stringify(ran));
  return ran;
}

/** ansible-playbook and the json callback (ansible.posix, in Debian's `ansible` package) are here. */
export async function hasAnsible(): Promise<boolean> {
  return new Promise((resolve) => execFile('ansible-doc', ['-t', 'callback', 'ansible.posix.json'], { env: env('/tmp') }, (e) => resolve(!e)));
}
