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
 * Format (ours, versioned): magic `JVSSTAT1\n`, taken_ns i64, then per entry path_len u32,
 * path, dev u64, ino u64, size u64, mtime_ns i64, ctime_ns i64, mode u32, hash[32];
 * little-endian.
 */
import { readFile } from 'node:fs/promises';

import { writeFileVisible } from '../fs/atomic.js';
import type { KnownHash, WalkEntry } from '../native/index.js';
import type { RepoLayout } from '../repo/layout.js';

const MAGIC = Buffer.from('JVSSTAT1\n');

/**
 * How close to the moment hashes were taken a modification makes an entry untrustworthy.
 * Kernel file times are coarse (a jiffy, up to seconds on some file systems); 2 s covers them.
 */
export const RACY_NS = 2_000_000_000n;

export interface StatEntry {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  mode: number;
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

/** The cache, or an empty one when it is missing or unreadable. */
export async function loadStatCache(layout: RepoLayout, worktree: string): Promise<StatCache> {
  const empty: StatCache = { takenNs: 0n, entries: new Map() };
  let buf: Buffer;
  try {
    buf = await readFile(cachePath(layout, worktree));
  } catch {
    return empty;
  }
  try {
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return empty;
    let off = MAGIC.length;
    const takenNs = buf.readBigInt64LE(off);
    off += 8;
    const entries = new Map<string, StatEntry>();
    while (off < buf.length) {
      const len = buf.readUInt32LE(off);
      const path = buf.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      entries.set(pathKey(path), {
        dev: buf.readBigUInt64LE(off),
        ino: buf.readBigUInt64LE(off + 8),
        size: Number(buf.readBigUInt64LE(off + 16)),
        mtimeNs: buf.readBigInt64LE(off + 24),
        ctimeNs: buf.readBigInt64LE(off + 32),
        mode: buf.readUInt32LE(off + 40),
        hash: buf.toString('hex', off + 44, off + 76),
      });
      off += 76;
    }
    return { takenNs, entries };
  } catch {
    // Truncated or damaged: as if there were none.
    return empty;
  }
}

export async function saveStatCache(layout: RepoLayout, worktree: string, cache: StatCache): Promise<void> {
  const parts: Buffer[] = [MAGIC];
  const head = Buffer.alloc(8);
  head.writeBigInt64LE(cache.takenNs);
  parts.push(head);
  for (const [key, e] of cache.entries) {
    const path = Buffer.from(key, 'latin1');
    const rec = Buffer.alloc(4 + path.length + 76);
    rec.writeUInt32LE(path.length, 0);
    path.copy(rec, 4);
    const o = 4 + path.length;
    rec.writeBigUInt64LE(e.dev, o);
    rec.writeBigUInt64LE(e.ino, o + 8);
    rec.writeBigUInt64LE(BigInt(e.size), o + 16);
    rec.writeBigInt64LE(e.mtimeNs, o + 24);
    rec.writeBigInt64LE(e.ctimeNs, o + 32);
    rec.writeUInt32LE(e.mode, o + 40);
    Buffer.from(e.hash, 'hex').copy(rec, o + 44);
    parts.push(rec);
  }
  await writeFileVisible(cachePath(layout, worktree), Buffer.concat(parts), 0o644);
}

/** Whether two lstat observations of a file are the same identity. */
export function sameStat(a: Pick<WalkEntry, 'dev' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs' | 'mode'>, b: Pick<WalkEntry, 'dev' | 'ino' | 'size' | 'mtimeNs' | 'ctimeNs' | 'mode'>): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.mode === b.mode;
}

/** The cached hash of a walked regular file, when its stat is identical and not racy. */
export function trustedHash(cache: StatCache, e: WalkEntry): string | undefined {
  if (e.kind !== 'file') return undefined;
  const c = cache.entries.get(pathKey(e.path));
  if (!c || !sameStat(c, e)) return undefined;
  const edge = cache.takenNs - RACY_NS;
  if (e.mtimeNs >= edge || e.ctimeNs >= edge) return undefined;
  return c.hash;
}

/**
 * Files of a walk whose hashes the cache vouches for, and whose stat did not change between
 * `before` and `after` (two walks around a clone): their clones hold the cached content.
 */
export function knownHashes(cache: StatCache, before: readonly WalkEntry[], after: readonly WalkEntry[]): KnownHash[] {
  const later = new Map(after.map((e) => [pathKey(e.path), e]));
  const out: KnownHash[] = [];
  for (const e of before) {
    const hash = trustedHash(cache, e);
    const a = later.get(pathKey(e.path));
    if (hash !== undefined && a && sameStat(e, a)) out.push({ path: e.path, size: e.size, hash });
  }
  return out;
}

/**
 * The cache after a snapshot (or status): every regular file seen identically in `before`
 * and `after`, with the hash now known for its path. `takenNs` is when `before` was taken.
 */
export function freshCache(takenNs: bigint, before: readonly WalkEntry[], after: readonly WalkEntry[], hashes: ReadonlyMap<string, string>): StatCache {
  const later = new Map(after.map((e) => [pathKey(e.path), e]));
  const entries = new Map<string, StatEntry>();
  for (const e of before) {
    if (e.kind !== 'file') continue;
    const key = pathKey(e.path);
    const a = later.get(key);
    const hash = hashes.get(key);
    if (!a || !sameStat(e, a) || hash === undefined) continue;
    entries.set(key, { dev: e.dev, ino: e.ino, size: e.size, mtimeNs: e.mtimeNs, ctimeNs: e.ctimeNs, mode: e.mode, hash });
  }
  return { takenNs, entries };
}
