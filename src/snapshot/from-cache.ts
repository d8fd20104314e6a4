/**
 * Step 7 of a snapshot taken from the worktree's stat cache (issue 4): the clone is hashed
 * only where it may differ from the records of the parent, which the cache holds.
 *
 * Why one scan, after the clone, is enough: a worktree entry whose stat identity at the scan
 * equals the identity the cache remembered (and is not racily clean) did not change from the
 * moment it was remembered — before this snapshot began — to the scan, after the clone: ctime
 * only moves forward. So the clone holds the parent's record there, and the payload root hash
 * takes it unread. Every other path (the scan's differences) is looked at in the clone itself,
 * which nobody writes: hashed if present, dropped if not. What the scan cannot see — an entry
 * created and removed again while the clone ran, so that the clone holds it but neither the
 * worktree nor the cache does — is caught by counting: the patched index must hold as many
 * directories, files and symlinks as the clone made. When it does not, or anything else is
 * out of the ordinary, the caller hashes the clone whole.
 *
 * The copy and reflink engines link every file whose parent copy matches the source's size,
 * mtime, mode and owner. A file the scan found changed may have been linked all the same (a same-size write
 * that kept the mtime); such files are copied again from the worktree before they are hashed.
 */
import { lstat, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';

import { JvsError } from '../errors.js';
import { underReady } from '../manifest/tree-diff.js';
import type { TreeEdit } from '../manifest/tree.js';
import { getCore, indexEntryAt, patchIndexPieces, statIdWithDev, type CloneReport, type EngineName, type HashRecord, type IndexEntry, type IndexSummary, type ScanDifference, type ScanOptions } from '../native/index.js';
import { trustBefore, type StatCache, type StatCacheOut } from '../statcache/cache.js';
import { unsupportedFileError } from './unsupported.js';
import { rawPath } from '../fs/raw-path.js';

export interface FromCache {
  rootHash: string;
  /** The manifest's edits against the parent's trees. */
  edits: TreeEdit[];
  /** The cache patched to the new snapshot's records (its `base` is the caller's to set). */
  cache: StatCacheOut;
}

const pathOf = (d: ScanDifference, cache: StatCache): Buffer => d.entry?.path ?? indexEntryAt(cache.body, d.at!).entry.path;

/** Copies the worktree's files at `paths` into the clone again (with `engine`), over what the clone holds. */
async function recopy(payload: string, tmp: string, scratch: string, paths: readonly Buffer[], engine: EngineName): Promise<void> {
  if (paths.length === 0) return;
  const stage = join(scratch, 'recopy');
  await mkdir(scratch, { recursive: true });
  await getCore().materializeEntries(payload, paths, stage, { engine });
  for (const [i, p] of paths.entries()) await rename(join(stage, String(i)), rawPath(tmp, p));
}

/**
 * The paths at which the clone `tmp` holds the parent's copy itself (a link: same inode) —
 * for changed files, a same-size write that kept the mtime. Others were cloned from the
 * worktree and need nothing more (recopying them cost a full copy of every changed file).
 */
async function linkedFromParent(tmp: string, parentDir: string, paths: readonly Buffer[]): Promise<Buffer[]> {
  const same = await Promise.all(
    paths.map(async (p) => {
      const [a, b] = await Promise.all([lstat(rawPath(tmp, p), { bigint: true }), lstat(rawPath(parentDir, p), { bigint: true })]).catch(() => []);
      return a !== undefined && b !== undefined && a.ino === b.ino && a.dev === b.dev;
    }),
  );
  return paths.filter((_, i) => same[i]);
}

/**
 * Hands over the patched cache as soon as it exists, before its summary is computed: the
 * caller starts writing it (100 MB at a million entries) while the summary is hashed.
 */
export type OnPatched = (cache: StatCacheOut) => void;

/** How patchFromDiffs makes the new cache. */
interface Patching {
  /** When the identities of the differences were taken (the new cache's `takenNs`). */
  scanNs: bigint;
  /** The identity to keep for an entry (that of the worktree's entry). */
  remember: (statId: string) => string;
  /**
   * An entry whose mtime and ctime precede this was untouched since before the clone began
   * (ctime only moves forward), so the clone holds it: its identity holds the clone's record
   * without having been read. The clone's start less the racy window: a write just after the
   * start can be stamped up to a tick before it.
   */
  untouchedBefore?: bigint;
  /**
   * The differences were scanned in `tmp` itself (a subvolume snapshot, which nobody writes):
   * what is there needs no second look, and a file the scan read keeps the hash it got.
   */
  scannedTmp?: boolean;
  onPatched?: OnPatched;
}

/** The record of a file the scan read in the tree it scanned, or undefined. */
function readRecord(d: ScanDifference): HashRecord | undefined {
  const e = d.entry;
  if (e?.kind !== 'file' || d.hash === undefined || d.foreign) return undefined;
  return { kind: 'file', path: e.path, perm: e.mode & 0o777, size: e.size, hash: d.hash };
}

/**
 * The new snapshot's cache and manifest edits, given the differences between the cache and
 * the tree the clone `tmp` was made of: every path listed is looked at in `tmp`.
 */
async function patchFromDiffs(tmp: string, cache: StatCache, diffs: readonly ScanDifference[], how: Patching): Promise<FromCache & { summary: IndexSummary }> {
  const paths = diffs.map((d) => pathOf(d, cache));
  const present = how.scannedTmp ? diffs.map((d) => d.entry !== undefined) : await Promise.all(paths.map((p) => lstat(rawPath(tmp, p)).then(() => true, () => false)));
  const read = diffs.map((d) => (how.scannedTmp ? readRecord(d) : undefined));
  const records = await getCore().hashPaths(tmp, paths.filter((_, i) => present[i] && !read[i]));
  const entries: Array<{ path: Buffer; entry?: IndexEntry }> = [];
  const edits: TreeEdit[] = [];
  let next = 0;
  for (const [i, d] of diffs.entries()) {
    const path = paths[i]!;
    const r: HashRecord | undefined = read[i] ?? (present[i] ? records[next++] : undefined);
    edits.push({ path, ...(r ? { record: r } : {}) });
    if (!r) {
      entries.push({ path });
      continue;
    }
    // The identity holds the record when the clone holds what the worktree entry is (kind,
    // permission bits, size) and that entry was found unchanged (read, or compared) with its
    // identity held, or untouched since before the clone began.
    const e = d.entry;
    const holds = e !== undefined && r.kind === e.kind && r.perm === (e.mode & 0o777) && (r.kind !== 'file' || r.size === e.size);
    const readSame = d.same && d.stable && (r.kind === 'dir' || r.hash === d.hash);
    const untouched = how.untouchedBefore !== undefined && e !== undefined && e.mtimeNs < how.untouchedBefore && e.ctimeNs < how.untouchedBefore;
    const vouched = holds && (readSame || untouched);
    entries.push({ path, entry: { kind: r.kind, path, perm: r.perm, size: r.size, hash: r.hash, ...(vouched ? { statId: how.remember(e.statId) } : {}) } });
  }
  const patched: StatCacheOut = { takenNs: how.scanNs, base: null, body: patchIndexPieces(cache.body, entries) };
  how.onPatched?.(patched);
  const summary = await getCore().summarizeIndex(patched.body);
  return { rootHash: summary.rootHash, edits, cache: patched, summary };
}

/** Throws E_UNSUPPORTED_FILE for the first special file among the differences. */
function refuseSpecial(diffs: readonly ScanDifference[]): void {
  const special = diffs.map((d) => d.entry && unsupportedFileError(d.entry)).find((e): e is JvsError => e !== undefined);
  if (special) throw special;
}

/** Whether a difference lies under a `.READY` directory below the root: left to the whole hash. */
function readyBelow(diffs: readonly ScanDifference[], cache: StatCache): boolean {
  return diffs.some((d) => underReady(pathOf(d, cache)));
}

/** The scan's differences, or undefined when it failed (the worktree changed under it, a malformed cache). */
async function scanOrGiveUp(root: string, cache: StatCache, opts: ScanOptions): Promise<ScanDifference[] | undefined> {
  return getCore()
    .scanWorktree(root, cache.body, trustBefore(cache), opts)
    .catch(() => undefined);
}

/** When the clone a snapshot from the cache hashes began, and who takes its new cache first. */
export interface CloneTiming {
  /** Before the clone began (nothing it holds is older than what the worktree had then). */
  cloneNs: bigint;
  /** Before the scan: when the identities the new cache remembers were taken. */
  scanNs: bigint;
  onPatched?: OnPatched;
}

/**
 * Hashes the clone `tmp` of `payload` from `cache` (whose base is the parent), after the clone
 * and before the tree is synced. `linkedFrom` is the parent snapshot the clone linked from.
 * The worktree is scanned without reading anything: every difference is hashed in the clone,
 * and an identity untouched since before the clone began is remembered unread.
 * Undefined when the clone must be hashed whole; `relink` when it must not be used at all: a
 * linked clone whose changed files could not all be copied again may hold a parent's copy of
 * a file that changed (same size and mtime), which even a whole hash would take as captured.
 * Throws E_UNSUPPORTED_FILE for a special file.
 */
export async function hashFromCache(payload: string, tmp: string, scratch: string, cache: StatCache, report: CloneReport, linkedFrom: string | undefined, when: CloneTiming): Promise<FromCache | 'relink' | undefined> {
  const diffs = await scanOrGiveUp(payload, cache, { read: false });
  if (!diffs) return linkedFrom !== undefined ? 'relink' : undefined;
  refuseSpecial(diffs);
  try {
    if (linkedFrom !== undefined) {
      // The scan reads nothing, so no file difference is known to be unchanged: which of them the
      // clone holds as the parent's copy tells.
      const changed = diffs.filter((d) => d.entry?.kind === 'file' && d.at !== undefined).map((d) => d.entry!.path);
      await recopy(payload, tmp, scratch, await linkedFromParent(tmp, linkedFrom, changed), report.engine);
    }
  } catch {
    return 'relink'; // the worktree changed under the copy
  }
  if (readyBelow(diffs, cache)) return undefined;
  const untouchedBefore = trustBefore({ ...cache, takenNs: when.cloneNs });
  const { summary, ...out } = await patchFromDiffs(tmp, cache, diffs, { ...when, remember: (id) => id, untouchedBefore });
  if (summary.dirs !== report.dirs || summary.files !== report.files || summary.symlinks !== report.symlinks) return undefined;
  return out;
}

/**
 * The same for a btrfs subvolume snapshot `tmp` of the worktree (whose device is
 * `worktreeDev`). The snapshot itself is scanned: nobody writes it, and it keeps the
 * worktree's inodes and times, so identities compare without the device — exact, with no race
 * to guard against. Where btrfs can say which inodes were written since the parent snapshot
 * `parentDir` was taken from the same worktree, only those are looked at (scanSnapshotSince:
 * the cost of what changed, whatever the tree's size); otherwise the whole snapshot is scanned.
 * `foreign` names a nested subvolume it shows (an empty placeholder on another device): the
 * caller clones instead.
 */
export async function hashSnapshotFromCache(tmp: string, parentDir: string, cache: StatCache, worktreeDev: bigint, scanNs: bigint, onPatched?: OnPatched): Promise<FromCache | { foreign: Buffer } | undefined> {
  const since = await getCore()
    .scanSnapshotSince(tmp, parentDir, cache.body, trustBefore(cache))
    .catch(() => null);
  const diffs = since ?? (await scanOrGiveUp(tmp, cache, { ignoreDev: true }));
  if (!diffs) return undefined;
  // A placeholder is on another device, and (btrfs's empty-subvolume directory) inode 2.
  const foreign = diffs.find((d) => d.entry && (d.foreign || (d.entry.kind === 'dir' && d.entry.ino === 2n)));
  if (foreign) return { foreign: foreign.entry!.path };
  refuseSpecial(diffs);
  if (readyBelow(diffs, cache)) return undefined;
  const { summary: _, ...out } = await patchFromDiffs(tmp, cache, diffs, { scanNs, remember: (id) => statIdWithDev(id, worktreeDev), scannedTmp: true, ...(onPatched ? { onPatched } : {}) });
  return out;
}
