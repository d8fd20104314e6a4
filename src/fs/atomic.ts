/**
 * The one way JVS writes a file (CONTRACT §3.1, DESIGN "Safety rules"): a temp file
 * `.jvs-tmp-<digits>` in the destination directory, written, chmod'ed, fsynced and closed,
 * renamed over the target, then the directory fsynced so the rename itself is durable.
 * Readers see the old content or the new, never a partial file. A failed fsync is an error:
 * it is never retried as if it had worked.
 */
import { randomInt } from 'node:crypto';
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** `.jvs-tmp-` + digits: the transient name both tools know (doctor's clean_tmp removes leftovers). */
export const TMP_PREFIX = '.jvs-tmp-';

export function tmpName(): string {
  return `${TMP_PREFIX}${Date.now()}${String(randomInt(1_000_000_000)).padStart(9, '0')}`;
}

/** fsyncs a directory, making renames and creations inside it durable. */
export async function fsyncDir(dir: string | Buffer): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Atomically replaces `path` with `data`, with exactly `mode` (umask does not apply). */
export async function writeFileAtomic(path: string, data: string | Buffer, mode: number): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, tmpName());
  const fh = await open(tmp, 'wx', mode);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir);
}

/**
 * Replaces `path` all at once (temp + rename) without fsync: for caches that are rebuilt or
 * treated as absent when lost (manifests, snapshot meta, §3.12), where paying two fsyncs per
 * write would only slow every snapshot down. Creates the parent directory if needed.
 */
export async function writeFileVisible(path: string, data: string | Buffer | readonly Buffer[], mode: number): Promise<void> {
  const tmp = await writeBeside(path, data, mode);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** A file written under a temporary name beside its destination, not yet in place. */
export interface StagedFile {
  /** Puts it in place of whatever the destination held. */
  commit(): Promise<void>;
  /** Removes it; the destination is untouched. */
  discard(): Promise<void>;
}

/**
 * Writes `data` beside `path` to be put in place later (or dropped): the stat cache is written
 * while a snapshot's other steps run, and put in place once the snapshot is published. No
 * fsync, like writeFileVisible. `commit` unlinks the old file before renaming: renaming over a
 * large file makes btrfs (and ext4's auto_da_alloc) write the new one out first, ~50 ms per
 * 100 MB. A crash between the two leaves no file at `path` — for caches only, whose loss
 * changes speed, never results.
 */
export async function stageFile(path: string, data: string | Buffer | readonly Buffer[], mode: number): Promise<StagedFile> {
  const tmp = await writeBeside(path, data, mode);
  return {
    commit: async () => {
      await unlink(path).catch(() => undefined);
      await rename(tmp, path);
    },
    discard: () => unlink(tmp).catch(() => undefined),
  };
}

/** Writes `data` to a new temporary name in `path`'s directory (made if missing), without fsync; returns that name. */
async function writeBeside(path: string, data: string | Buffer | readonly Buffer[], mode: number): Promise<string> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, tmpName());
  try {
    await writeFile(tmp, data, { mode });
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return tmp;
}
