/**
 * Manifest trees: a snapshot's payload-hash records (CONTRACT §4) stored as content-addressed
 * per-directory objects, as git stores trees. An unchanged directory encodes to the same bytes
 * in every snapshot, so it is stored once; a snapshot adds objects only for the directories on
 * the path to what changed, and a diff descends only where object ids differ.
 *
 * Object bytes: the magic `JVST1\n`, then one entry per child in name-byte order:
 *   kind u8 (0 dir, 1 file, 2 symlink, 3 directory without a record of its own — a directory
 *   named `.READY`, whose children are still hashed), perm u16, size u64, name_len u32, name,
 *   hash[32] (file: content SHA-256; symlink: SHA-256 of the target; dir: the child object's
 *   id), and for symlinks target_len u32 + target bytes. Integers little-endian.
 * An object's id is the SHA-256 of its bytes.
 */
import { createHash } from 'node:crypto';

import type { HashRecord } from '../native/index.js';

export type EntryKind = 'dir' | 'file' | 'symlink' | 'unrecorded-dir';

export interface TreeEntry {
  name: Buffer;
  kind: EntryKind;
  perm: number;
  size: number;
  /** 32 bytes: content hash (file), target hash (symlink), child object id (dirs). */
  hash: Buffer;
  target?: Buffer;
}

const MAGIC = Buffer.from('JVST1\n');
const KIND_CODE: Record<EntryKind, number> = { dir: 0, file: 1, symlink: 2, 'unrecorded-dir': 3 };
const CODE_KIND: EntryKind[] = ['dir', 'file', 'symlink', 'unrecorded-dir'];

export function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  const parts: Buffer[] = [MAGIC];
  for (const e of entries) {
    const head = Buffer.alloc(1 + 2 + 8 + 4);
    head.writeUInt8(KIND_CODE[e.kind], 0);
    head.writeUInt16LE(e.perm, 1);
    head.writeBigUInt64LE(BigInt(e.size), 3);
    head.writeUInt32LE(e.name.length, 11);
    parts.push(head, e.name, e.hash);
    if (e.kind === 'symlink') {
      const t = e.target ?? Buffer.alloc(0);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(t.length, 0);
      parts.push(len, t);
    }
  }
  return Buffer.concat(parts);
}

/** Where an object's first entry starts; throws unless `buf` begins as an object does. */
export function entriesStart(buf: Buffer): number {
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('manifest object: bad magic');
  return MAGIC.length;
}

function truncated(): never {
  throw new Error('manifest object: truncated');
}

/**
 * Where the entry starting at `off` ends, reading only its lengths (so a caller can step over
 * entries without decoding them); throws when it runs past the object. Kept free of closures
 * and lookups: a diff steps over up to a whole directory's entries with it.
 */
export function entryEnd(buf: Buffer, off: number): number {
  if (off + 15 > buf.length) truncated();
  const code = buf[off]!;
  if (code >= CODE_KIND.length) throw new Error('manifest object: bad kind');
  let end = off + 15 + buf.readUInt32LE(off + 11) + 32;
  if (code === KIND_CODE.symlink) {
    if (end + 4 > buf.length) truncated();
    end += 4 + buf.readUInt32LE(end);
  }
  if (end > buf.length) truncated();
  return end;
}

/** The entry starting at `off`, its name, hash and target views of `buf`, and where it ends. */
export function decodeEntry(buf: Buffer, off: number): { entry: TreeEntry; end: number } {
  const end = entryEnd(buf, off);
  const kind = CODE_KIND[buf.readUInt8(off)]!;
  const nameStart = off + 15;
  const hashStart = nameStart + buf.readUInt32LE(off + 11);
  const entry: TreeEntry = {
    name: buf.subarray(nameStart, hashStart),
    kind,
    perm: buf.readUInt16LE(off + 1),
    size: Number(buf.readBigUInt64LE(off + 3)),
    hash: buf.subarray(hashStart, hashStart + 32),
  };
  if (kind === 'symlink') entry.target = buf.subarray(hashStart + 36, end);
  return { entry, end };
}

/** Decodes an object; throws on any malformation (callers treat the manifest as absent). */
export function decodeTree(buf: Buffer): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (let off = entriesStart(buf); off < buf.length; ) {
    const { entry, end } = decodeEntry(buf, off);
    out.push(entry);
    off = end;
  }
  return out;
}

const SLASH = 0x2f;
const SLASH_BYTE = Buffer.from([SLASH]);

function parentAndName(path: Buffer): [string, Buffer] {
  const i = path.lastIndexOf(SLASH);
  // Directory keys are latin1 strings: a lossless 1:1 image of the bytes, usable as Map keys.
  return i < 0 ? ['', path] : [path.subarray(0, i).toString('latin1'), path.subarray(i + 1)];
}

/** One object to store, with its id. */
export interface TreeObject {
  id: string;
  bytes: Buffer;
}

/**
 * Builds the tree objects of a snapshot from its hash records (any order). Returns the root
 * object id and every object, children before parents.
 */
export function buildTrees(records: readonly HashRecord[]): { root: string; objects: TreeObject[] } {
  const builder = new TreeBuilder();
  const objects: TreeObject[] = [];
  for (const r of [...records].sort((a, b) => Buffer.compare(a.path, b.path))) {
    objects.push(...builder.add({ kind: r.kind, path: r.path, perm: r.perm, size: r.size, hash: Buffer.from(r.hash, 'hex'), ...(r.target ? { target: r.target } : {}) }));
  }
  const { root, objects: last } = builder.finish();
  objects.push(...last);
  return { root, objects };
}

/** A record as the builder takes it: the hash as bytes; a symlink's target. */
export interface BuilderRecord {
  kind: HashRecord['kind'];
  path: Buffer;
  perm: number;
  size: number;
  hash: Buffer;
  target?: Buffer;
}

interface OpenDir {
  path: Buffer;
  entries: TreeEntry[];
  perm: number;
  /** False for an ancestor without a record: a `.READY` directory (§4 skips its own record). */
  recorded: boolean;
}

/**
 * Builds tree objects from records given in path order, handing each directory's object out
 * as soon as nothing more can come into it, so only the directories still open are held —
 * the ancestors of the current path, and a directory whose subtree has not begun because
 * siblings whose names extend its own with a byte below `/` come first (`a-b` and `a.c`
 * before `a/x`). A directory is complete once the records pass every path under it.
 */
export class TreeBuilder {
  private readonly open = new Map<string, OpenDir>([['', { path: Buffer.alloc(0), entries: [], perm: 0, recorded: true }]]);
  private lastParent = '';

  /** Adds the next record (paths strictly increasing); returns the objects it completed. */
  add(r: BuilderRecord): TreeObject[] {
    const [parent, name] = parentAndName(r.path);
    // Directories complete only when the records leave one: look when the parent changes.
    const done = parent === this.lastParent ? [] : this.closeBefore(r.path);
    this.lastParent = parent;
    const dir = this.ensureOpen(parent);
    if (r.kind === 'dir') {
      // Never open yet: a directory's record precedes its children's in path order.
      this.open.set(r.path.toString('latin1'), { path: r.path, entries: [], perm: r.perm, recorded: true });
    } else {
      const entry: TreeEntry = { name, kind: r.kind, perm: r.perm, size: r.size, hash: r.hash };
      if (r.kind === 'symlink') entry.target = r.target ?? Buffer.alloc(0);
      dir.entries.push(entry);
    }
    return done;
  }

  /** Completes every directory; returns the root object's id and the last objects. */
  finish(): { root: string; objects: TreeObject[] } {
    const objects = this.close([...this.open.keys()].filter((k) => k !== ''));
    const root = this.encode(this.open.get('')!);
    objects.push(root);
    return { root: root.id, objects };
  }

  private ensureOpen(key: string): OpenDir {
    const dir = this.open.get(key);
    if (dir) return dir;
    // Not seen as a record: a `.READY` directory, opened by its first child.
    this.ensureOpen(parentAndName(Buffer.from(key, 'latin1'))[0]);
    const made: OpenDir = { path: Buffer.from(key, 'latin1'), entries: [], perm: 0, recorded: false };
    this.open.set(key, made);
    return made;
  }

  /** Closes the open directories whose subtrees end before `path`. */
  private closeBefore(path: Buffer): TreeObject[] {
    const ended = [...this.open.entries()].filter(([key, d]) => {
      if (key === '') return false;
      const below = Buffer.concat([d.path, SLASH_BYTE]);
      return !path.subarray(0, below.length).equals(below) && Buffer.compare(path, below) > 0;
    });
    return this.close(ended.map(([key]) => key));
  }

  /** Closes `keys`, deepest first, so that each child's id is in its parent when that closes. */
  private close(keys: string[]): TreeObject[] {
    return keys
      .sort((a, b) => depth(b) - depth(a))
      .map((key) => {
        const d = this.open.get(key)!;
        this.open.delete(key);
        const o = this.encode(d);
        const [parent, name] = parentAndName(d.path);
        this.ensureOpen(parent).entries.push({ name, kind: d.recorded ? 'dir' : 'unrecorded-dir', perm: d.perm, size: 0, hash: Buffer.from(o.id, 'hex') });
        return o;
      });
  }

  private encode(d: OpenDir): TreeObject {
    const bytes = encodeTree(d.entries.sort((a, b) => Buffer.compare(a.name, b.name)));
    return { id: sha256(bytes).toString('hex'), bytes };
  }
}

function depth(key: string): number {
  if (key === '') return 0;
  let n = 1;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === SLASH) n++;
  return n;
}

/** One path of a patch: its new record, or none to remove the entry (and all below it). */
export interface TreeEdit {
  path: Buffer;
  record?: HashRecord;
}

interface EditNode {
  /** Set when the path itself is edited. */
  edit?: TreeEdit;
  children: Map<string, EditNode>;
}

/**
 * The tree objects of the snapshot that differs from the one rooted at `root` by `edits`
 * (sorted or not; each path once; a removed or replaced directory needs no edits below it,
 * an added one has an edit for everything below it). Only the objects on the paths to the
 * edits are decoded and encoded again, so the work follows what changed; the result is the
 * object set `buildTrees` makes of the patched records. `entries` reads an object by id.
 */
export async function patchTrees(entries: (id: string) => Promise<TreeEntry[]>, root: string, edits: readonly TreeEdit[]): Promise<{ root: string; objects: TreeObject[] }> {
  const top: EditNode = { children: new Map() };
  for (const edit of edits) {
    let node = top;
    const names = edit.path.toString('latin1').split('/');
    for (const name of names) {
      let next = node.children.get(name);
      if (!next) node.children.set(name, (next = { children: new Map() }));
      node = next;
    }
    node.edit = edit;
  }
  const objects: TreeObject[] = [];
  const isDir = (e: TreeEntry | undefined): boolean => e?.kind === 'dir' || e?.kind === 'unrecorded-dir';
  const rebuild = async (id: string | undefined, node: EditNode): Promise<Buffer> => {
    const byName = new Map((id ? await entries(id) : []).map((e) => [e.name.toString('latin1'), e]));
    for (const [name, child] of node.children) {
      const old = byName.get(name);
      const r = child.edit ? child.edit.record : undefined;
      if (child.edit && !r) {
        byName.delete(name);
        continue;
      }
      const nameBuf = Buffer.from(name, 'latin1');
      if (r && r.kind !== 'dir') {
        const leaf: TreeEntry = { name: nameBuf, kind: r.kind, perm: r.perm, size: r.size, hash: Buffer.from(r.hash, 'hex') };
        if (r.kind === 'symlink') leaf.target = r.target ?? Buffer.alloc(0);
        byName.set(name, leaf);
        continue;
      }
      // A directory: its own record (edited), or the old entry with edits below it. A parent
      // without a record of its own is a `.READY` directory, as buildTrees has it.
      const base = isDir(old) ? old!.hash.toString('hex') : undefined;
      const hash = await rebuild(base, child);
      const own = r ? { kind: 'dir' as const, perm: r.perm } : isDir(old) ? { kind: old!.kind, perm: old!.perm } : { kind: 'unrecorded-dir' as const, perm: 0 };
      byName.set(name, { name: nameBuf, ...own, size: 0, hash });
    }
    const list = [...byName.values()].sort((a, b) => Buffer.compare(a.name, b.name));
    const bytes = encodeTree(list);
    const objId = sha256(bytes);
    objects.push({ id: objId.toString('hex'), bytes });
    return objId;
  };
  const rootId = await rebuild(root, top);
  return { root: rootId.toString('hex'), objects };
}
