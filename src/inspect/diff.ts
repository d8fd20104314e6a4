/**
 * `jvs diff` (CONTRACT §2.5): two snapshots, or one snapshot and the worktree as it is now.
 */
import { lstat, stat } from 'node:fs/promises';

import { nowTimestamp, ZERO_TIME } from '../encoding/timestamp.js';
import { JvsError } from '../errors.js';
import type { Descriptor } from '../formats/descriptor.js';
import { goPathError } from '../fs/go-errors.js';
import { listSnapshots } from '../repo/catalog.js';
import { resolveInWorktree } from './resolve.js';
import type { Repository } from '../repo/repository.js';
import { snapshotRecords } from '../snapshot/records.js';
import { compareSides, sidesOfRecords, sidesOfWorktree, type Changes, type Side } from './compare.js';
import { manifestRoot, objectReader } from '../manifest/store.js';
import { diffTrees } from '../manifest/tree-diff.js';
import { rawPath } from '../fs/raw-path.js';

export interface DiffChange {
  path: Buffer;
  type: 'added' | 'removed' | 'modified';
  mode?: number;
  size?: number;
  old_size?: number;
  old_hash?: string;
  new_hash?: string;
  is_symlink?: boolean;
}

/** The `--json` output; lists are `null` when empty (as v8.2 prints them). */
export interface DiffResult {
  from_snapshot_id: string;
  to_snapshot_id: string;
  from_time: string;
  to_time: string;
  added: DiffChange[] | null;
  removed: DiffChange[] | null;
  modified: DiffChange[] | null;
  total_added: number;
  total_removed: number;
  total_modified: number;
}

export interface DiffOptions {
  from?: string;
  to?: string;
  /** The worktree of the current directory, when there is one (for `HEAD` and one-argument diff). */
  worktree?: string;
}

/** Go's os.FileMode of an lstat mode: permission bits plus setuid/setgid/sticky/symlink flags. */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  if (mode & 0o4000) m |= 1 << 23;
  if (mode & 0o2000) m |= 1 << 22;
  if (mode & 0o1000) m |= 1 << 20;
  if ((mode & 0o170000) === 0o120000) m |= 1 << 27;
  return m;
}

/**
 * The Go FileMode of a side: from an lstat of the stored entry (setuid/setgid/sticky included),
 * or — when `root` is undefined, for a compressed snapshot whose stored entries are `*.gz`
 * files — from the record's permission bits.
 */
async function modeAt(root: string | undefined, s: Side): Promise<number> {
  if (root === undefined) return s.kind === 'symlink' ? goFileMode(0o120777) : s.perm;
  try {
    return goFileMode((await lstat(rawPath(root, s.path))).mode);
  } catch {
    return s.kind === 'symlink' ? goFileMode(0o120777) : s.perm;
  }
}

async function change(type: DiffChange['type'], from: Side | undefined, to: Side | undefined, root: string | undefined): Promise<DiffChange> {
  const subject = (to ?? from)!;
  const c: DiffChange = { path: subject.path, type };
  const mode = await modeAt(root, subject);
  if (mode) c.mode = mode;
  if (subject.size) c.size = subject.size;
  if (type === 'modified' && from?.size) c.old_size = from.size;
  if (type !== 'added' && from?.hash) c.old_hash = from.hash;
  if (type !== 'removed' && to?.hash) c.new_hash = to.hash;
  if (subject.kind === 'symlink') c.is_symlink = true;
  return c;
}

/** Runs `fn` for one side, reporting a missing snapshot directory or unreadable payload as diff does. */
async function side<T>(repo: Repository, d: Descriptor, which: 'from' | 'to', fn: () => Promise<T>): Promise<T> {
  try {
    // The manifest alone would still answer for a snapshot whose directory is gone.
    const dir = repo.layout.snapshotDir(d.snapshot_id);
    await stat(dir).catch((e: unknown) => {
      throw new Error(goPathError('stat', dir, e), { cause: e });
    });
    return await fn();
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^E_PARTIAL_SNAPSHOT: /, '') : String(e);
    throw new JvsError('E_PARTIAL_SNAPSHOT', `compute diff: E_PARTIAL_SNAPSHOT: ${which} snapshot not found: ${msg}`, { cause: e });
  }
}

function records(repo: Repository, d: Descriptor, which: 'from' | 'to'): Promise<Map<string, Side>> {
  return side(repo, d, which, async () => sidesOfRecords(await snapshotRecords(repo, d)));
}

/**
 * The root of a snapshot's manifest tree, when the tree can stand in for its records: the
 * pointer exists and names the descriptor's payload hash (trusted as `loadManifest` trusts it,
 * see src/manifest/store.ts). Compressed snapshots and snapshots without a manifest (written
 * by v8.2) answer undefined and are compared by their record lists, which build the manifest.
 */
function treeRoot(repo: Repository, d: Descriptor, which: 'from' | 'to'): Promise<string | undefined> {
  return side(repo, d, which, async () => (d.compression ? undefined : manifestRoot(repo.layout, d.snapshot_id, d.payload_root_hash)));
}

/**
 * Two snapshots compared by their manifest trees (only differing subtrees are read); the
 * record lists when either has no usable manifest or an object turns out missing or damaged,
 * so such a manifest costs a rebuild, never a wrong diff (docs/architecture.md, Manifests).
 */
async function snapshotChanges(repo: Repository, from: Descriptor, to: Descriptor): Promise<Changes> {
  const a = await treeRoot(repo, from, 'from');
  const b = await treeRoot(repo, to, 'to');
  if (a && b) {
    try {
      return await diffTrees(objectReader(repo.layout), a, b);
    } catch {
      // A missing or damaged object (the reader removes damaged ones, so the rebuild below
      // writes them again).
    }
  }
  return compareSides(await records(repo, from, 'from'), await records(repo, to, 'to'));
}

export async function diff(repo: Repository, o: DiffOptions): Promise<DiffResult> {
  const resolve = (ref: string, context: string): Promise<Descriptor> => resolveInWorktree(repo, ref, o.worktree, context);
  let from: Descriptor;
  let to: Descriptor | undefined;
  if (o.from === undefined) {
    const { snapshots } = await listSnapshots(repo.layout);
    if (snapshots.length < 2) throw new JvsError('E_NOT_FOUND', 'need at least 2 snapshots to diff');
    [to, from] = [snapshots[0]!, snapshots[1]!];
  } else if (o.to === undefined) {
    if (!o.worktree) throw new JvsError('E_NOT_IN_WORKTREE', 'resolve snapshot: not inside a worktree');
    from = await resolve(o.from, 'resolve snapshot');
  } else {
    from = await resolve(o.from, 'resolve from snapshot');
    to = await resolve(o.to, 'resolve to snapshot');
  }

  const fromRoot = from.compression ? undefined : repo.layout.snapshotDir(from.snapshot_id);
  let ch: Changes;
  let toTime: string;
  let toRoot: string | undefined;
  if (to) {
    ch = await snapshotChanges(repo, from, to);
    toTime = to.created_at || ZERO_TIME;
    toRoot = to.compression ? undefined : repo.layout.snapshotDir(to.snapshot_id);
  } else {
    const fromSides = await records(repo, from, 'from');
    toRoot = repo.layout.payload(o.worktree!);
    toTime = nowTimestamp();
    ch = compareSides(fromSides, await sidesOfWorktree(toRoot, fromSides));
  }
  const added = await Promise.all(ch.added.map((c) => change('added', undefined, c.to, toRoot)));
  const removed = await Promise.all(ch.removed.map((c) => change('removed', c.from, undefined, fromRoot)));
  const modified = await Promise.all(ch.modified.map((c) => change('modified', c.from, c.to, toRoot)));
  return {
    from_snapshot_id: from.snapshot_id,
    to_snapshot_id: to?.snapshot_id ?? '',
    from_time: from.created_at || ZERO_TIME,
    to_time: toTime,
    added: added.length ? added : null,
    removed: removed.length ? removed : null,
    modified: modified.length ? modified : null,
    total_added: added.length,
    total_removed: removed.length,
    total_modified: modified.length,
  };
}
