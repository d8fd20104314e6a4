/**
 * The comparison `diff` and `status` share (CONTRACT §2.5, §2.14): regular files and symlinks
 * only (directories and special files ignored), entries named `.READY` at any depth skipped
 * with everything below them, keyed by path bytes; "modified" = content hash (a symlink's:
 * of its target) differs, or file ↔ symlink. Permission-only changes are not reported.
 */
import { getCore, type HashRecord } from '../native/index.js';
import { leavesDiffer, underReady, type ChangeLists, type Leaf } from '../manifest/tree-diff.js';

export { leavesDiffer, underReady };

/** A file or symlink as diff and status compare it; a worktree file's hash is missing until needed. */
export type Side = Omit<Leaf, 'hash'> & { hash?: string };

export type Changes = ChangeLists<Side>;

/** Files and symlinks of a snapshot's records, keyed by raw path. */
export function sidesOfRecords(records: readonly HashRecord[]): Map<string, Side> {
  const out = new Map<string, Side>();
  for (const r of records) {
    if (r.kind === 'dir' || underReady(r.path)) continue;
    out.set(r.path.toString('latin1'), { kind: r.kind, path: r.path, size: r.size, hash: r.hash, perm: r.perm });
  }
  return out;
}

/**
 * Files and symlinks of a worktree (diff against the worktree). Files are read only where a
 * `base` entry of the same kind and size exists (anything else differs, or is new, without
 * reading it).
 */
export async function sidesOfWorktree(payload: string, base: ReadonlyMap<string, Side>): Promise<Map<string, Side>> {
  const sides = new Map<string, Side>();
  const toHash: Buffer[] = [];
  for (const e of await getCore().walk(payload)) {
    if ((e.kind !== 'file' && e.kind !== 'symlink') || underReady(e.path)) continue;
    const key = e.path.toString('latin1');
    sides.set(key, { kind: e.kind, path: e.path, size: e.size, perm: e.mode & 0o777 });
    const b = base.get(key);
    if (b && b.kind === e.kind && b.size === e.size) toHash.push(e.path);
  }
  for (const r of await getCore().hashPaths(payload, toHash)) {
    const s = sides.get(r.path.toString('latin1'));
    if (s) s.hash = r.hash;
  }
  return sides;
}

/** The three lists, each sorted by path bytes. */
export function compareSides(from: ReadonlyMap<string, Side>, to: ReadonlyMap<string, Side>): Changes {
  const byPath = <T extends object>(get: (x: T) => Buffer) => (a: T, b: T) => Buffer.compare(get(a), get(b));
  const added: Changes['added'] = [];
  const removed: Changes['removed'] = [];
  const modified: Changes['modified'] = [];
  for (const [k, t] of to) {
    const f = from.get(k);
    if (!f) added.push({ to: t });
    else if (leavesDiffer(f, t)) modified.push({ from: f, to: t });
  }
  for (const [k, f] of from) if (!to.has(k)) removed.push({ from: f });
  added.sort(byPath((x) => x.to.path));
  removed.sort(byPath((x) => x.from.path));
  modified.sort(byPath((x) => x.to.path));
  return { added, removed, modified };
}
