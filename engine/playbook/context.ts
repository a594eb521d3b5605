import { HapError, HapErrors, type SourcePos } from '../source/errors.ts';
import { loadYamlFile } from '../source/yaml.ts';
import type { RoleInfo } from './types.ts';

/** State of one load: collected errors (all reported at once), ids, caches, include stack. */
export class LoadContext {
  readonly errors: HapError[] = [];
  private nextId = 1;
  readonly roles = new Map<string, RoleInfo | null>();
  readonly stack: string[] = [];
  private files = new Map<string, Promise<unknown>>();

  constructor(
    readonly playbookDir: string,
    readonly roleDirs: string[],
  ) {}

  id(): number {
    return this.nextId++;
  }

  error(message: string, pos?: SourcePos): void {
    this.errors.push(new HapError(message, pos));
  }

  add(errors: HapError[]): void {
    this.errors.push(...errors);
  }

  /** Loads a YAML file once; syntax errors are collected and the file reads as null. */
  async yaml(path: string): Promise<unknown> {
    let p = this.files.get(path);
    if (!p) {
      p = loadYamlFile(path).catch((e: unknown) => {
        if (e instanceof HapErrors) this.add(e.errors);
        else if (e instanceof HapError) this.add([e]);
        else throw e;
        return null;
      });
      this.files.set(path, p);
    }
    return p;
  }

  throwIfErrors(): void {
    if (this.errors.length > 0) throw new HapErrors(this.errors);
  }
}
