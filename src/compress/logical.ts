/**
 * The logical tree of a compressed snapshot (CONTRACT §3.9), for both layouts: what the
 * snapshot holds once decompressed. Restore, fork/create --from, ls/cat/diff and verify query
 * it; nothing is ever decompressed into the snapshot directory.
 *
 * - Ours (root `.READY` plain): each regular `X.gz` is the file `X` with the stored mode and
 *   mtime; symlinks and directories as stored. Opening reads no content.
 * - v8.2 (root `.READY.gz`): every `.READY.gz` is ignored; a regular `X.gz` that gunzips is the
 *   file `X` (type and mode from its relatives, recover.ts), one that does not is `X.gz` as is;
 *   everything else as stored. Opening reads every compressed file once.
 *
 * A logical name that a stored entry already has keeps the stored form (`X.gz` as is): only a
 * damaged or hand-made tree has both.
 */
import { constants, createReadStream } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, rm, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { JvsError } from '../errors.js';
import type { Descriptor } from '../formats/descriptor.js';
import { READY } from '../formats/markers.js';
import { assembleRecords, getCore, type HashRecord, type WalkEntry } from '../native/index.js';
import type { RepoLayout } from '../repo/layout.js';
import { baseName, hasRecord, key, recordOf, stripGz, type LogicalEntry } from './entry.js';
import { gunzipDigest, gunzipFile, gunzipStream, setMtime } from './gzip.js';
import type { LinkNode } from './links.js';
import { eachLimited } from './pool.js';
import { recoverFromRelatives, type Candidate } from './recover.js';

export type CompressedLayout = 'jvs' | 'v8.2';

const READY_BYTES = Buffer.from(READY);
const READY_GZ = Buffer.from(`${READY}.gz`);

export class CompressedSnapshot {
  private readonly byPath: Map<string, LogicalEntry>;
  private hashed: Promise<{ rootHash: string; records: HashRecord[] }> | undefined;

  constructor(
    readonly descriptor: Descriptor,
    readonly layout: CompressedLayout,
    /** The snapshot directory (the stored tree). */
    readonly dir: string,
    /** Mode bits of the snapshot root, given to a tree materialized from it. */
    private readonly rootMode: number,
    /** Logical entries, parents before children. */
    readonly entries: readonly LogicalEntry[],
  ) {
    this.byPath = new Map(entries.map((e) => [key(e.path), e]));
  }

  private abs(rel: Buffer): Buffer {
    return Buffer.concat([Buffer.from(`${this.dir}/`), rel]);
  }

  entry(path: Buffer): LogicalEntry | undefined {
    return this.byPath.get(key(path));
  }

  /** What link resolution (links.ts) needs of the logical entry at `path`. */
  node(path: Buffer): LinkNode | undefined {
    const e = this.entry(path);
    return e && { kind: e.kind, ...(e.target ? { target: e.target } : {}) };
  }

  /**
   * The records of §4 over the logical tree and their root hash, computed once from the stored
   * bytes (never from a manifest: verify relies on that). A stored `X.gz` of ours that does not
   * gunzip is recorded as `X` with its stored bytes, so the damage shows as a mismatch.
   */
  hash(): Promise<{ rootHash: string; records: HashRecord[] }> {
    this.hashed ??= this.computeHash();
    return this.hashed;
  }

  /** Whether the logical tree reproduces the descriptor's payload root hash. */
  async exact(): Promise<boolean> {
    return (await this.hash()).rootHash === this.descriptor.payload_root_hash;
  }

  private async computeHash(): Promise<{ rootHash: string; records: HashRecord[] }> {
    const files = this.entries.filter((e) => e.kind === 'file' && e.hash === undefined);
    const asStored: LogicalEntry[] = [];
    await eachLimited(files, async (e) => {
      const digest = e.gzip ? await gunzipDigest(this.abs(e.stored!)) : undefined;
      if (digest) Object.assign(e, digest);
      else asStored.push(e);
    });
    const raw = await getCore().hashPaths(this.dir, asStored.map((e) => e.stored!));
    asStored.forEach((e, i) => Object.assign(e, { size: raw[i]?.size, hash: raw[i]?.hash }));
    const records = this.entries.filter(hasRecord).map(recordOf);
    return { rootHash: assembleRecords(records).rootHash, records };
  }

  /** The bytes of the logical file at `path` (a file entry) as a stream. */
  open(path: Buffer): Readable {
    const e = this.entry(path);
    if (e?.kind !== 'file') throw new JvsError('E_NOT_FOUND', `${path.toString()}: not a file in snapshot ${this.descriptor.snapshot_id}`);
    return e.gzip ? gunzipStream(this.abs(e.stored!)) : createReadStream(this.abs(e.stored!));
  }

  /** Writes the file or symlink `e` at `dst`; true when it was decompressed. */
  private async write(e: LogicalEntry, dst: Buffer | string): Promise<boolean> {
    if (e.kind === 'symlink') {
      await symlink(e.target ?? Buffer.alloc(0), dst);
      return false;
    }
    const src = this.abs(e.stored!);
    try {
      if (e.gzip) await gunzipFile(src, dst);
      else await copyFile(src, dst, constants.COPYFILE_FICLONE);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new JvsError('E_IO', `decompress ${e.path.toString()} from snapshot ${this.descriptor.snapshot_id}: ${detail}`, { cause: err });
    }
    await chmod(dst, e.mode);
    await setMtime(dst, e.mtimeNs);
    return e.gzip === true;
  }

  /**
   * Writes the logical files and symlinks at `paths` as `<dstDir>/<index>` (index = position in
   * `paths`) with their modes and mtimes, as the core's materializeEntries does for plain
   * snapshots. Returns the number of files decompressed.
   */
  async materializeEntries(paths: readonly Buffer[], dstDir: string): Promise<number> {
    await mkdir(dstDir, { recursive: true });
    let decompressed = 0;
    await eachLimited([...paths.keys()], async (i) => {
      const e = this.entry(paths[i]!);
      if (!e || e.kind === 'dir') throw new JvsError('E_NOT_FOUND', `${paths[i]!.toString()}: not a file or symlink in snapshot ${this.descriptor.snapshot_id}`);
      if (await this.write(e, join(dstDir, String(i)))) decompressed++;
    });
    return decompressed;
  }

  /**
   * Writes the whole logical tree at `dest` (which must not exist): directories, then files and
   * symlinks, then the directories' modes deepest first. On failure nothing is left at `dest`.
   * Returns the number of files decompressed.
   */
  async materializeTree(dest: string): Promise<number> {
    const at = (rel: Buffer): Buffer => Buffer.concat([Buffer.from(`${dest}/`), rel]);
    const dirs = this.entries.filter((e) => e.kind === 'dir');
    await mkdir(dest, { mode: 0o700 });
    try {
      // Owner-writable until their children exist; their own bits go on at the end.
      for (const d of dirs) await mkdir(at(d.path), { mode: 0o700 });
      let decompressed = 0;
      await eachLimited(
        this.entries.filter((e) => e.kind !== 'dir'),
        async (e) => {
          if (await this.write(e, at(e.path))) decompressed++;
        },
      );
      for (const d of [...dirs].reverse()) await chmod(at(d.path), d.mode);
      await chmod(dest, this.rootMode);
      return decompressed;
    } catch (e) {
      await rm(dest, { recursive: true, force: true });
      throw e;
    }
  }
}

function unsupported(e: WalkEntry): JvsError {
  const word = e.kind === 'fifo' || e.kind === 'socket' ? e.kind : 'device';
  return new JvsError('E_UNSUPPORTED_FILE', `unsupported file type (${word}): ${e.path.toString()}`);
}

/** The entry for a stored entry taken as it is. */
function asStored(e: WalkEntry): LogicalEntry {
  if (e.kind !== 'dir' && e.kind !== 'file' && e.kind !== 'symlink') throw unsupported(e);
  const out: LogicalEntry = { kind: e.kind, path: e.path, mode: e.mode & 0o7777, mtimeNs: e.mtimeNs };
  if (e.kind === 'file') Object.assign(out, { stored: e.path, gzip: false });
  if (e.target) out.target = e.target;
  return out;
}

/** Adds `e` under its logical path, or — when a stored entry already has that name — as stored. */
function add(out: Map<string, LogicalEntry>, e: LogicalEntry, stored: WalkEntry): void {
  const chosen = out.has(key(e.path)) ? asStored(stored) : e;
  out.set(key(chosen.path), chosen);
}

function oursEntries(walked: readonly WalkEntry[]): LogicalEntry[] {
  const out = new Map<string, LogicalEntry>();
  for (const w of walked) {
    if (w.path.equals(READY_BYTES)) continue; // the root marker
    const logical = w.kind === 'file' ? stripGz(w.path) : undefined;
    add(out, logical ? { kind: 'file', path: logical, mode: w.mode & 0o7777, mtimeNs: w.mtimeNs, stored: w.path, gzip: true } : asStored(w), w);
  }
  return [...out.values()];
}

async function v82Entries(layout: RepoLayout, d: Descriptor, dir: string, walked: readonly WalkEntry[]): Promise<LogicalEntry[]> {
  const kept = walked.filter((w) => w.kind === 'dir' || !baseName(w.path).equals(READY_GZ));
  const digests = new Map<WalkEntry, { hash: string; size: number }>();
  await eachLimited(
    kept.filter((w) => w.kind === 'file' && stripGz(w.path)),
    async (w) => {
      const digest = await gunzipDigest(Buffer.concat([Buffer.from(`${dir}/`), w.path]));
      if (digest) digests.set(w, digest);
    },
  );
  const out = new Map<string, LogicalEntry>();
  const candidates: Candidate[] = [];
  for (const w of kept) {
    const digest = digests.get(w);
    if (!digest) {
      add(out, asStored(w), w);
      continue;
    }
    const entry: LogicalEntry = { kind: 'file', path: stripGz(w.path)!, mode: 0o644, mtimeNs: w.mtimeNs, stored: w.path, gzip: true, ...digest };
    add(out, entry, w);
    if (out.get(key(entry.path)) === entry) candidates.push({ entry, stored: w.path, storedSize: w.size, storedMode: w.mode & 0o7777 });
  }
  await recoverFromRelatives(layout, d, dir, candidates);
  // Recovery may have given a candidate back its stored name `X.gz`: order by path again.
  return [...out.values()].sort((a, b) => Buffer.compare(a.path, b.path));
}

/** Which layout the stored tree uses: ours keeps a plain root `.READY` (§3.9). */
async function layoutOf(dir: string): Promise<CompressedLayout> {
  const plain = await lstat(join(dir, READY)).then(
    (s) => s.isFile(),
    () => false,
  );
  return plain ? 'jvs' : 'v8.2';
}

async function open(layout: RepoLayout, d: Descriptor): Promise<CompressedSnapshot> {
  const dir = layout.snapshotDir(d.snapshot_id);
  const walked = await getCore().walk(dir);
  const rootMode = (await stat(dir)).mode & 0o7777;
  const which = await layoutOf(dir);
  const entries = which === 'jvs' ? oursEntries(walked) : await v82Entries(layout, d, dir, walked);
  return new CompressedSnapshot(d, which, dir, rootMode, entries);
}

/** Opened once per descriptor object: a command reads a descriptor once and passes it around. */
const opened = new WeakMap<Descriptor, Promise<CompressedSnapshot>>();

/** The logical tree of the compressed snapshot `d` (its descriptor has `compression`). */
export function openCompressed(layout: RepoLayout, d: Descriptor): Promise<CompressedSnapshot> {
  let p = opened.get(d);
  if (!p) {
    p = open(layout, d);
    opened.set(d, p);
    p.catch(() => opened.delete(d));
  }
  return p;
}

/** restore's warning for a v8.2-compressed snapshot that could not be reconstructed exactly (§3.9 step 4). */
export function inexactWarning(d: Descriptor): string {
  return `${d.snapshot_id}: v8.2 compressed snapshot; original modes or symlinks could not be recovered`;
}
