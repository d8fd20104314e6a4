/**
 * Comparing two manifests by their tree objects (issue 4): objects with equal ids are equal
 * subtrees and are skipped without being read, so the work follows what differs, not the size
 * of the tree. Two objects that differ are compared as bytes first: the entries they share
 * before the first and after the last differing byte are stepped over undecoded, so a large
 * directory with one change costs a few memcmp-speed scans, not an allocation per entry.
 *
 * The changes are exactly compareSides' over the full record lists (src/inspect/compare.ts,
 * CONTRACT §2.5): files and symlinks only, anything named `.READY` skipped with everything
 * below it, "modified" = kind (file ↔ symlink), size or content (link target) hash differs;
 * permission-only changes are not reported; each list sorted by path bytes.
 */
import type { ObjectReader } from './store.js';
import { decodeEntry, entriesStart, entryEnd, type TreeEntry } from './tree.js';

/** A file or symlink of a snapshot, as diff compares it. */
export interface Leaf {
  kind: 'file' | 'symlink';
  path: Buffer;
  size: number;
  /** Content hash (files) or target hash (symlinks), hex. */
  hash: string;
  perm: number;
}

/** The three lists of a comparison, each sorted by path bytes (diff and status share the shape). */
export interface ChangeLists<S> {
  added: { to: S }[];
  removed: { from: S }[];
  modified: { from: S; to: S }[];
}

export type TreeChanges = ChangeLists<Leaf>;

const SLASH = Buffer.from('/');
const READY = Buffer.from('.READY');

const isDir = (e: TreeEntry): boolean => e.kind === 'dir' || e.kind === 'unrecorded-dir';

function childPath(prefix: Buffer, name: Buffer): Buffer {
  return prefix.length === 0 ? Buffer.from(name) : Buffer.concat([prefix, SLASH, name]);
}

function leafOf(e: TreeEntry, path: Buffer): Leaf {
  return { kind: e.kind as Leaf['kind'], path, size: e.size, hash: e.hash.toString('hex'), perm: e.perm };
}

const CHUNK = 4096;

/** How many leading bytes `a` and `b` share (native compares a chunk at a time). */
function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i + CHUNK <= n && a.compare(b, i, i + CHUNK, i, i + CHUNK) === 0) i += CHUNK;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** How many trailing bytes `a` and `b` share. */
function commonSuffix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let k = 0;
  while (k + CHUNK <= n && a.compare(b, b.length - k - CHUNK, b.length - k, a.length - k - CHUNK, a.length - k) === 0) k += CHUNK;
  while (k < n && a[a.length - 1 - k] === b[b.length - 1 - k]) k++;
  return k;
}

/**
 * The offset of the first entry that is not the same bytes in both objects: the entries
 * before it lie wholly inside their common prefix, so they parse the same on both sides.
 */
function firstDifferingEntry(a: Buffer, b: Buffer): number {
  const shared = commonPrefix(a, b);
  let off = entriesStart(a);
  entriesStart(b);
  for (let end; off < a.length && (end = entryEnd(a, off)) <= shared; ) off = end;
  return off;
}

/** An object's entries from an offset on, decoded one at a time. */
class EntryCursor {
  entry: TreeEntry | undefined;
  private end = 0;

  constructor(
    private readonly buf: Buffer,
    private off: number,
  ) {
    this.load();
  }

  /** Bytes from the current entry to the end of the object. */
  get rest(): number {
    return this.buf.length - this.off;
  }

  advance(): void {
    this.off = this.end;
    this.load();
  }

  private load(): void {
    if (this.off >= this.buf.length) {
      this.entry = undefined;
      return;
    }
    ({ entry: this.entry, end: this.end } = decodeEntry(this.buf, this.off));
  }
}

/** A path whose entry differs between two trees (directories included): absent sides are undefined. */
export interface EntryChange {
  path: Buffer;
  from?: TreeEntry;
  to?: TreeEntry;
}

/** Whether two entries of the same path are the same record (a directory's hash is its object id). */
const sameEntry = (x: TreeEntry, y: TreeEntry): boolean => x.kind === y.kind && x.perm === y.perm && x.size === y.size && x.hash.equals(y.hash);

/**
 * Every path whose entry differs from tree `fromRoot` to tree `toRoot` (object ids): kind,
 * permission bits, size or hash — a directory whose subtree changed but whose own entry did
 * not is descended into, not listed. A subtree on one side only is listed entry by entry.
 * Sorted by path bytes; throws on a damaged object. This is what a restore must change.
 */
export async function diffEntries(read: ObjectReader, fromRoot: string, toRoot: string): Promise<EntryChange[]> {
  const out: EntryChange[] = [];
  /** `e` and everything below it, on one side. */
  const subtree = async (e: TreeEntry, path: Buffer, side: 'from' | 'to'): Promise<void> => {
    out.push({ path, [side]: e });
    if (isDir(e)) for (const c of await read.entries(e.hash.toString('hex'))) await subtree(c, childPath(path, c.name), side);
  };

  const compare = async (from: string, to: string, prefix: Buffer): Promise<void> => {
    if (from === to) return;
    const [a, b] = await Promise.all([read.bytes(from), read.bytes(to)]);
    const start = firstDifferingEntry(a, b);
    const x = new EntryCursor(a, start);
    const y = new EntryCursor(b, start);
    const suffix = commonSuffix(a, b);
    // Both cursors stand at entry starts; once what remains of each is the same trailing
    // bytes, the remaining entries are the same too. Until then, merge by name (entries are
    // sorted by name bytes, tree.ts encodeTree).
    while (x.rest !== y.rest || x.rest > suffix) {
      const xe = x.entry;
      const ye = y.entry;
      const order = xe === undefined ? 1 : ye === undefined ? -1 : Buffer.compare(xe.name, ye.name);
      if (order <= 0) x.advance();
      if (order >= 0) y.advance();
      const path = childPath(prefix, (order <= 0 ? xe : ye)!.name);
      if (order < 0) await subtree(xe!, path, 'from');
      else if (order > 0) await subtree(ye!, path, 'to');
      else if (isDir(xe!) && isDir(ye!)) {
        if (xe!.kind !== ye!.kind || xe!.perm !== ye!.perm) out.push({ path, from: xe!, to: ye! });
        await compare(xe!.hash.toString('hex'), ye!.hash.toString('hex'), path);
      } else if (isDir(xe!) || isDir(ye!)) {
        out.push({ path, from: xe!, to: ye! });
        const dir = isDir(xe!) ? xe! : ye!;
        const side = isDir(xe!) ? 'from' : 'to';
        for (const c of await read.entries(dir.hash.toString('hex'))) await subtree(c, childPath(path, c.name), side);
      } else if (!sameEntry(xe!, ye!)) out.push({ path, from: xe!, to: ye! });
    }
  };
  await compare(fromRoot, toRoot, Buffer.alloc(0));
  return out.sort((l, r) => Buffer.compare(l.path, r.path));
}

/** Whether any component of the path is `.READY` (diff and status skip all of it). */
export function underReady(path: Buffer): boolean {
  // Most paths hold no `.READY` at all: one native search settles them.
  if (path.indexOf(READY) < 0) return false;
  let start = 0;
  for (;;) {
    const end = path.indexOf(0x2f, start);
    const part = path.subarray(start, end < 0 ? path.length : end);
    if (part.equals(READY)) return true;
    if (end < 0) return false;
    start = end + 1;
  }
}

/**
 * Whether two sides of a path differ as diff and status count it: type, size (a symlink's lstat
 * size is not in its hash) or content; permission bits do not count. A side without a hash
 * (a worktree file not read) differs from one with.
 */
export function leavesDiffer(f: Pick<Leaf, 'kind' | 'size'> & { hash?: string }, t: Pick<Leaf, 'kind' | 'size'> & { hash?: string }): boolean {
  return f.kind !== t.kind || f.size !== t.size || f.hash !== t.hash;
}

/** The changes from tree `fromRoot` to tree `toRoot` (object ids) as diff reports them; throws on a damaged object. */
export async function diffTrees(read: ObjectReader, fromRoot: string, toRoot: string): Promise<TreeChanges> {
  const removed: TreeChanges['removed'] = [];
  const added: TreeChanges['added'] = [];
  const modified: TreeChanges['modified'] = [];
  for (const c of await diffEntries(read, fromRoot, toRoot)) {
    if (underReady(c.path)) continue;
    const f = c.from && !isDir(c.from) ? leafOf(c.from, c.path) : undefined;
    const t = c.to && !isDir(c.to) ? leafOf(c.to, c.path) : undefined;
    if (f && t) {
      if (leavesDiffer(f, t)) modified.push({ from: f, to: t });
    } else if (f) removed.push({ from: f });
    else if (t) added.push({ to: t });
  }
  return { added, removed, modified };
}
