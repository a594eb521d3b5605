import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { quote } from './quote.ts';
import { UnreachableError, type ExecResult } from './types.ts';

/**
 * One long-lived `/bin/sh` per connection that runs commands one at a time from its stdin.
 * Every SSH exec channel costs the host an sshd session, a fork and the user's login shell
 * (about 5 ms of host CPU, most of a run's cost at 100+ hosts); through this shell a command
 * costs one fork of sh. The script an exec channel would run as `/bin/sh -c '…'` runs as
 * `( eval '…' )`: a fresh subshell of an untouched sh (so `exit`, `cd`, `export` and syntax
 * errors stay in it), stdin from /dev/null (an exec without stdin sees EOF at once, the same).
 * Before it, the shell prints a random marker on stdout (so a lost shell that never started
 * the command can be told apart); after it, the marker and `$?` on stdout and the marker on
 * stderr.
 */
export class RemoteShell {
  private busy = false;
  private dead = false;
  private readonly mark: string;
  private out = new Collector();
  private err = new Collector();
  private pending: { resolve: (r: ExecResult) => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly ch: ClientChannel,
    host: string,
  ) {
    this.mark = `__hap_done_${randomBytes(8).toString('hex')}`;
    ch.on('data', (d: Buffer) => this.onData(this.out, d));
    ch.stderr.on('data', (d: Buffer) => this.onData(this.err, d));
    ch.on('error', () => {}); // surfaced through 'close'
    ch.on('close', () => {
      this.dead = true;
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (this.out.empty) p.reject(new ShellGone(host));
      else p.reject(new UnreachableError(`${host}: connection lost while a command was running`, host));
    });
  }

  /** Starts the shell; null when the server refuses the channel (exec channels still work). */
  static open(client: Client, host: string): Promise<RemoteShell | null> {
    return new Promise((resolve) => {
      try {
        client.exec('exec /bin/sh', (err, ch) => resolve(err ? null : new RemoteShell(ch, host)));
      } catch {
        resolve(null);
      }
    });
  }

  /** Free to take a command now. */
  get idle(): boolean {
    return !this.busy && !this.dead;
  }

  /** The channel has ended (connection lost, or the server ended the session). */
  get closed(): boolean {
    return this.dead;
  }

  /** Runs a shell script as `/bin/sh -c` would. Only call when idle. */
  run(script: string): Promise<ExecResult> {
    if (!this.idle) throw new Error('RemoteShell.run called while busy');
    this.busy = true;
    this.out = new Collector();
    this.err = new Collector();
    return new Promise<ExecResult>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.ch.write(`printf '%s\\n' ${this.mark}\n( eval ${quote(script)} ) </dev/null\nprintf '\\n%s %d\\n' ${this.mark} "$?"\nprintf '\\n%s\\n' ${this.mark} >&2\n`);
    }).finally(() => {
      this.busy = false;
    });
  }

  close(): void {
    this.dead = true;
    this.ch.end();
  }

  private onData(c: Collector, d: Buffer): void {
    c.push(d);
    if (!this.pending) return;
    const out = this.out.until(new RegExp(`\\n${this.mark} (\\d+)\\n$`));
    const err = this.err.until(new RegExp(`\\n${this.mark}\\n$`));
    if (!out || !err) return;
    const p = this.pending;
    this.pending = undefined;
    // drop the received chunks now, not at the next command: an idle host should hold nothing
    this.out = new Collector();
    this.err = new Collector();
    p.resolve({ rc: Number(out.match[1]), stdout: out.text.slice(this.mark.length + 1), stderr: err.text });
  }
}

/** The shell ended before it started the command: safe to run it another way. */
export class ShellGone extends Error {
  constructor(host: string) {
    super(`${host}: the remote shell ended before the command started`);
  }
}

/** A stream's bytes; finds a trailing marker by looking only at the end. */
class Collector {
  private chunks: Buffer[] = [];

  get empty(): boolean {
    return this.chunks.length === 0;
  }

  push(d: Buffer): void {
    this.chunks.push(d);
  }

  /** The text before a marker that ends the stream so far, with the marker's match. */
  until(re: RegExp): { text: string; match: RegExpExecArray } | undefined {
    const last = this.chunks.at(-1);
    if (!last || last[last.length - 1] !== 0x0a) return undefined;
    // the marker line is short: the last 200 bytes hold it whatever the chunking
    const tailParts: Buffer[] = [];
    for (let i = this.chunks.length - 1, n = 0; i >= 0 && n < 200; i--) {
      tailParts.unshift(this.chunks[i]!);
      n += this.chunks[i]!.length;
    }
    const tailBuf = Buffer.concat(tailParts);
    const m = re.exec(tailBuf.subarray(Math.max(0, tailBuf.length - 200)).toString('latin1'));
    if (!m) return undefined;
    const all = Buffer.concat(this.chunks);
    return { text: all.subarray(0, all.length - m[0].length).toString('utf8'), match: m };
  }
}
