import { spawn } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { quote, sh } from './quote.ts';
import { collect } from './process.ts';
import { becomeCommand, becomeResult } from './become.ts';
import type { Become, ExecOptions, ExecResult, Transport, WriteOptions } from './types.ts';

/** Runs on the controller itself (`ansible_connection: local`). */
export class LocalTransport implements Transport {
  constructor(readonly host: string) {}

  async connect(): Promise<void> {}

  exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const full = becomeCommand(command, opts.become);
    const child = spawn('/bin/sh', ['-c', full], {
      cwd: opts.cwd,
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
    });
    const done = collect(child).then((r) => becomeResult(r, opts.become));
    const stdin = [opts.become?.password !== undefined ? `${opts.become.password}\n` : '', opts.stdin ?? ''];
    child.stdin.on('error', () => {});
    for (const s of stdin) if (s.length) child.stdin.write(s);
    child.stdin.end();
    return done;
  }

  async readFile(path: string, opts: { become?: Become } = {}): Promise<Buffer | null> {
    if (opts.become) {
      const r = await this.exec(sh`test -e ${path} && base64 -w0 ${path}`, { become: opts.become });
      return r.rc === 0 ? Buffer.from(r.stdout, 'base64') : null;
    }
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async writeFile(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    if (opts.become) {
      const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
      const r = await this.exec(atomicWriteScript(path, opts), { become: opts.become, stdin: buf.toString('base64') });
      if (r.rc !== 0) throw new Error(`writing ${path} failed: ${r.stderr.trim()}`);
      return;
    }
    const tmp = join(dirname(path), `.${basename(path)}.hap-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(tmp, data, { mode: opts.mode ?? 0o644 });
      if (opts.owner || opts.group) {
        const r = await this.exec(sh`chown ${`${opts.owner ?? ''}${opts.group ? `:${opts.group}` : ''}`} ${tmp}`);
        if (r.rc !== 0) throw new Error(r.stderr.trim());
      }
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async close(): Promise<void> {}
}

/** A shell script that reads base64 from stdin and writes `path` atomically with mode/owner. */
export function atomicWriteScript(path: string, opts: WriteOptions): string {
  // `$$` stays outside the quotes so the shell expands it into a unique temp name
  const tmp = `${quote(`${dirname(path)}/.${basename(path)}.hap-`)}$$`;
  const steps = [`umask 077`, `base64 -d > ${tmp}`, `chmod ${(opts.mode ?? 0o644).toString(8)} ${tmp}`];
  const owner = `${opts.owner ?? ''}${opts.group ? `:${opts.group}` : ''}`;
  if (owner) steps.push(`chown ${quote(owner)} ${tmp}`);
  steps.push(`mv -f ${tmp} ${quote(path)}`);
  return `{ ${steps.join(' && ')}; } || { rm -f ${tmp}; exit 1; }`;
}
