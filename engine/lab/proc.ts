import { collect } from '../transport/process.ts';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A lab failure the user can act on; the CLI prints its message without a stack. */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export interface RunResult {
  rc: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
  /** Pass output straight through (long apt/debootstrap runs show progress). */
  inherit?: boolean;
}

/** Runs a program by argv (no shell involved); never throws for a non-zero exit. */
export function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty argv');
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ? { ...process.env, ...opts.env } : process.env,
    stdio: [opts.input !== undefined ? 'pipe' : opts.inherit ? 'inherit' : 'ignore', opts.inherit ? 'inherit' : 'pipe', opts.inherit ? 'inherit' : 'pipe'],
    timeout: opts.timeoutMs,
  });
  const done = collect(child);
  if (opts.input !== undefined && child.stdin) {
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input);
  }
  return done;
}

/** Runs and throws a LabError with the command's stderr when it fails. */
export async function runOk(argv: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.rc !== 0) {
    const detail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-15).join('\n');
    throw new LabError(`command failed (rc ${r.rc}): ${argv.join(' ')}\n${detail}`);
  }
  return r.stdout;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when the process exists and is not a zombie (this machine's PID 1 reaps late). */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls until `check` returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new LabError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * A cross-process lock: mkdir is atomic; a lock whose owner died is taken over.
 * Guards the image build, the .deb download and machine setup against parallel `up`s.
 */
export async function withLock<T>(dir: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await mkdir(dir);
      await writeFile(join(dir, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(join(dir, 'pid'), 'utf8').catch(() => ''));
      if (owner && !(await alive(owner))) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new LabError(`lock ${dir} is held by pid ${owner || '?'}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
