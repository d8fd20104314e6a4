/*
 * Names are bytes. Node's string paths cannot address a name that is not valid UTF-8 (two such
 * names decode to the same string, and opening it fails with ENOENT), but every fs function used
 * here also accepts a Buffer path, which reaches the system call unchanged. So the fallback keeps
 * every path as a Buffer from readdir to the last syscall and supports non-UTF-8 names losslessly,
 * like the native side; only error messages show a lossy decoding.
 *
 * Limit: paths are absolute (Node has no openat), so entries whose full path exceeds PATH_MAX
 * (4096 bytes on Linux) fail with ENAMETOOLONG, where the native side walks fd-relatively.
 */
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import type { CommonOptions, EntryKind, WalkEntry } from '../types.js';
import { statIdOf } from '../codec.js';
import { JvsCoreError, ioError } from './errors.js';
import { forEachLimited } from './pool.js';
import { ProgressReporter } from './progress.js';

/** Directories read and entries lstat'ed at once. Metadata calls are cheap; the limit bounds memory. */
const METADATA_IN_FLIGHT = 16;
const SLASH = Buffer.from('/');

/** Builds absolute Buffer paths under a root given as an ordinary string. */
export class TreePaths {
  private readonly prefix: Buffer;

  constructor(readonly root: string) {
    this.prefix = Buffer.from(root.endsWith('/') ? root : `${root}/`);
  }

  /** The absolute path of a relative entry path; the empty path is the root itself. */
  abs(rel: Buffer): Buffer {
    return Buffer.concat([this.prefix, rel]);
  }
}

export function childPath(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? name : Buffer.concat([dir, SLASH, name]);
}

export function baseName(rel: Buffer): Buffer {
  return rel.subarray(rel.lastIndexOf(0x2f) + 1);
}

export function kindOf(st: BigIntStats): EntryKind {
  if (st.isDirectory()) return 'dir';
  if (st.isFile()) return 'file';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  return 'blockdev';
}

/**
 * Checks that root is an existing directory. The root itself is followed if it is a symlink (it
 * is a path the caller chose); nothing under it ever is.
 */
export async function checkRoot(root: string): Promise<BigIntStats> {
  let st: BigIntStats;
  try {
    st = await stat(root, { bigint: true });
  } catch (err) {
    throw ioError(err, 'cannot stat', root);
  }
  if (!st.isDirectory()) {
    throw new JvsCoreError('E_IO', `not a directory: ${root}`, { errno: 'ENOTDIR', path: root });
  }
  return st;
}

export interface WalkOptions extends CommonOptions {
  /** Relative paths to leave out; a directory left out is not descended into. */
  skip?: (rel: Buffer) => boolean;
  /** Shared reporter when the walk is the first phase of a larger operation. */
  progress?: ProgressReporter;
  /** Sees each entry's full lstat result (clone keeps owner and atime, which WalkEntry lacks). */
  onStat?: (entry: WalkEntry, st: BigIntStats) => void;
}

/**
 * Lists every entry under root (root excluded) with lstat data, sorted by path bytes, which puts
 * parents before their children. Directories are read level by level, so a wide tree keeps
 * several metadata calls in flight.
 */
export async function walkTree(root: string, opts: WalkOptions = {}): Promise<WalkEntry[]> {
  const paths = new TreePaths(root);
  await checkRoot(root);
  const progress = opts.progress ?? new ProgressReporter(opts.onProgress, 'walk');
  const entries: WalkEntry[] = [];
  let level: Buffer[] = [Buffer.alloc(0)];
  while (level.length > 0) {
    const children: Buffer[] = [];
    await forEachLimited(level, METADATA_IN_FLIGHT, opts.signal, async (dir) => {
      let names: Buffer[];
      try {
        names = await readdir(paths.abs(dir), { encoding: 'buffer' });
      } catch (err) {
        throw ioError(err, 'cannot read directory', dir.length === 0 ? '.' : dir);
      }
      for (const name of names) {
        const rel = childPath(dir, name);
        if (opts.skip?.(rel) !== true) children.push(rel);
      }
    });
    const found: WalkEntry[] = [];
    await forEachLimited(children, METADATA_IN_FLIGHT, opts.signal, async (rel) => {
      const [entry, st] = await lstatEntry(paths, rel);
      opts.onStat?.(entry, st);
      found.push(entry);
      const state = progress.state;
      state.entriesDone++;
      state.entriesTotal++;
      if (entry.kind === 'file') {
        state.bytesDone += entry.size;
        state.bytesTotal += entry.size;
      }
      progress.tick();
    });
    // Not push(...found): spreading a level of a few hundred thousand entries overflows the stack.
    for (const e of found) entries.push(e);
    level = found.filter((e) => e.kind === 'dir').map((e) => e.path);
  }
  entries.sort((a, b) => Buffer.compare(a.path, b.path));
  if (opts.progress === undefined) progress.finish();
  return entries;
}

async function lstatEntry(paths: TreePaths, rel: Buffer): Promise<[WalkEntry, BigIntStats]> {
  const abs = paths.abs(rel);
  let st: BigIntStats;
  try {
    st = await lstat(abs, { bigint: true });
  } catch (err) {
    throw ioError(err, 'cannot stat', rel);
  }
  const identity = { mode: Number(st.mode), size: Number(st.size), mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, dev: st.dev, ino: st.ino };
  const entry: WalkEntry = { path: rel, kind: kindOf(st), ...identity, nlink: Number(st.nlink), statId: statIdOf(identity) };
  if (entry.kind === 'symlink') {
    try {
      entry.target = await readlink(abs, { encoding: 'buffer' });
    } catch (err) {
      throw ioError(err, 'cannot read symlink', rel);
    }
  }
  return [entry, st];
}
