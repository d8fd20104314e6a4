/**
 * Restore planning that costs what changed (issue 4). The worktree's stat cache holds the
 * head's records; one native scan gives the paths where the worktree differs from the head,
 * and the manifest trees give the paths where the target differs from the head. Everywhere
 * else worktree, head and target agree, so only those paths are planned — with the rules of
 * the full planner (plan.ts), which the tests hold this one equal to.
 *
 * Used for a whole restore when the cache describes the head and both manifests are at hand;
 * `planDelta` answers undefined otherwise (and for trees holding `.READY` entries below the
 * root, whose odd rules only the full planner knows), and the caller plans in full.
 */
import { lstat } from 'node:fs/promises';

import type { Descriptor } from '../formats/descriptor.js';
import { manifestRoot, objectReader, recordOf, recordsAt } from '../manifest/store.js';
import { diffEntries, underReady, type EntryChange } from '../manifest/tree-diff.js';
import type { TreeEntry } from '../manifest/tree.js';
import { getCore, indexEntryAt, patchIndexPieces, type HashRecord, type IndexEntry, type ScanDifference, type WalkEntry } from '../native/index.js';
import type { RepoLayout } from '../repo/layout.js';
import { pathKey, type StatCache, type StatCacheOut } from '../statcache/cache.js';
import { underAny, type Action } from './plan.js';
import { rawPath } from '../fs/raw-path.js';

export interface DeltaPlan {
  actions: Action[];
  /** Whether applying the plan would overwrite or remove work that the head does not hold. */
  unsaved: boolean;
  /** The stat cache once the plan is applied: the target's records (`takenNs`: before the scan). */
  cacheAfter(takenNs: bigint): StatCacheOut;
}

/** What the worktree holds at a path, from the scan or (where it agrees with the head) from the head. */
interface Have {
  kind: WalkEntry['kind'];
  perm: number;
  size: number;
  /** Content hash (files, when known) or target hash (symlinks). */
  hash?: string;
  target?: Buffer;
}

interface Candidate {
  path: Buffer;
  change?: EntryChange;
  diff?: ScanDifference;
}

const READY = Buffer.from('.READY');

function haveOfTree(e: TreeEntry): Have {
  const kind = e.kind === 'unrecorded-dir' ? 'dir' : e.kind;
  return { kind, perm: e.perm, size: e.size, ...(kind !== 'dir' ? { hash: e.hash.toString('hex') } : {}), ...(e.target ? { target: e.target } : {}) };
}

function haveOfWalk(e: WalkEntry, hash: string | undefined): Have {
  return { kind: e.kind, perm: e.mode & 0o777, size: e.size, ...(hash !== undefined ? { hash } : {}), ...(e.target ? { target: e.target } : {}) };
}

/** Changes and differences merged by path (both sorted by path bytes). */
function candidates(changes: readonly EntryChange[], diffs: readonly ScanDifference[], body: Buffer): Candidate[] {
  const out: Candidate[] = [];
  const diffPath = (d: ScanDifference): Buffer => d.entry?.path ?? indexEntryAt(body, d.at!).entry.path;
  let j = 0;
  for (const change of changes) {
    for (; j < diffs.length && Buffer.compare(diffPath(diffs[j]!), change.path) < 0; j++) out.push({ path: diffPath(diffs[j]!), diff: diffs[j]! });
    const d = diffs[j];
    if (d && diffPath(d).equals(change.path)) {
      out.push({ path: change.path, change, diff: d });
      j++;
    } else out.push({ path: change.path, change });
  }
  for (; j < diffs.length; j++) out.push({ path: diffPath(diffs[j]!), diff: diffs[j]! });
  return out;
}

const indexEntryOf = (r: HashRecord): IndexEntry => ({ kind: r.kind, path: r.path, perm: r.perm, size: r.size, hash: r.hash });

/**
 * Plans the whole restore of `payload` from `head` (which `cache` describes) to `target`, given
 * the scan of the worktree against `cache`. Undefined when it cannot be planned this way.
 */
export async function planDelta(layout: RepoLayout, payload: string, cache: StatCache, diffs: readonly ScanDifference[], head: Descriptor, target: Descriptor): Promise<DeltaPlan | undefined> {
  if (target.partial_paths) return undefined;
  const [from, to] = await Promise.all([manifestRoot(layout, head.snapshot_id, head.payload_root_hash), manifestRoot(layout, target.snapshot_id, target.payload_root_hash)]);
  if (!from || !to) return undefined;
  const changes = await diffEntries(objectReader(layout), from, to).catch(() => undefined);
  if (!changes) return undefined;
  const all = candidates(changes, diffs, cache.body);
  if (all.some((c) => underReady(c.path))) return undefined;

  // Where only the worktree differs, the target's record is the head's: read along those paths.
  const headOnly = all.filter((c) => !c.change && c.diff!.at !== undefined).map((c) => c.path);
  const kept = headOnly.length > 0 ? await recordsAt(layout, target.snapshot_id, target.payload_root_hash, headOnly) : new Map<string, HashRecord>();
  // Every such path is the head's, so the target has it too; anything else is not this plan's case.
  if (!kept || kept.size !== headOnly.length) return undefined;
  const wantOf = (c: Candidate): HashRecord | undefined => (c.change ? c.change.to && recordOf(c.change.to, c.path) : kept.get(pathKey(c.path)));
  const haveOf = (c: Candidate): Have | undefined => (c.diff ? c.diff.entry && haveOfWalk(c.diff.entry, c.diff.hash) : c.change!.from && haveOfTree(c.change!.from));

  const actions: Action[] = [];
  const overwritten = new Set<string>();
  const removedDirs = new Set<string>();
  // A v8.2 leftover: the root-level marker is never part of a worktree.
  const marker = await lstat(rawPath(payload, READY)).catch(() => undefined);
  if (marker) actions.push({ op: 'remove', path: READY, kind: marker.isDirectory() ? 'dir' : 'file' });

  // Entries to drop: not in the target, or of another type.
  for (const c of all) {
    const have = haveOf(c);
    if (!have) continue;
    const k = pathKey(c.path);
    if (underAny(c.path, removedDirs)) {
      if (have.kind !== 'dir') overwritten.add(k);
      continue;
    }
    const want = wantOf(c);
    if (!want || want.kind !== have.kind) {
      actions.push({ op: 'remove', path: c.path, kind: have.kind });
      if (have.kind === 'dir') removedDirs.add(k);
      else overwritten.add(k);
    }
  }

  // Same type, same size, content unknown (the worktree's size differs from the head's only): read.
  const unknown = all.filter((c) => {
    const have = haveOf(c);
    const want = wantOf(c);
    return have?.kind === 'file' && want?.kind === 'file' && have.hash === undefined && have.size === want.size && !underAny(c.path, removedDirs);
  });
  const read = new Map((await getCore().hashPaths(payload, unknown.map((c) => c.path))).map((r) => [pathKey(r.path), r.hash]));

  for (const c of all) {
    const want = wantOf(c);
    if (!want) continue;
    const have = haveOf(c);
    const k = pathKey(c.path);
    const gone = !have || have.kind !== want.kind || underAny(c.path, removedDirs);
    if (want.kind === 'dir') {
      if (gone) actions.push({ op: 'mkdir', path: c.path, perm: want.perm });
      else if (have.perm !== want.perm) actions.push({ op: 'chmod', path: c.path, perm: want.perm, kind: 'dir' });
      continue;
    }
    if (gone) {
      actions.push({ op: 'put', path: c.path, record: want });
      continue;
    }
    if (want.kind === 'symlink') {
      if (!(have.target ?? Buffer.alloc(0)).equals(want.target ?? Buffer.alloc(0))) {
        actions.push({ op: 'put', path: c.path, record: want });
        overwritten.add(k);
      }
      continue;
    }
    if (have.size !== want.size || (have.hash ?? read.get(k)) !== want.hash) {
      actions.push({ op: 'put', path: c.path, record: want });
      overwritten.add(k);
    } else if (have.perm !== want.perm) actions.push({ op: 'chmod', path: c.path, perm: want.perm, kind: 'file' });
  }

  // Work is lost where the worktree differs from the head (by the status rule: type, size or
  // content of files and symlinks) at a path the plan overwrites or removes.
  const unsaved = all.some((c) => {
    const now = c.diff?.entry;
    if (!now || (now.kind !== 'file' && now.kind !== 'symlink') || !overwritten.has(pathKey(c.path)) || c.diff!.same) return false;
    const saved = c.diff!.at !== undefined ? indexEntryAt(cache.body, c.diff!.at).entry : undefined;
    return !saved || saved.kind !== now.kind || saved.size !== now.size || saved.hash !== c.diff!.hash;
  });

  const touched = new Set([...overwritten, ...actions.map((a) => pathKey(a.path))]);
  const cacheAfter = (takenNs: bigint): StatCacheOut => {
    const edits = all.map((c) => {
      if (c.change) {
        const want = wantOf(c);
        return { path: c.path, ...(want ? { entry: indexEntryOf(want) } : {}) };
      }
      // The head's record stays; its identity is remembered only for a file found unchanged and left alone.
      const d = c.diff!;
      if (d.at === undefined) return { path: c.path };
      const entry = { ...indexEntryAt(cache.body, d.at).entry };
      delete entry.statId;
      if (d.stable && d.entry && !touched.has(pathKey(c.path))) entry.statId = d.entry.statId;
      return { path: c.path, entry };
    });
    return { takenNs, base: target.snapshot_id, body: patchIndexPieces(cache.body, edits) };
  };
  return { actions, unsaved, cacheAfter };
}
