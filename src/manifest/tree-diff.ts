/**
 * Comparing two manifests by their tree objects (issue 4): objects with equal ids are equal
 * subtrees and are skipped without being read, so the work follows what differs, not the size
 * of the tree. The changes follow `diff`'s rules (CONTRACT §2.5): files and symlinks only,
 * anything named `.READY` skipped with everything below it, "modified" = content (or link
 * target) hash differs, or file ↔ symlink; permission-only changes are not reported.
 */
import type { ObjectReader } from './store.js';
import type { TreeEntry } from './tree.js';

/** A file or symlink of a snapshot, as diff compares it. */
export interface Leaf {
  kind: 'file' | 'symlink';
  path: Buffer;
  size: number;
  /** Content hash (files) or target hash (symlinks), hex. */
  hash: string;
  perm: number;
}

/** The three lists, each sorted by path bytes. */
export interface TreeChanges {
  added: { to: Leaf }[];
  removed: { from: Leaf }[];
  modified: { from: Leaf; to: Leaf }[];
}

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
  for (const c of await read(e.hash.toString('hex'))) {
    if (!c.name.equals(READY)) await leaves(read, c, childPath(path, c.name), out);
  }
}

/** The changes from tree `fromRoot` to tree `toRoot` (object ids); throws on a damaged object. */
export async function diffTrees(read: ObjectReader, fromRoot: string, toRoot: string): Promise<TreeChanges> {
  const removed: Leaf[] = [];
  const added: Leaf[] = [];
  const modified: TreeChanges['modified'] = [];

  const compare = async (from: string, to: string, prefix: Buffer): Promise<void> => {
    if (from === to) return;
    const [a, b] = await Promise.all([read(from), read(to)]);
    // Both lists are sorted by name bytes (tree.ts encodeTree): merge them.
    for (let i = 0, j = 0; i < a.length || j < b.length; ) {
      const x = a[i];
      const y = b[j];
      const order = x === undefined ? 1 : y === undefined ? -1 : Buffer.compare(x.name, y.name);
      const name = (order <= 0 ? x : y)!.name;
      if (order <= 0) i++;
      if (order >= 0) j++;
      if (name.equals(READY)) continue;
      const path = childPath(prefix, name);
      if (order < 0) await leaves(read, x!, path, removed);
      else if (order > 0) await leaves(read, y!, path, added);
      else if (isDir(x!) && isDir(y!)) await compare(x!.hash.toString('hex'), y!.hash.toString('hex'), path);
      else if (!isDir(x!) && !isDir(y!)) {
        // Size too, as compareSides has it: a symlink's lstat size is not in its hash.
        if (x!.kind !== y!.kind || x!.size !== y!.size || !x!.hash.equals(y!.hash)) modified.push({ from: leafOf(x!, path), to: leafOf(y!, path) });
      } else {
        await leaves(read, x!, path, removed);
        await leaves(read, y!, path, added);
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
