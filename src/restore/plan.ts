/**
 * What a restore must change (CONTRACT §5.3 properties 2–4): the worktree within the scope is
 * compared entry by entry with the snapshot's records; only entries whose type, content, link
 * target or permission bits differ are touched. Content costs what changed (issue 4): a file
 * the worktree's stat cache vouches for is not read, a file of another size differs without
 * reading, and only the rest is hashed.
 */
import { getCore, type HashRecord, type WalkEntry } from '../native/index.js';
import { pathKey, trustedHash, type StatCache } from '../statcache/cache.js';

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

function baseIsReady(p: Buffer): boolean {
  const s = key(p);
  return s === READY || s.endsWith(`/${READY}`);
}

/** Whether `path` is inside the scope (undefined scope = everything). */
export function inScope(path: Buffer, scope: readonly Buffer[] | undefined): boolean {
  if (!scope) return true;
  return scope.some((s) => path.equals(s) || (path.length > s.length && path[s.length] === 0x2f && path.subarray(0, s.length).equals(s)));
}

/** Whether some proper ancestor directory of `path` is in `dirs` (O(depth), keys as latin1). */
function underAny(path: Buffer, dirs: ReadonlySet<string>): boolean {
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
export async function planRestore(payload: string, target: readonly HashRecord[], scope?: readonly Buffer[], cache?: StatCache): Promise<RestorePlan> {
  const current = await getCore().walk(payload);
  const want = new Map<string, HashRecord>();
  for (const r of target) if (inScope(r.path, scope)) want.set(key(r.path), r);
  const have = new Map<string, WalkEntry>();
  for (const e of current) if (inScope(e.path, scope)) have.set(key(e.path), e);

  const actions: Action[] = [];
  const overwritten: Buffer[] = [];
  const removedDirs = new Set<string>();
  const remove = (e: WalkEntry): void => {
    actions.push({ op: 'remove', path: e.path, kind: e.kind });
    if (e.kind === 'dir') removedDirs.add(key(e.path));
  };

  // Entries to drop: not in the snapshot, or of another type.
  for (const e of current) {
    if (!have.has(key(e.path))) continue;
    if (underAny(e.path, removedDirs)) {
      if (e.kind !== 'dir') overwritten.push(e.path);
      continue;
    }
    const isRootReady = key(e.path) === READY;
    if (baseIsReady(e.path) && !isRootReady) continue;
    const r = want.get(key(e.path));
    if (!r || r.kind !== e.kind) {
      remove(e);
      if (e.kind !== 'dir') overwritten.push(e.path);
    }
  }

  // Same type, same size: the content decides — from the stat cache, else read.
  const known = new Map<string, string>();
  const toRead: Buffer[] = [];
  for (const e of current) {
    if (e.kind !== 'file') continue;
    const cached = cache ? trustedHash(cache, e) : undefined;
    if (cached !== undefined) {
      known.set(pathKey(e.path), cached);
      continue;
    }
    const r = want.get(key(e.path));
    if (r?.kind === 'file' && r.size === e.size && have.has(key(e.path))) toRead.push(e.path);
  }
  for (const r of await getCore().hashPaths(payload, toRead)) known.set(key(r.path), r.hash);

  for (const r of target) {
    if (!want.has(key(r.path))) continue;
    const e = have.get(key(r.path));
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
    if (e.size !== r.size || known.get(key(r.path)) !== r.hash) {
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
