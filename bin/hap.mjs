#!/usr/bin/env node
// Runs build/ (JavaScript compiled from engine/ by `npm ci` → `npm run build`) when it is newer
// than every source file, else the TypeScript sources through tsx: a checkout needs no build
// step, and an edited one never runs stale code.
import { readdirSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// A run holds little live data (~25 MiB at 100 hosts) but V8 grows its heap for speed; its
// size-favouring policy keeps peak memory ~20 % lower for ~15 % more controller CPU, which the
// hosts' side of a run hides (bench/README.md).
setFlagsFromString('--optimize-for-size');

const root = new URL('..', import.meta.url);
const built = statSync(new URL('build/.stamp', root), { throwIfNoEntry: false })?.mtimeMs;

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

let main;
if (built !== undefined && !process.env.HAP_FROM_SOURCES && built >= newestSource(new URL('engine', root).pathname)) {
  ({ main } = await import('../build/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../engine/cli/main.ts'));
}
const code = await main(process.argv.slice(2));
// exit now: a socket to a host that died must not keep the command alive
process.exit(code);
