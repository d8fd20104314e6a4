/**
 * The stat cache of a worktree, `.jvs/ext/worktrees/<name>/stat.cache` (CONTRACT §3.12): for
 * each regular file its lstat identity (dev, ino, size, mtime ns, ctime ns, mode) and content
 * hash as last seen by a snapshot or status. An identical stat means the content is the one
 * hashed, so it is not read again — unless the entry is racily clean: modified within
 * RACY_NS of the moment the cache's hashes were taken, when a later write in the same
 * timestamp tick would leave the stat unchanged (git's "racy git" rule). The cache is an
 * optimisation only: missing, damaged or foreign (another machine: dev differs) it changes
 * speed, never results.
 *
 * Format (ours, versioned): magic `JVSSTAT2\n`, taken_ns i64, then per entry path_len u32,
 * path, the 44-byte stat identity (mode u32, size u64, mtime_ns i64, ctime_ns i64, dev u64,
 * ino u64 — WalkEntry.statId's bytes), hash[32]; little-endian. A cache of another version is
 * treated as absent.
 */
import { readFile } from 'node:fs/promises';

import { writeFileVisible } from '../fs/atomic.js';
import type { BigIntStats } from 'node:fs';

import { STAT_ID_BYTES, statIdOf, type KnownHash, type WalkEntry } from '../native/index.js';
import type { RepoLayout } from '../repo/layout.js';

const MAGIC = Buffer.from('JVSSTAT2\n');
const HASH_BYTES = 32;

/**
 * How close to the moment hashes were taken a modification makes an entry untrustworthy.
 * Kernel file times are coarse (a jiffy, up to seconds on some file systems); 2 s covers them.
 */
export const RACY_NS = 2_000_000_000n;

export interface StatEntry {
  /** The lstat identity as WalkEntry.statId. */
  statId: string;
  /** Lower-case hex content hash. */
  hash: string;
}

export interface StatCache {
  /** When the hashes were taken (before the walk that saw these stats). */
  takenNs: bigint;
  /** Keyed by the raw path as latin1 (a lossless image of the bytes). */
  entries: Map<string, StatEntry>;
}

function cachePath(layout: RepoLayout, worktree: string): string {
  return `${layout.extWorktreeDir(worktree)}/stat.cache`;
}

export const pathKey = (p: Buffer): string => p.toString('latin1');

/** The cache, or an empty one when it is missing, unreadable or of another version. */
export async function loadStatCache(layout: RepoLayout, worktree: string): Promise<StatCache> {
  const empty: StatCache = { takenNs: 0n, entries: new Map() };
  let buf: Buffer;
  try {
    buf = await readFile(cachePath(layout, worktree));
  } catch {
    return empty;
  }
  if (buf.length < MAGIC.length + 8 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return empty;
  let off = MAGIC.length;
  const takenNs = buf.readBigInt64LE(off);
  off += 8;
  const entries = new Map<string, StatEntry>();
  while (off < buf.length) {
    if (off + 4 > buf.length) return empty;
    const len = buf.readUInt32LE(off);
    const end = off + 4 + len + STAT_ID_BYTES + HASH_BYTES;
    // Truncated or damaged: as if there were none.
    if (end > buf.length) return empty;
    const key = buf.toString('latin1', off + 4, off + 4 + len);
    off += 4 + len;
    entries.set(key, { statId: buf.toString('latin1', off, off + STAT_ID_BYTES), hash: buf.toString('hex', off + STAT_ID_BYTES, end) });
    off = end;
  }
  return { takenNs, entries };
}

export async function saveStatCache(layout: RepoLayout, worktree: string, cache: StatCache): Promise<void> {
  let size = MAGIC.length + 8;
  for (const key of cache.entries.keys()) size += 4 + key.length + STAT_ID_BYTES + HASH_BYTES;
  // One buffer written in place: 100k entries would otherwise be 100k small allocations.
  const buf = Buffer.allocUnsafe(size);
  MAGIC.copy(buf, 0);
  let off = buf.writeBigInt64LE(cache.takenNs, MAGIC.length);
  for (const [key, e] of cache.entries) {
    off = buf.writeUInt32LE(key.length, off);
    off += buf.write(key, off, 'latin1');
    off += buf.write(e.statId, off, 'latin1');
    off += buf.write(e.hash, off, 'hex');
  }
  await writeFileVisible(cachePath(layout, worktree), buf, 0o644);
}

/** The identity string (WalkEntry.statId) of a file's `lstat(…, { bigint: true })`. */
export function statIdOfStats(st: BigIntStats): string {
  return statIdOf({ dev: st.dev, ino: st.ino, size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, mode: Number(st.mode) });
}

/** Whether two lstat observations of a file are the same identity. */
export function sameStat(a: Pick<WalkEntry, 'statId'>, b: Pick<WalkEntry, 'statId'>): boolean {
  return a.statId === b.statId;
}

/** The cached hash of a walked regular file, when its stat is identical and not racy. */
export function trustedHash(cache: StatCache, e: WalkEntry, key = pathKey(e.path)): string | undefined {
  if (e.kind !== 'file') return undefined;
  const c = cache.entries.get(key);
  if (!c || !sameStat(c, e)) return undefined;
  const edge = cache.takenNs - RACY_NS;
  if (e.mtimeNs >= edge || e.ctimeNs >= edge) return undefined;
  return c.hash;
}

/**
 * The files of `before` seen with the same stat identity in `after`. Both are walks, sorted by
 * path bytes, so they are merged in step: no map of either is built (100k entries would cost
 * more than the comparison). Passing the same walk twice keeps every file.
 */
function* heldStill(before: readonly WalkEntry[], after: readonly WalkEntry[]): Generator<WalkEntry> {
  let j = 0;
  for (const e of before) {
    if (e.kind !== 'file') continue;
    if (after === before) {
      yield e;
      continue;
    }
    while (j < after.length && Buffer.compare(after[j]!.path, e.path) < 0) j++;
    const a = after[j];
    if (a && a.statId === e.statId && a.path.equals(e.path)) yield e;
  }
}

/**
 * Files of a walk whose hashes the cache vouches for, and whose stat did not change between
 * `before` and `after` (two walks around a clone): their clones hold the cached content.
 */
export function knownHashes(cache: StatCache, before: readonly WalkEntry[], after: readonly WalkEntry[]): KnownHash[] {
  const out: KnownHash[] = [];
  for (const e of heldStill(before, after)) {
    const hash = trustedHash(cache, e);
    if (hash !== undefined) out.push({ path: e.path, size: e.size, hash });
  }
  return out;
}

/**
 * The cache after a snapshot (or status): every regular file seen identically in `before`
 * and `after`, with the hash now known for its path. `takenNs` is when `before` was taken.
 */
export function freshCache(takenNs: bigint, before: readonly WalkEntry[], after: readonly WalkEntry[], hashes: ReadonlyMap<string, string>): StatCache {
  const entries = new Map<string, StatEntry>();
  for (const e of heldStill(before, after)) {
    const key = pathKey(e.path);
    const hash = hashes.get(key);
    if (hash !== undefined) entries.set(key, { statId: e.statId, hash });
  }
  return { takenNs, entries };
}
