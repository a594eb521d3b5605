/**
 * Two-stage interruption. The first SIGINT/SIGTERM aborts `stop`: the running batch finishes,
 * no new batch starts, the lock is released and the recap printed. The second aborts `abort`
 * (the run context's signal): waits and retries end at once; if the run has not unwound a
 * moment later the process exits with 99.
 */
export class Interrupts {
  readonly stop = new AbortController();
  readonly abort = new AbortController();
  private readonly onHard: Array<() => void> = [];

  constructor(private readonly say: (msg: string) => void) {}

  /** Called (synchronously) on the second signal, before the abort: the journal notes where it stopped. */
  onHardStop(fn: () => void): void {
    this.onHard.push(fn);
  }

  private handle = (sig: NodeJS.Signals): void => {
    if (!this.stop.signal.aborted) {
      this.stop.abort(new Error(sig));
      this.say(`${sig}: finishing the running batch, then stopping (again to stop at once)`);
      return;
    }
    this.say(`${sig}: stopping at once`);
    for (const fn of this.onHard) fn();
    this.abort.abort(new Error('interrupted'));
    setTimeout(() => process.exit(99), 2000).unref();
  };

  install(): () => void {
    process.on('SIGINT', this.handle);
    process.on('SIGTERM', this.handle);
    return () => {
      process.removeListener('SIGINT', this.handle);
      process.removeListener('SIGTERM', this.handle);
    };
  }
}
