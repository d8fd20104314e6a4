/**
 * `jvs status` (CONTRACT §2.14): the worktree against its head snapshot, by the rules of diff.
 * (The stat cache that avoids reading unchanged files comes with issue 4; today files are read
 * only when their type and size match the head's.)
 */
import { isDetached } from '../formats/worktree-config.js';
import { readJournal } from '../restore/journal.js';
import { tryDescriptor } from '../repo/catalog.js';
import type { Repository } from '../repo/repository.js';
import { snapshotRecords } from '../snapshot/records.js';
import { loadWorktree } from '../snapshot/snapshot.js';
import { compareSides, scanWorktree, sidesOfRecords, type Side, type WorktreeScan } from './compare.js';
import { freshCache, loadStatCache, pathKey, saveStatCache, statIdOfStats, type StatCache } from '../statcache/cache.js';
import { nowNs } from '../encoding/timestamp.js';
import { lstat } from 'node:fs/promises';
import { walkAhead, type WalkEntry } from '../native/index.js';

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

/**
 * The cache after a status: trusted entries as they were, plus each file read now whose lstat
 * still matches the walk's (it did not change while it was read). Best effort.
 */
async function refreshCache(repo: Repository, worktree: string, payload: string, old: StatCache, takenNs: bigint, scan: WorktreeScan): Promise<void> {
  if (scan.read.size === 0 && old.entries.size > 0) return; // nothing new to remember
  const after: WalkEntry[] = [];
  for (const e of scan.walked) {
    if (e.kind !== 'file') continue;
    if (!scan.read.has(pathKey(e.path))) {
      after.push(e);
      continue;
    }
    const st = await lstat(Buffer.concat([Buffer.from(`${payload}/`), e.path]), { bigint: true }).catch(() => undefined);
    if (st) after.push({ ...e, statId: statIdOfStats(st) });
  }
  const hashes = new Map(scan.read);
  for (const [key, side] of scan.sides) if (side.kind === 'file' && side.hash !== undefined && !hashes.has(key)) hashes.set(key, side.hash);
  await saveStatCache(repo.layout, worktree, freshCache(takenNs, scan.walked, after, hashes)).catch(() => undefined);
}

export async function status(repo: Repository, worktree: string): Promise<StatusResult> {
  const cfg = await loadWorktree(repo, worktree);
  const journal = await readJournal(repo.layout.restoreJournal(worktree));
  if (journal) repo.warn(`interrupted restore to ${journal.snapshot_id}; run jvs restore ${journal.snapshot_id} or jvs doctor --repair-runtime`);
  const payload = repo.layout.payload(worktree);
  // The walk runs on its own threads while the head's records and the cache are loaded here.
  const takenNs = nowNs();
  const walking = walkAhead(payload);
  const head = cfg.head_snapshot_id ? await tryDescriptor(repo.layout, cfg.head_snapshot_id) : undefined;
  const base = head ? sidesOfRecords(await snapshotRecords(repo, head)) : new Map<string, Side>();
  const cache = await loadStatCache(repo.layout, worktree);
  const scan = await scanWorktree(payload, base, cache, walking);
  await refreshCache(repo, worktree, payload, cache, takenNs, scan);
  const ch = compareSides(base, scan.sides);
  const added = ch.added.map((c) => entry('added', c.to));
  const removed = ch.removed.map((c) => entry('removed', c.from));
  const modified = ch.modified.map((c) => entry('modified', c.to, c.from));
  return {
    worktree,
    head_snapshot_id: cfg.head_snapshot_id ?? null,
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
