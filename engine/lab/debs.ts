import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEBS_DIR, LAB_ROOT } from './paths.ts';
import { LabError, runOk, withLock } from './proc.ts';
import { debianMirror } from './image.ts';

const DEB_PACKAGES = ['etcd-server', 'etcd-client'];
/** etcd 3.5 is not in bookworm; trixie has it, and its Go binaries run on bookworm. */
const SUITE = 'trixie';

async function cached(): Promise<string[] | undefined> {
  const files = await readdir(DEBS_DIR).catch(() => [] as string[]);
  const found = DEB_PACKAGES.map((p) => files.find((f) => f.startsWith(`${p}_3.5.`) && f.endsWith('.deb')));
  if (found.some((f) => f === undefined)) return undefined;
  return found.map((f) => join(DEBS_DIR, f ?? ''));
}

/**
 * Downloads trixie's etcd-server and etcd-client .debs (3.5.x) into the cache and returns
 * their paths. apt runs against a private source list, list dir and cache, so the machine's
 * own apt state is untouched.
 */
export async function fetchEtcdDebs(log: (s: string) => void = () => {}): Promise<string[]> {
  const hit = await cached();
  if (hit) return hit;
  await mkdir(LAB_ROOT, { recursive: true });
  return withLock(join(LAB_ROOT, '.debs.lock'), 600_000, async () => {
    const again = await cached();
    if (again) return again;
    const aptDir = join(LAB_ROOT, `apt-${SUITE}`);
    const lists = join(aptDir, 'lists');
    const cache = join(aptDir, 'cache');
    await mkdir(join(lists, 'partial'), { recursive: true });
    await mkdir(join(cache, 'archives', 'partial'), { recursive: true });
    await mkdir(DEBS_DIR, { recursive: true });
    const sourceList = join(aptDir, 'sources.list');
    const mirror = await debianMirror();
    await writeFile(sourceList, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror} ${SUITE} main\n`);
    const opts = [
      '-o', `Dir::Etc::sourcelist=${sourceList}`, '-o', 'Dir::Etc::sourceparts=-', '-o', `Dir::State::Lists=${lists}`,
      '-o', `Dir::Cache=${cache}`, '-o', 'APT::Get::List-Cleanup=0', '-q',
    ];
    log(`fetching ${DEB_PACKAGES.join(', ')} from ${SUITE} (${mirror})`);
    await runOk(['apt-get', ...opts, 'update']);
    for (const f of await readdir(DEBS_DIR)) if (f.endsWith('.deb')) await rm(join(DEBS_DIR, f));
    await runOk(['apt-get', ...opts, 'download', ...DEB_PACKAGES], { cwd: DEBS_DIR });
    const got = await cached();
    if (!got) throw new LabError(`${SUITE} did not provide etcd 3.5 .debs (found: ${(await readdir(DEBS_DIR)).join(', ') || 'nothing'})`);
    return got;
  });
}
