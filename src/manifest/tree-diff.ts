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

/** Every file and symlink at or below entry `e` (whole subtrees that exist on one side only). */
async function leaves(read: ObjectReader, e: TreeEntry, path: Buffer, out: Leaf[]): Promise<void> {
  if (!isDir(e)) {
    out.push(leafOf(e, path));
    return;
  }
  for (const c of await read.entries(e.hash.toString('hex'))) {
    if (!c.name.equals(READY)) await leaves(read, c, childPath(path, c.name), out);
  }
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

/** The changes from tree `fromRoot` to tree `toRoot` (object ids); throws on a damaged object. */
export async function diffTrees(read: ObjectReader, fromRoot: string, toRoot: string): Promise<TreeChanges> {
  const removed: Leaf[] = [];
  const added: Leaf[] = [];
  const modified: TreeChanges['modified'] = [];

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
      const name = (order <= 0 ? xe : ye)!.name;
      if (name.equals(READY)) continue;
      const path = childPath(prefix, name);
      if (order < 0) await leaves(read, xe!, path, removed);
      else if (order > 0) await leaves(read, ye!, path, added);
      else if (isDir(xe!) && isDir(ye!)) await compare(xe!.hash.toString('hex'), ye!.hash.toString('hex'), path);
      else if (!isDir(xe!) && !isDir(ye!)) {
        // Size too, as compareSides has it: a symlink's lstat size is not in its hash.
        if (xe!.kind !== ye!.kind || xe!.size !== ye!.size || !xe!.hash.equals(ye!.hash)) modified.push({ from: leafOf(xe!, path), to: leafOf(ye!, path) });
      } else {
        await leaves(read, xe!, path, removed);
        await leaves(read, ye!, path, added);
      }
    }
  };
  await compare(fromRoot, toRoot, Buffer.alloc(0));

  return {
    added: added.sort((l, r) => Buffer.compare(l.path, r.path)).map((to) => ({ to })),
    removed: removed.sort((l, r) => Buffer.compare(l.path, r.path)).map((from) => ({ from })),
    modified: modified.sort((l, r) => Buffer.compare(l.to.path, r.to.path)),
  };
}
