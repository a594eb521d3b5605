import type { Become, ExecOptions, ExecResult, Transport, WriteOptions } from '../../engine/transport/types.ts';

export type Call =
  | { op: 'exec'; command: string; opts: ExecOptions }
  | { op: 'read'; path: string; become?: Become }
  | { op: 'write'; path: string; data: Buffer; opts: WriteOptions };

/** One scripted answer: the first rule whose `match` fits a command answers it. */
export interface Rule {
  match: string | RegExp | ((command: string) => boolean);
  result?: Partial<ExecResult>;
  /** Used once, then the next matching rule answers. */
  once?: boolean;
}

/**
 * A Transport for pure logic tests: records every command and file operation and answers
 * from a script. An unscripted command throws, so a test sees commands it did not expect.
 */
export class RecordingTransport implements Transport {
  readonly calls: Call[] = [];
  readonly files = new Map<string, Buffer>();
  private rules: Rule[];

  constructor(
    rules: Rule[] = [],
    readonly host = 'rec',
  ) {
    this.rules = [...rules];
  }

  /** Adds rules in front of the existing ones (they win). */
  on(...rules: Rule[]): this {
    this.rules.unshift(...rules);
    return this;
  }

  get commands(): string[] {
    return this.calls.flatMap((c) => (c.op === 'exec' ? [c.command] : []));
  }

  async connect(): Promise<void> {}

  async exec(command: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push({ op: 'exec', command, opts });
    const i = this.rules.findIndex((r) =>
      typeof r.match === 'string' ? command.includes(r.match) : r.match instanceof RegExp ? r.match.test(command) : r.match(command),
    );
    const rule = this.rules[i];
    if (!rule) throw new Error(`RecordingTransport: no scripted answer for: ${command}`);
    if (rule.once) this.rules.splice(i, 1);
    return { rc: 0, stdout: '', stderr: '', ...rule.result };
  }

  async readFile(path: string, opts: { become?: Become } = {}): Promise<Buffer | null> {
    this.calls.push({ op: 'read', path, become: opts.become });
    return this.files.get(path) ?? null;
  }

  async writeFile(path: string, data: Buffer | string, opts: WriteOptions = {}): Promise<void> {
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
    this.calls.push({ op: 'write', path, data: buf, opts });
    this.files.set(path, buf);
  }

  async close(): Promise<void> {}
}
