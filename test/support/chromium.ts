import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Debian's chromium, headless, with a fresh profile and nothing fetched from the network. */
async function chromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'hap-chromium-'));
  try {
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
    const { stdout } = await run('chromium', [...flags, ...args], { timeout: 60_000, maxBuffer: 32 << 20 });
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

/** The page's DOM after chromium loaded and laid it out; also a PNG screenshot of it. */
export async function chromiumDom(htmlFile: string, png: string, size = '1240,560'): Promise<string> {
  const dom = await chromium(['--dump-dom', `file://${htmlFile}`]);
  await chromium(['--hide-scrollbars', `--window-size=${size}`, `--screenshot=${png}`, `file://${htmlFile}`]);
  return dom;
}
