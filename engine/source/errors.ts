/** A place in a source file, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.col}` : '<unknown>';
}

/** A user-facing error tied to a place in a file; printed as `file:line:col: message`. */
export class HapError extends Error {
  constructor(
    message: string,
    readonly pos?: SourcePos,
  ) {
    super(message);
    this.name = 'HapError';
  }

  override toString(): string {
    return this.pos ? `${formatPos(this.pos)}: ${this.message}` : this.message;
  }
}

/** Several errors found at once (validation reports every error, not the first). */
export class HapErrors extends Error {
  constructor(readonly errors: HapError[]) {
    super(errors.map((e) => e.toString()).join('\n'));
    this.name = 'HapErrors';
  }
}
