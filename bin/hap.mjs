#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so a checkout needs no build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../engine/cli/main.ts');
const code = await main(process.argv.slice(2));
// exit now: a socket to a host that died must not keep the command alive
process.exit(code);
