import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { HapError } from '../source/errors.ts';
import { sh } from '../transport/quote.ts';
import type { Transport } from '../transport/types.ts';

/** The lock record kept on each locked host. */
export interface LockRecord {
  holder: string; // user@controller
  controller: string;
  pid: number;
  /** The holder process's start time (from /proc), so a reused pid is not taken for the holder. */
  pidStart?: string;
  run: string;
  playbook: string;
  since: string; // ISO time
}

export const DEFAULT_LOCK_FILE = '/var/lib/hap/lock';

function procStart(pid: number): string | undefined | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (f[0] === 'Z') return null; // a zombie is dead, only not yet reaped
    return f[19]; // field 22: starttime
  } catch {
    return null;
  }
}

export function lockRecord(run: string, playbook: string, now = new Date()): LockRecord {
  const controller = hostname();
  return { holder: `${userInfo().username}@${controller}`, controller, pid: process.pid, pidStart: procStart(process.pid) ?? undefined, run, playbook, since: now.toISOString() };
}

/**
 * Whether the holder is gone: only answerable on the controller that holds the lock (its
 * process table); undefined elsewhere.
 */
export function isStale(rec: LockRecord, controller = hostname()): boolean | undefined {
  if (rec.controller !== controller) return undefined;
  const start = procStart(rec.pid);
  if (start === null) return true;
  return rec.pidStart !== undefined && start !== undefined && start !== rec.pidStart;
}

export function describeLock(rec: LockRecord): string {
  const stale = isStale(rec);
  return `run ${rec.run} of ${rec.playbook} by ${rec.holder} (pid ${rec.pid}) since ${rec.since}${stale ? ' — STALE: that process is gone' : ''}`;
}

function parse(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as LockRecord;
    return typeof r.run === 'string' && typeof r.pid === 'number' ? r : undefined;
  } catch {
    return undefined;
  }
}

const HELD = 'HAP_LOCK_HELD';

/**
 * Creates the lock file if it does not exist, atomically: the record is written to a temp file
 * and hard-linked to the lock name (link(2) fails when the name exists), so a reader never sees
 * a half-written record and two runs cannot both succeed.
 */
export async function tryLock(t: Transport, file: string, rec: LockRecord): Promise<{ ok: true } | { ok: false; held?: LockRecord; raw: string }> {
  const dir = file.slice(0, file.lastIndexOf('/')) || '/';
  const script = sh`mkdir -p ${dir} && t=$(mktemp ${`${file}.XXXXXX`}) && printf '%s\n' ${JSON.stringify(rec)} > "$t" && if ln "$t" ${file} 2>/dev/null; then rm -f "$t"; echo HAP_LOCK_OK; else rm -f "$t"; echo ${HELD}; cat ${file}; fi`;
  const r = await t.exec(script);
  if (r.rc !== 0) {
    throw new HapError(`cannot write the cluster lock ${file} on ${t.host}: ${r.stderr.trim() || `rc ${r.rc}`}; connect as a user who may write there, or set hap_lock_file to a path that user can write`);
  }
  if (r.stdout.startsWith('HAP_LOCK_OK')) return { ok: true };
  const raw = r.stdout.slice(r.stdout.indexOf('\n') + 1).trim();
  return { ok: false, held: parse(raw), raw };
}

export async function readLock(t: Transport, file: string): Promise<{ rec?: LockRecord; raw: string } | undefined> {
  const buf = await t.readFile(file);
  if (buf === null) return undefined;
  const raw = buf.toString('utf8').trim();
  return { rec: parse(raw), raw };
}

/** Removes the lock only when it still holds run `run` (never another run's lock). */
export async function releaseLock(t: Transport, file: string, run: string): Promise<boolean> {
  const r = await t.exec(sh`grep -qF ${`"run":${JSON.stringify(run)}`} ${file} 2>/dev/null && rm -f ${file} && echo released`);
  return r.stdout.includes('released');
}

/** Replaces a stale lock of run `old` by `rec` (a rename, so the file is never missing). */
export async function takeOver(t: Transport, file: string, old: string, rec: LockRecord): Promise<boolean> {
  const r = await t.exec(
    sh`grep -qF ${`"run":${JSON.stringify(old)}`} ${file} && t=$(mktemp ${`${file}.XXXXXX`}) && printf '%s\n' ${JSON.stringify(rec)} > "$t" && mv -f "$t" ${file} && echo taken`,
  );
  return r.stdout.includes('taken');
}

export async function removeLock(t: Transport, file: string): Promise<void> {
  const r = await t.exec(sh`rm -f ${file}`);
  if (r.rc !== 0) throw new Error(`cannot remove ${file} on ${t.host}: ${r.stderr.trim()}`);
}
