/**
 * What a restore must change (CONTRACT §5.3 properties 2–4): the worktree within the scope is
 * compared entry by entry with the snapshot's records; only entries whose type, content, link
 * target or permission bits differ are touched. Content costs what changed (issue 4): a file
 * the worktree's stat cache vouches for is not read, a file of another size differs without
 * reading, and only the rest is hashed.
 */
import { getCore, type HashRecord, type WalkEntry } from '../native/index.js';
import { trustedHash, type HashCache } from '../statcache/cache.js';

export type Action =
  /** Remove a worktree entry (recursively for directories). */
  | { op: 'remove'; path: Buffer; kind: WalkEntry['kind'] }
  /** Create a missing directory (final permission bits applied after its children). */
  | { op: 'mkdir'; path: Buffer; perm: number }
  /** Materialize a file or symlink from the snapshot, replacing what is there. */
  | { op: 'put'; path: Buffer; record: HashRecord }
  /** Permission bits only. */
  | { op: 'chmod'; path: Buffer; perm: number; kind: 'dir' | 'file' };

export interface RestorePlan {
  actions: Action[];
  /** Worktree files and symlinks that the plan removes or overwrites (for the safety check). */
  overwritten: Buffer[];
  /** The walk the plan was made from (the whole payload, in and out of scope). */
  walked: WalkEntry[];
  /** Content hashes of worktree files known now (from the stat cache or read), by path key. */
  known: Map<string, string>;
}

const READY = '.READY';

function key(p: Buffer): string {
  return p.toString('latin1');
}

/** Whether the entry with this key is named `.READY`. */
function baseIsReady(k: string): boolean {
  return k === READY || k.endsWith(`/${READY}`);
}

/** Whether `path` is inside the scope (undefined scope = everything). */
export function inScope(path: Buffer, scope: readonly Buffer[] | undefined): boolean {
  if (!scope) return true;
  return scope.some((s) => path.equals(s) || (path.length > s.length && path[s.length] === 0x2f && path.subarray(0, s.length).equals(s)));
}

/** Whether some proper ancestor directory of `path` is in `dirs` (O(depth), keys as latin1). */
export function underAny(path: Buffer, dirs: ReadonlySet<string>): boolean {
  if (dirs.size === 0) return false;
  for (let i = path.indexOf(0x2f); i >= 0; i = path.indexOf(0x2f, i + 1)) {
    if (dirs.has(path.toString('latin1', 0, i))) return true;
  }
  return false;
}

/**
 * Plans the restore of `payload` to the snapshot described by `target` (its manifest records).
 * `.READY` entries below the root are not part of the payload (§4) and are left alone; the
 * root-level `.READY` (a v8.2 leftover) is always removed.
 */
export async function planRestore(
  payload: string,
  target: readonly HashRecord[],
  scope?: readonly Buffer[],
  cache?: HashCache,
  walking: Promise<WalkEntry[]> = getCore().walk(payload),
): Promise<RestorePlan> {
  const current = await walking;
  // Each path's key is made once: these loops run over every entry of the tree.
  const want = new Map<string, HashRecord>();
  for (const r of target) if (inScope(r.path, scope)) want.set(key(r.path), r);
  const have = new Map<string, WalkEntry>();
  const keys: string[] = [];
  for (const e of current) {
    const k = key(e.path);
    keys.push(k);
    if (inScope(e.path, scope)) have.set(k, e);
  }

  const actions: Action[] = [];
  const overwritten: Buffer[] = [];
  const removedDirs = new Set<string>();

  // Entries to drop: not in the snapshot, or of another type.
  for (const [i, e] of current.entries()) {
    const k = keys[i]!;
    if (!have.has(k)) continue;
    if (underAny(e.path, removedDirs)) {
      if (e.kind !== 'dir') overwritten.push(e.path);
      continue;
    }
    if (k !== READY && baseIsReady(k)) continue;
    const r = want.get(k);
    if (!r || r.kind !== e.kind) {
      actions.push({ op: 'remove', path: e.path, kind: e.kind });
      if (e.kind === 'dir') removedDirs.add(k);
      else overwritten.push(e.path);
    }
  }

  // Same type, same size: the content decides — from the stat cache, else read.
  const known = new Map<string, string>();
  const toRead: Buffer[] = [];
  for (const [i, e] of current.entries()) {
    if (e.kind !== 'file') continue;
    const k = keys[i]!;
    const cached = cache ? trustedHash(cache, e, k) : undefined;
    if (cached !== undefined) {
      known.set(k, cached);
      continue;
    }
    const r = want.get(k);
    if (r?.kind === 'file' && r.size === e.size && have.has(k)) toRead.push(e.path);
  }
  for (const r of await getCore().hashPaths(payload, toRead)) known.set(key(r.path), r.hash);

  for (const [k, r] of want) {
    const e = have.get(k);
    const gone = !e || e.kind !== r.kind || underAny(r.path, removedDirs);
    if (r.kind === 'dir') {
      if (gone) actions.push({ op: 'mkdir', path: r.path, perm: r.perm });
      else if ((e.mode & 0o777) !== r.perm) actions.push({ op: 'chmod', path: r.path, perm: r.perm, kind: 'dir' });
      continue;
    }
    if (gone) {
      actions.push({ op: 'put', path: r.path, record: r });
      continue;
    }
    if (r.kind === 'symlink') {
      if (!e.target || !e.target.equals(r.target ?? Buffer.alloc(0))) {
        actions.push({ op: 'put', path: r.path, record: r });
        overwritten.push(r.path);
      }
      continue;
    }
    if (e.size !== r.size || known.get(k) !== r.hash) {
      actions.push({ op: 'put', path: r.path, record: r });
      overwritten.push(r.path);
    } else if ((e.mode & 0o777) !== r.perm) {
      actions.push({ op: 'chmod', path: r.path, perm: r.perm, kind: 'file' });
    }
  }
  return { actions, overwritten, walked: current, known };
}

/**
 * Hashes of the worktree files the plan leaves exactly as they are: known files that it
 * neither removes, overwrites (also below a removed directory) nor chmods.
 */
export function untouchedHashes(plan: RestorePlan): Map<string, string> {
  const touched = new Set([...plan.overwritten, ...plan.actions.map((a) => a.path)].map(key));
  return new Map([...plan.known].filter(([k]) => !touched.has(k)));
}
