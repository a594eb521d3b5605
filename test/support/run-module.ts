import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { FactCache } from '../../engine/facts/types.ts';
import { findModule } from '../../engine/modules/registry.ts';
import type { FileDiff, ModuleContext, ModuleDef } from '../../engine/modules/types.ts';
import type { Become, Transport } from '../../engine/transport/types.ts';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });

export interface RunOptions {
  transport: Transport;
  /** Report changes without applying them (as the runner's check mode). */
  check?: boolean;
  vars?: Record<string, unknown>;
  /** Defaults to a lookup of a (dotted) variable name that throws when it is undefined. */
  evaluate?: (expr: string, vars: Record<string, unknown>) => unknown;
  /** Defaults to returning the text unchanged. */
  render?: (text: string, name: string) => string;
  /** Controller directories searched by findFile, per kind. */
  dirs?: { files?: string[]; templates?: string[] };
  become?: Become;
  signal?: AbortSignal;
  /** Shared across runs to test caching; a fresh cache per run by default. */
  facts?: FactCache;
}

export interface RunOutcome {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  msg?: string;
  changes: string[];
  diffs: FileDiff[];
  result: Record<string, unknown>;
}

function lookup(expr: string, vars: Record<string, unknown>): unknown {
  let v: unknown = vars;
  for (const part of expr.trim().split('.')) {
    if (v === null || typeof v !== 'object' || !(part in v)) throw new Error(`'${expr}' is undefined`);
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** Validates args against the module's schema, plans, and applies the changes unless `check`. */
export async function runModule(module: string | ModuleDef, args: unknown, opts: RunOptions): Promise<RunOutcome> {
  const def = (typeof module === 'string' ? findModule(module) : module) as ModuleDef | undefined;
  if (!def) throw new Error(`no module ${String(module)}`);
  const full = typeof args === 'string' && def.freeForm ? { [def.freeForm]: args } : args;
  const validate = ajv.compile(def.schema);
  if (!validate(full)) throw new Error(`invalid args for ${def.name}: ${ajv.errorsText(validate.errors)}`);
  const vars = opts.vars ?? {};
  const facts = opts.facts ?? new FactCache(opts.transport);
  const ctx: ModuleContext = {
    host: opts.transport.host,
    transport: opts.transport,
    facts,
    become: opts.become,
    vars,
    evaluate: (expr) => (opts.evaluate ?? lookup)(expr, vars),
    render: opts.render ?? ((text) => text),
    async findFile(kind, name) {
      for (const dir of opts.dirs?.[kind] ?? []) {
        const path = join(dir, name);
        try {
          await access(path);
          return path;
        } catch {
          // try the next directory
        }
      }
      throw new Error(`could not find ${kind}/${name}`);
    },
    signal: opts.signal ?? new AbortController().signal,
  };
  const plan = await def.plan(full as Record<string, unknown>, ctx);
  const base = { msg: plan.msg, result: { ...(plan.result ?? {}) } };
  if (plan.status !== 'change') return { ...base, status: plan.status === 'ok' ? 'ok' : plan.status, changes: [], diffs: [] };
  const out: RunOutcome = {
    ...base,
    status: 'changed',
    changes: plan.changes.map((c) => c.summary),
    diffs: plan.changes.flatMap((c) => (c.diff ? [c.diff] : [])),
  };
  if (opts.check) return plan.changes.every((c) => c.opaque) ? { ...out, status: 'skipped' } : out;
  try {
    for (const change of plan.changes) {
      const applied = await change.apply();
      if (applied?.result) Object.assign(out.result, applied.result);
      if (applied?.failed) return { ...out, status: 'failed', msg: applied.failed };
    }
  } finally {
    facts.invalidate();
  }
  return out;
}
