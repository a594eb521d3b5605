/**
 * Start-up of the hap command: `hap --help` and `hap run --syntax-check` from the compiled
 * build/ (what `npm ci` makes) and from the TypeScript sources (tsx), beside bare node.
 *
 *   npx tsx bench/startup.ts [--runs 15]
 *
 * Wall time and CPU (user+sys) per run from /usr/bin/time; the minimum is the figure least
 * disturbed by other load on the machine, the median is shown beside it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib.ts';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const HAP = join(ROOT, 'bin', 'hap.mjs');
const TIME = '/usr/bin/time';

interface Sample {
  wallS: number;
  cpuS: number;
}

function once(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(TIME, ['-f', '%U %S', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (rc) => {
      const wallS = (performance.now() - t0) / 1000;
      const [user, sys] = err.trim().split('\n').at(-1)!.split(' ').map(Number);
      if (rc !== 0) reject(new Error(`${args.join(' ')} exited ${rc}: ${err.trim()}`));
      else resolve({ wallS, cpuS: (user ?? 0) + (sys ?? 0) });
    });
  });
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
if (!existsSync(join(ROOT, 'build', '.stamp'))) throw new Error('no build/: run `npm run build` (npm ci does) first');
const node = process.execPath;
const cases: Array<[string, string[], NodeJS.ProcessEnv]> = [
  ['bare `node -e 0`', [node, '-e', '0'], process.env],
  ['`hap --help`, build/', [node, HAP, '--help'], process.env],
  ['`hap --help`, sources (tsx)', [node, HAP, '--help'], { ...process.env, HAP_FROM_SOURCES: '1' }],
  ['`hap run --syntax-check`, build/', [node, HAP, 'run', 'playbooks/example.yml', '-i', 'inventories/local', '--syntax-check'], process.env],
  ['`hap run --syntax-check`, sources (tsx)', [node, HAP, 'run', 'playbooks/example.yml', '-i', 'inventories/local', '--syntax-check'], { ...process.env, HAP_FROM_SOURCES: '1' }],
];
const lines = ['| command | wall min s | wall median s | CPU min s | CPU median s |', '|---|---|---|---|---|'];
for (const [name, args, env] of cases) {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once(args, env));
  const wall = samples.map((s) => s.wallS);
  const cpu = samples.map((s) => s.cpuS);
  lines.push(`| ${name} | ${Math.min(...wall).toFixed(3)} | ${median(wall).toFixed(3)} | ${Math.min(...cpu).toFixed(2)} | ${median(cpu).toFixed(2)} |`);
}
const load = (await import('node:os')).loadavg()[0]!.toFixed(1);
console.log(`${runs} runs each, load average ${load}\n\n${lines.join('\n')}`);
