import type { ExecResult, Transport } from '../transport/types.ts';

/** A tiny typed fact: one command and a pure parse of its output. */
export interface Fact<T> {
  name: string;
  command: string;
  parse(result: ExecResult): T;
}

/**
 * Facts of one host, cached until a task changes that host (then dropped, so nothing is
 * planned against stale state). Keyed by fact name + command.
 */
export class FactCache {
  private cache = new Map<string, Promise<unknown>>();

  constructor(private readonly transport: Transport) {}

  get<T>(fact: Fact<T>): Promise<T> {
    const key = `${fact.name}\0${fact.command}`;
    let hit = this.cache.get(key) as Promise<T> | undefined;
    if (!hit) {
      hit = this.transport.exec(fact.command).then((r) => fact.parse(r));
      this.cache.set(key, hit);
      hit.catch(() => this.cache.delete(key));
    }
    return hit;
  }

  invalidate(): void {
    this.cache.clear();
  }
}
