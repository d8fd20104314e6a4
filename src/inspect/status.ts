/**
 * `jvs status` (CONTRACT §2.14): the worktree against its head snapshot, by the rules of diff.
 * One native scan compares the worktree with the stat cache, which holds the head's records
 * (src/statcache/cache.ts): a file whose stat identity the cache remembers is not read, other
 * files only when their type and size match the head's, and only the differences come back to
 * JavaScript. A missing cache, or one of another snapshot, is rebuilt from the head's records.
 */
import { isDetached } from '../formats/worktree-config.js';
import { readJournal } from '../restore/journal.js';
import { tryDescriptor } from '../repo/catalog.js';
import type { Repository } from '../repo/repository.js';
import { snapshotRecords } from '../snapshot/records.js';
import { loadWorktree } from '../snapshot/snapshot.js';
import { leavesDiffer, underReady, type Side } from './compare.js';
import { cacheOfRecords, loadStatCache, rememberStat, saveStatCache, trustBefore, type StatCache } from '../statcache/cache.js';
import { nowNs } from '../encoding/timestamp.js';
import { getCore, indexEntryAt, type IndexEntry, type ScanDifference, type WalkEntry } from '../native/index.js';

export interface StatusChange {
  path: Buffer;
  type: 'added' | 'removed' | 'modified';
  size: number;
  old_size?: number;
  is_symlink?: boolean;
}

export interface StatusResult {
  worktree: string;
  head_snapshot_id: string | null;
  detached: boolean;
  clean: boolean;
  added: StatusChange[];
  removed: StatusChange[];
  modified: StatusChange[];
  total_added: number;
  total_removed: number;
  total_modified: number;
}

function entry(type: StatusChange['type'], s: Side, old?: Side): StatusChange {
  const c: StatusChange = { path: s.path, type, size: s.size };
  if (old) c.old_size = old.size;
  if (s.kind === 'symlink') c.is_symlink = true;
  return c;
}

/** The head's side of a difference: files and symlinks only, none at or under `.READY`. */
function headSide(e: IndexEntry): Side | undefined {
  if (e.kind === 'dir' || underReady(e.path)) return undefined;
  return { kind: e.kind, path: e.path, size: e.size, hash: e.hash, perm: e.perm };
}

function worktreeSide(e: WalkEntry, hash: string | undefined): Side | undefined {
  if ((e.kind !== 'file' && e.kind !== 'symlink') || underReady(e.path)) return undefined;
  return { kind: e.kind, path: e.path, size: e.size, perm: e.mode & 0o777, ...(hash !== undefined ? { hash } : {}) };
}

interface HeadCache {
  cache: StatCache;
  /** Made now from the head's records (not loaded). */
  fresh: boolean;
  /** Whether it may be saved: a head without a descriptor compares as empty, under no name. */
  known: boolean;
}

/** The worktree's stat cache of `head`: the saved one (unless `rebuild`), or a fresh one of the head's records. */
async function cacheOfHead(repo: Repository, worktree: string, head: string | null, takenNs: bigint, rebuild = false): Promise<HeadCache> {
  const saved = rebuild ? undefined : await loadStatCache(repo.layout, worktree);
  if (saved && saved.base === head) return { cache: saved, fresh: false, known: true };
  const d = head ? await tryDescriptor(repo.layout, head) : undefined;
  const records = d ? await snapshotRecords(repo, d) : [];
  return { cache: cacheOfRecords(head, takenNs, records), fresh: true, known: !head || d !== undefined };
}

/**
 * Records in the cache what the scan learned: identities of files read and found unchanged
 * (stable), forgotten for the others it could not vouch for. Returns whether the cache should
 * be saved: an identity changed, or a file was re-verified (saved with a later `takenNs`, a
 * racily clean file becomes trusted once it is old enough).
 */
function learn(cache: StatCache, diffs: readonly ScanDifference[]): boolean {
  let worth = false;
  for (const d of diffs) {
    if (d.at === undefined || !d.entry) continue;
    const before = indexEntryAt(cache.body, d.at).entry.statId;
    const now = d.stable ? d.entry.statId : undefined;
    if (before !== now) rememberStat(cache, d.at, now);
    worth ||= before !== now || d.same;
  }
  return worth;
}

export async function status(repo: Repository, worktree: string): Promise<StatusResult> {
  const cfg = await loadWorktree(repo, worktree);
  const journal = await readJournal(repo.layout.restoreJournal(worktree));
  if (journal) repo.warn(`interrupted restore to ${journal.snapshot_id}; run jvs restore ${journal.snapshot_id} or jvs doctor --repair-runtime`);
  const payload = repo.layout.payload(worktree);
  const head = cfg.head_snapshot_id ?? null;
  // Before the walk: the reference point of the racy rule for what this scan remembers.
  const takenNs = nowNs();
  let { cache, fresh, known } = await cacheOfHead(repo, worktree, head, takenNs);
  const scan = (c: StatCache): Promise<ScanDifference[]> => getCore().scanWorktree(payload, c.body, trustBefore(c));
  // A saved cache the scan cannot use (malformed past its checksum: only a bug makes one)
  // changes speed, not results: the scan runs again on a fresh one.
  const diffs = await scan(cache).catch(async (e: unknown) => {
    if (fresh) throw e;
    ({ cache, fresh, known } = await cacheOfHead(repo, worktree, head, takenNs, true));
    return scan(cache);
  });

  const added: StatusChange[] = [];
  const removed: StatusChange[] = [];
  const modified: StatusChange[] = [];
  for (const d of diffs) {
    if (d.same) continue; // read and found to be the head's, or listed only as foreign
    const was = d.at !== undefined ? headSide(indexEntryAt(cache.body, d.at).entry) : undefined;
    const now = d.entry ? worktreeSide(d.entry, d.hash) : undefined;
    if (was && now) {
      if (leavesDiffer(was, now)) modified.push(entry('modified', now, was));
    } else if (was) removed.push(entry('removed', was));
    else if (now) added.push(entry('added', now));
  }
  // Only speed depends on the cache: failing to save it fails nothing.
  if ((learn(cache, diffs) || fresh) && known) await saveStatCache(repo.layout, worktree, { ...cache, takenNs }).catch(() => undefined);

  return {
    worktree,
    head_snapshot_id: head,
    detached: isDetached(cfg),
    clean: added.length + removed.length + modified.length === 0,
    added,
    removed,
    modified,
    total_added: added.length,
    total_removed: removed.length,
    total_modified: modified.length,
  };
}
