/**
 * Our compressed layout, written (CONTRACT §3.4 step 8, §3.9): after the tmp tree was hashed,
 * every regular file `X` except the root `.READY` becomes `X.gz` (gzip at the level, `X`'s
 * permission bits and mtime). Symlinks and directories stay. The manifest written before this
 * step already holds the logical records, so nothing here is hashed.
 */
import { chmod, rename, unlink } from 'node:fs/promises';

import { tmpName } from '../fs/atomic.js';
import { getCore, type WalkEntry } from '../native/index.js';
import { gzipFile, setMtime } from './gzip.js';
import { eachLimited } from './pool.js';
import { rawPath } from '../fs/raw-path.js';

export type CompressOutcome =
  /** Every regular file was compressed; the count is what `compressed <n> files` reports. */
  | { files: number }
  /**
   * Nothing was changed: a symlink or directory named `X.gz` stands next to a regular file `X`
   * (its path, shown in `warning: compression skipped: name collision at <path>`).
   */
  | { collision: string };

const GZ = Buffer.from('.gz');
const READY = Buffer.from('.READY');
const SLASH = 0x2f;

/** Writes gzip(`src`) under a fresh temp name in `dir` (O_EXCL: never over an entry of the tree). */
async function gzipToTemp(dir: Buffer, src: Buffer, level: number): Promise<Buffer> {
  for (;;) {
    const tmp = Buffer.concat([dir, Buffer.from(`/${tmpName()}`)]);
    try {
      await gzipFile(src, tmp, level);
      return tmp;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
  }
}

/**
 * Compresses the tree at `root` in place, or — on a name collision — leaves it untouched. A
 * failure leaves temp files behind: the caller discards the whole tmp tree.
 */
export async function compressTree(root: string, level: number): Promise<CompressOutcome> {
  const entries = await getCore().walk(root);
  const kinds = new Map(entries.map((e) => [e.path.toString('latin1'), e.kind]));
  const files = entries.filter((e) => e.kind === 'file' && !e.path.equals(READY));
  for (const f of files) {
    const gz = Buffer.concat([f.path, GZ]);
    const kind = kinds.get(gz.toString('latin1'));
    if (kind !== undefined && kind !== 'file') return { collision: gz.toString() };
  }

  const abs = (rel: Buffer): Buffer => rawPath(root, rel);
  const temps = new Map<WalkEntry, Buffer>();
  // The expensive part, in parallel: each compressed copy under a temp name beside its file.
  await eachLimited(files, async (f) => {
    const slash = f.path.lastIndexOf(SLASH);
    const dir = slash < 0 ? Buffer.from(root) : abs(f.path.subarray(0, slash));
    const tmp = await gzipToTemp(dir, abs(f.path), level);
    await chmod(tmp, f.mode & 0o7777);
    await setMtime(tmp, f.mtimeNs);
    temps.set(f, tmp);
  });
  // Then the renames, in descending byte order (within a directory: by name), so `foo.gz`
  // has become `foo.gz.gz` before `foo` becomes `foo.gz`.
  const order = [...files].sort((a, b) => Buffer.compare(b.path, a.path));
  for (const f of order) {
    await rename(temps.get(f)!, abs(Buffer.concat([f.path, GZ])));
    await unlink(abs(f.path));
  }
  return { files: files.length };
}
