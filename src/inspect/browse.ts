/**
 * `jvs ls` and `jvs cat` (CONTRACT §2.15): read-only views of a snapshot's logical tree, from
 * its manifest; `cat` streams the bytes from the snapshot directory.
 */
import { createReadStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';

import { JvsError } from '../errors.js';
import type { HashRecord } from '../native/index.js';
import { openCompressed, resolveLinks, type LinkNode } from '../compress/index.js';
import { resolveInWorktree } from './resolve.js';
import type { Repository } from '../repo/repository.js';
import { checkRelativePath } from '../snapshot/paths.js';
import { snapshotRecords } from '../snapshot/records.js';
import { rawPath } from '../fs/raw-path.js';

export interface LsEntry {
  path: Buffer;
  type: 'dir' | 'file' | 'symlink';
  /** Permission bits. */
  mode: number;
  size: number;
  target?: Buffer;
}


function toEntry(r: HashRecord): LsEntry {
  const e: LsEntry = { path: r.path, type: r.kind, mode: r.perm, size: r.size };
  if (r.kind === 'symlink') e.target = r.target ?? Buffer.alloc(0);
  return e;
}

/** Direct children of `path` (default: the root), or the entry itself when it is not a directory. */
export async function ls(repo: Repository, ref: string, path: string | undefined, worktree?: string): Promise<LsEntry[]> {
  const d = await resolveInWorktree(repo, ref, worktree, 'ls');
  const rel = path === undefined ? '.' : checkRelativePathIn('ls', path);
  const records = await snapshotRecords(repo, d);
  const want = Buffer.from(rel);
  const self = rel === '.' ? undefined : records.find((r) => r.path.equals(want));
  if (rel !== '.' && !self) throw new JvsError('E_NOT_FOUND', `ls: path not found in snapshot ${d.snapshot_id}: ${path}`);
  if (self && self.kind !== 'dir') return [toEntry(self)];
  const prefix = rel === '.' ? Buffer.alloc(0) : Buffer.concat([want, Buffer.from('/')]);
  return records
    .filter((r) => r.path.length > prefix.length && r.path.subarray(0, prefix.length).equals(prefix) && !r.path.subarray(prefix.length).includes(0x2f))
    .map(toEntry)
    .sort((a, b) => Buffer.compare(a.path, b.path));
}

function checkRelativePathIn(context: string, p: string): string {
  try {
    return checkRelativePath(p);
  } catch (e) {
    throw (e as JvsError).withContext(context);
  }
}

/** What the snapshot directory says of an entry, never following a symlink. */
async function diskNode(root: string, rel: Buffer): Promise<LinkNode | undefined> {
  const abs = rawPath(root, rel);
  const st = await lstat(abs).catch(() => undefined);
  if (!st) return undefined;
  if (st.isDirectory()) return { kind: 'dir' };
  if (st.isSymbolicLink()) return { kind: 'symlink', target: await readlink(abs, { encoding: 'buffer' }) };
  return { kind: st.isFile() ? 'file' : 'other' };
}

/** Follows symlinks inside the snapshot only (≤ 40 hops) to a regular file (§2.15). */
async function resolveInside(rel: string, shown: string, id: string, lookup: (p: Buffer) => Promise<LinkNode | undefined> | LinkNode | undefined): Promise<Buffer> {
  const r = await resolveLinks(Buffer.from(rel), lookup);
  if ('path' in r) {
    // A special file is never opened (reading a FIFO would block).
    if (r.node.kind !== 'file') throw new JvsError('E_UNSUPPORTED_FILE', `cat: E_UNSUPPORTED_FILE: unsupported file type: ${shown}`);
    return r.path;
  }
  switch (r.problem) {
    case 'missing':
      throw new JvsError('E_NOT_FOUND', `cat: path not found in snapshot ${id}: ${shown}`);
    case 'dangling':
      throw new JvsError('E_NOT_FOUND', `cat: ${shown}: dangling symlink`);
    case 'directory':
      throw new JvsError('E_USAGE', `cat: ${shown} is a directory`);
    case 'escape':
      throw new JvsError('E_PATH_ESCAPE', `cat: E_PATH_ESCAPE: ${shown} leads outside the snapshot`);
    case 'loop':
      throw new JvsError('E_PATH_ESCAPE', `cat: E_PATH_ESCAPE: too many levels of symbolic links: ${shown}`);
  }
}

/** The bytes of a file in a snapshot, as a stream. */
export async function cat(repo: Repository, ref: string, path: string, worktree?: string): Promise<Readable> {
  const d = await resolveInWorktree(repo, ref, worktree, 'cat');
  const rel = checkRelativePathIn('cat', path);
  if (rel === '.') throw new JvsError('E_USAGE', `cat: ${path} is a directory`);
  const root = repo.layout.snapshotDir(d.snapshot_id);
  if (rel === '.READY') throw new JvsError('E_NOT_FOUND', `cat: path not found in snapshot ${d.snapshot_id}: ${path}`);
  // [compress hook] A compressed snapshot's bytes come from its logical tree (§3.9).
  const logical = d.compression ? await openCompressed(repo.layout, d) : undefined;
  const file = await resolveInside(rel, path, d.snapshot_id, logical ? (p) => logical.node(p) : (p) => diskNode(root, p));
  return logical ? logical.open(file) : createReadStream(rawPath(root, file));
}
