/* The worktree scan against an index: the twin of jvs-core's scan.rs (same rules, same order). */
import { createHash } from 'node:crypto';
import { lstat, stat } from 'node:fs/promises';

import { INDEX_STAT_OFFSET, decodeIndex, encodeIndex, statIdOf } from '../codec.js';
import { assembleRecords } from '../records.js';
import type { CommonOptions, IndexedTree, IndexEntry, IndexSummary, ScanDifference, ScanOptions, Vouched, WalkEntry } from '../types.js';
import { JvsCoreError } from './errors.js';
import { hashPaths, hashTree } from './hash.js';
import { TreePaths, baseName, walkTree } from './walk.js';

const READY = Buffer.from('.READY');

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The identity the index remembered, of an entry of its kind, not racily clean (any kind). */
function trusted(w: WalkEntry, x: IndexEntry, trustBeforeNs: bigint, ignoreDev: boolean): boolean {
  // The device is characters 28..36 of an identity.
  const same = ignoreDev ? x.statId !== undefined && x.statId.slice(0, 28) === w.statId.slice(0, 28) && x.statId.slice(36) === w.statId.slice(36) : x.statId === w.statId;
  return w.kind === x.kind && same && w.mtimeNs < trustBeforeNs && w.ctimeNs < trustBeforeNs;
}

/** The index's entries; malformed or unsorted → E_IO, as the native decoder refuses it. */
function readIndex(index: Buffer): Array<IndexEntry & { at: number }> {
  let xs: Array<IndexEntry & { at: number }>;
  try {
    xs = [...decodeIndex(index)];
  } catch {
    throw new JvsCoreError('E_IO', 'malformed worktree index');
  }
  for (let i = 1; i < xs.length; i++) {
    if (Buffer.compare(xs[i - 1]!.path, xs[i]!.path) >= 0) throw new JvsCoreError('E_IO', 'malformed worktree index');
  }
  return xs;
}

export async function summarizeIndex(index: Buffer | readonly Buffer[]): Promise<IndexSummary> {
  const xs = readIndex(Buffer.isBuffer(index) ? index : Buffer.concat(index));
  const count = (k: IndexEntry['kind']): number => xs.filter((x) => x.kind === k).length;
  const rootHash = assembleRecords(xs.map(({ at: _at, statId: _s, ...r }) => r)).rootHash;
  return { rootHash, dirs: count('dir'), files: count('file'), symlinks: count('symlink') };
}

function blank(at: number | undefined, entry: WalkEntry | undefined, foreign = false): ScanDifference {
  return { ...(at !== undefined ? { at } : {}), ...(entry ? { entry } : {}), same: false, stable: false, foreign };
}

export async function scanWorktree(root: string, index: Buffer, trustBeforeNs: bigint, opts: ScanOptions = {}): Promise<ScanDifference[]> {
  const dev = (await stat(root, { bigint: true })).dev;
  const walked = await walkTree(root, { onProgress: opts.onProgress, signal: opts.signal });
  const xs = readIndex(index);
  const out: ScanDifference[] = [];
  const toRead: Array<{ d: ScanDifference; x: IndexEntry }> = [];
  let j = 0;
  for (const w of walked) {
    if (baseName(w.path).equals(READY)) continue;
    while (j < xs.length && Buffer.compare(xs[j]!.path, w.path) < 0) out.push(blank(xs[j++]!.at, undefined));
    const x = xs[j];
    const perm = w.mode & 0o777;
    const foreign = w.dev !== dev;
    if (!x || !x.path.equals(w.path)) {
      out.push({ ...blank(undefined, w, foreign), ...(w.target ? { hash: sha256(w.target) } : {}) });
      continue;
    }
    j++;
    // Equal without reading: listed as `same` (always when foreign, for a caller that must
    // know of other devices; else only when not trusted, so its identity may be remembered).
    const equal = (hash: string | undefined, why: boolean): ScanDifference => ({ ...blank(x.at, w, why), same: true, stable: true, ...(hash !== undefined ? { hash } : {}) });
    if (trusted(w, x, trustBeforeNs, opts.ignoreDev === true)) {
      if (foreign) out.push(equal(w.kind === 'dir' ? undefined : x.hash, true));
    } else if (w.kind === 'dir' && x.kind === 'dir' && perm === x.perm) {
      out.push(equal(undefined, foreign));
    } else if (w.kind === 'symlink') {
      const hash = sha256(w.target ?? Buffer.alloc(0));
      if (!(x.kind === 'symlink' && hash === x.hash && perm === x.perm)) out.push({ ...blank(x.at, w, foreign), hash });
      else out.push(equal(hash, foreign));
    } else if (w.kind === 'file' && x.kind === 'file' && w.size === x.size && opts.read !== false) {
      const d = blank(x.at, w, foreign);
      toRead.push({ d, x });
      out.push(d);
    } else out.push(blank(x.at, w, foreign));
  }
  for (; j < xs.length; j++) out.push(blank(xs[j]!.at, undefined));

  const records = await hashPaths(root, toRead.map((t) => t.d.entry!.path), opts);
  const paths = new TreePaths(root);
  await Promise.all(
    toRead.map(async ({ d, x }, i) => {
      const r = records[i]!;
      const w = d.entry!;
      d.hash = r.hash;
      d.same = r.hash === x.hash && r.size === x.size && (w.mode & 0o777) === x.perm;
      if (!d.same) return;
      // The identity may be remembered only if nothing touched the file while it was read.
      const now = await lstat(paths.abs(w.path), { bigint: true }).catch(() => undefined);
      d.stable = now !== undefined && statIdOf({ ...now, size: Number(now.size), mode: Number(now.mode) }) === w.statId;
    }),
  );
  return out;
}

/** NativeCore.hashTreeIndex: the whole-tree hash, its records packed as an index. */
export async function hashTreeIndex(root: string, opts: CommonOptions = {}): Promise<IndexedTree> {
  const hashed = await hashTree(root, { ...opts, records: true });
  const records = [...(hashed.records ?? [])].sort((a, b) => Buffer.compare(a.path, b.path));
  const index = encodeIndex(records.map(({ kind, path, perm, size, hash }) => ({ kind, path, perm, size, hash })));
  return { ...(await summarizeIndex(index)), bytes: hashed.bytes, index };
}

/** NativeCore.vouchIndex, as the core's `scan::vouch`. */
export async function vouchIndex(root: string, index: Buffer, beforeNs: bigint, opts: CommonOptions = {}): Promise<Vouched> {
  const dev = (await stat(root, { bigint: true })).dev;
  const walked = await walkTree(root, { signal: opts.signal });
  const xs = readIndex(index);
  let vouched = 0;
  let foreign: Buffer | undefined;
  let j = 0;
  for (const w of walked) {
    if (w.dev !== dev) foreign ??= w.path;
    while (j < xs.length && Buffer.compare(xs[j]!.path, w.path) < 0) j++;
    const x = xs[j];
    if (!x || !x.path.equals(w.path)) continue;
    j++;
    const sameKind = w.kind === x.kind && (w.kind !== 'file' || w.size === x.size) && (w.kind !== 'symlink' || sha256(w.target ?? Buffer.alloc(0)) === x.hash);
    if (sameKind && (w.mode & 0o777) === x.perm && w.mtimeNs < beforeNs && w.ctimeNs < beforeNs) {
      index.write(w.statId, x.at + INDEX_STAT_OFFSET, 'latin1');
      vouched++;
    }
  }
  return { vouched, ...(foreign ? { foreign } : {}) };
}
