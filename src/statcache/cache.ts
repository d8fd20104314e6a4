/**
 * The stat cache of a worktree, `.jvs/ext/worktrees/<name>/stat.cache` (CONTRACT §3.12): an
 * index of the snapshot it describes (its `base`, normally the worktree's head) — every record
 * of that snapshot, sorted by path — with, for each regular file, the lstat identity (mode,
 * size, mtime ns, ctime ns, dev, ino) under which the worktree's file was last seen to hold
 * exactly that record. An identical stat means the content is the one hashed, so it is not read
 * again — unless the entry is racily clean: modified within the racy window (racy.ts) of the
 * moment the identities were taken, when a later write in the same timestamp tick would leave
 * the stat unchanged (git's "racy git" rule).
 *
 * The cache is an optimisation only: missing, damaged (the body's CRC-32 is checked), of
 * another version, of another base, or foreign (another machine: dev differs) it changes speed,
 * never results. `status` compares the worktree with the base through it in one native scan
 * (src/native scanWorktree), reading only what it cannot vouch for; snapshots and restores take
 * the hashes it vouches for (`trustedHash`).
 *
 * Format (ours, versioned): magic `JVSSTAT4\n`, taken_ns i64, base_len u16, base id (empty = no
 * base), body CRC-32 u32, body = the native codec's index entries (codec.ts encodeIndex);
 * little-endian. A cache of another version is treated as absent (version 3 checked its body
 * with SHA-256, which at a million entries cost 60 ms at each load and each save).
 */
import { open, readFile } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';

import { stageFile, type StagedFile } from '../fs/atomic.js';
import { RACY_NS, racyWindowNs } from './racy.js';
import { INDEX_STAT_OFFSET, STAT_ID_BYTES, decodeIndex, encodeIndex, getCore, statIdOf, type HashRecord, type IndexEntry, type KnownHash, type WalkEntry } from '../native/index.js';
import type { RepoLayout } from '../repo/layout.js';

const MAGIC = Buffer.from('JVSSTAT4\n');
const DIGEST_BYTES = 4;

export interface StatCache {
  /** When the identities were taken (before the walk that saw them). */
  takenNs: bigint;
  /** The racy window of the worktree's file system (racy.ts), when known; else RACY_NS. */
  racyNs?: bigint;
  /** The snapshot whose records the body holds; null for none (an empty body). */
  base: string | null;
  /** Index entries (codec.ts encodeIndex), sorted by path bytes. Patched in place by status. */
  body: Buffer;
}

/**
 * A cache to save, whose body may be in pieces of whole entries, in order (a patched index:
 * unchanged runs of the old body and the new entries), written without being joined.
 */
export interface StatCacheOut extends Omit<StatCache, 'body' | 'racyNs'> {
  body: Buffer | readonly Buffer[];
}

/** A cached hash, keyed by the raw path as latin1 (a lossless image of the bytes). */
export interface StatEntry {
  statId: string;
  hash: string;
}

export const pathKey = (p: Buffer): string => p.toString('latin1');


/** What a cache file's head says: when, of which base, and where its body begins. */
interface Head {
  takenNs: bigint;
  base: string | null;
  bodyAt: number;
}

/** The head at the start of `buf`, or undefined when `buf` does not begin as a cache does. */
function readHead(buf: Buffer): Head | undefined {
  if (buf.length < MAGIC.length + 10 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const baseLen = buf.readUInt16LE(MAGIC.length + 8);
  const baseAt = MAGIC.length + 10;
  const bodyAt = baseAt + baseLen + DIGEST_BYTES;
  if (bodyAt > buf.length) return undefined;
  return { takenNs: buf.readBigInt64LE(MAGIC.length), base: baseLen === 0 ? null : buf.toString('utf8', baseAt, baseAt + baseLen), bodyAt };
}

/**
 * The cache, or undefined when it is missing, unreadable, damaged or of another version. Its
 * racy window is that of the worktree's file system now (a worktree moved elsewhere has other
 * devices, so the identities the cache remembers no longer match anyway).
 */
export async function loadStatCache(layout: RepoLayout, worktree: string): Promise<StatCache | undefined> {
  const [buf, racyNs] = await Promise.all([readFile(layout.statCache(worktree)).catch(() => undefined), racyWindowNs(layout.payload(worktree))]);
  const head = buf && readHead(buf);
  if (!buf || !head) return undefined;
  const body = buf.subarray(head.bodyAt);
  if (getCore().crc32([body]) !== buf.readUInt32LE(head.bodyAt - DIGEST_BYTES)) return undefined;
  return { takenNs: head.takenNs, racyNs, base: head.base, body };
}

/**
 * A worktree's cache before its body is read: its base, and whether it holds any entry (from
 * the head alone). `load` reads and checks the body when it is needed — a snapshot reads it
 * after its clone, so that the clone's own memory and the cache's (over 100 MB each at a
 * million entries) are not held at once. Undefined from `load` when the cache is damaged, or
 * is no longer the one described (its base changed).
 */
export interface StatCacheRef {
  base: string | null;
  empty: boolean;
  load(): Promise<StatCache | undefined>;
}

const HEAD_BYTES = MAGIC.length + 10 + 0xffff + DIGEST_BYTES;

export async function openStatCache(layout: RepoLayout, worktree: string): Promise<StatCacheRef> {
  const path = layout.statCache(worktree);
  const head = await open(path, 'r')
    .then(async (fh) => {
      try {
        const buf = Buffer.alloc(HEAD_BYTES);
        const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
        const h = readHead(buf.subarray(0, bytesRead));
        return h && { ...h, size: (await fh.stat()).size };
      } finally {
        await fh.close();
      }
    })
    .catch(() => undefined);
  if (!head) return { base: null, empty: true, load: async () => emptyStatCache() };
  return {
    base: head.base,
    empty: head.size === head.bodyAt,
    load: async () => {
      const cache = await loadStatCache(layout, worktree);
      return cache && cache.base === head.base ? cache : undefined;
    },
  };
}

/** A cache with no base and nothing remembered. */
export function emptyStatCache(): StatCache {
  return { takenNs: 0n, base: null, body: Buffer.alloc(0) };
}

/** Saves the cache in place of the worktree's (a failure to save is the caller's to ignore). */
export async function saveStatCache(layout: RepoLayout, worktree: string, cache: StatCacheOut): Promise<void> {
  await (await stageStatCache(layout, worktree, cache)).commit();
}

/** Writes the cache beside the worktree's, to be put in its place later (fs/atomic.ts stageFile). */
export async function stageStatCache(layout: RepoLayout, worktree: string, cache: StatCacheOut): Promise<StagedFile> {
  const pieces = Buffer.isBuffer(cache.body) ? [cache.body] : cache.body;
  const base = Buffer.from(cache.base ?? '');
  const head = Buffer.allocUnsafe(MAGIC.length + 10);
  MAGIC.copy(head, 0);
  head.writeBigInt64LE(cache.takenNs, MAGIC.length);
  head.writeUInt16LE(base.length, MAGIC.length + 8);
  const digest = Buffer.allocUnsafe(DIGEST_BYTES);
  digest.writeUInt32LE(getCore().crc32(pieces));
  // Written piece by piece: at 1M entries a joined copy of the body would be over 100 MB more.
  return stageFile(layout.statCache(worktree), [head, base, digest, ...pieces], 0o644);
}

/**
 * A cache of `base` made of its records (any order; `.READY` entries are never among them),
 * remembering for a record the identity `vouch` gives: that of a worktree entry known to hold
 * exactly that record (a directory: its permission bits and, unchanged since, its listing). `takenNs` must precede the walk that saw those identities.
 */
export function cacheOfRecords(base: string | null, takenNs: bigint, records: readonly HashRecord[], vouch: (r: HashRecord) => string | undefined = () => undefined): StatCache {
  const sorted = [...records].sort((a, b) => Buffer.compare(a.path, b.path));
  const entries = sorted.map((r): IndexEntry => {
    const statId = vouch(r);
    return { kind: r.kind, path: r.path, perm: r.perm, size: r.size, hash: r.hash, ...(statId !== undefined ? { statId } : {}) };
  });
  return { takenNs, base, body: encodeIndex(entries) };
}

/** Remembers (or, with undefined, forgets) the identity of the body's entry at offset `at`. */
export function rememberStat(cache: StatCache, at: number, statId: string | undefined): void {
  const off = at + INDEX_STAT_OFFSET;
  if (statId === undefined) cache.body.fill(0, off, off + STAT_ID_BYTES);
  else cache.body.write(statId, off, 'latin1');
}

/** The hashes the cache could vouch for, by path key: its files with a remembered identity. */
export function cachedHashes(cache: StatCache | undefined): Map<string, StatEntry> {
  const out = new Map<string, StatEntry>();
  if (!cache) return out;
  for (const e of decodeIndex(cache.body)) if (e.statId !== undefined) out.set(pathKey(e.path), { statId: e.statId, hash: e.hash });
  return out;
}

/** What snapshots and restores consult: the vouched-for hashes and when they were taken. */
export interface HashCache {
  takenNs: bigint;
  racyNs?: bigint;
  entries: ReadonlyMap<string, StatEntry>;
}

export function hashCacheOf(cache: StatCache | undefined): HashCache {
  return { takenNs: cache?.takenNs ?? 0n, ...(cache?.racyNs !== undefined ? { racyNs: cache.racyNs } : {}), entries: cachedHashes(cache) };
}

/** The identity string (WalkEntry.statId) of a file's `lstat(…, { bigint: true })`. */
export function statIdOfStats(st: BigIntStats): string {
  return statIdOf({ dev: st.dev, ino: st.ino, size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, mode: Number(st.mode) });
}

/** The edge of the racy window: identities of entries modified at or after it are not trusted. */
export const trustBefore = (c: { takenNs: bigint; racyNs?: bigint }): bigint => c.takenNs - (c.racyNs ?? RACY_NS);

/** The cached hash of a walked regular file, when its stat is identical and not racy. */
export function trustedHash(cache: HashCache, e: WalkEntry, key = pathKey(e.path)): string | undefined {
  if (e.kind !== 'file') return undefined;
  const c = cache.entries.get(key);
  if (!c || c.statId !== e.statId) return undefined;
  const edge = trustBefore(cache);
  if (e.mtimeNs >= edge || e.ctimeNs >= edge) return undefined;
  return c.hash;
}

/**
 * The directories, files and symlinks of `before` seen with the same stat identity in `after`.
 * Both are walks, sorted by path bytes, so they are merged in step: no map of either is built
 * (100k entries would cost more than the comparison). Passing the same walk twice keeps all.
 */
function* heldStill(before: readonly WalkEntry[], after: readonly WalkEntry[]): Generator<WalkEntry> {
  let j = 0;
  for (const e of before) {
    if (e.kind !== 'file' && e.kind !== 'dir' && e.kind !== 'symlink') continue;
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
export function knownHashes(cache: HashCache, before: readonly WalkEntry[], after: readonly WalkEntry[]): KnownHash[] {
  const out: KnownHash[] = [];
  for (const e of heldStill(before, after)) {
    const hash = trustedHash(cache, e);
    if (hash !== undefined) out.push({ path: e.path, size: e.size, hash });
  }
  return out;
}

/** Identities by path key of the entries seen identically in `before` and `after`. */
export function stillStats(before: readonly WalkEntry[], after: readonly WalkEntry[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of heldStill(before, after)) out.set(pathKey(e.path), e.statId);
  return out;
}
