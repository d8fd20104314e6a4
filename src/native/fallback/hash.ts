/* The payload root hash of CONTRACT §4, built from raw name bytes end to end. */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { CommonOptions, HashOptions, HashRecord, HashResult, WalkEntry } from '../types.js';
import { JvsCoreError, displayPath, ioError, throwIfCancelled, unsupportedFile } from './errors.js';
import { FILES_IN_FLIGHT, forEachLimited } from './pool.js';
import { ProgressReporter } from './progress.js';
import { assembleRecords } from '../records.js';
import { TreePaths, baseName, kindOf, walkTree } from './walk.js';

const READ_CHUNK = 1 << 20;
const READY = Buffer.from('.READY');
/*
 * O_NOFOLLOW and O_NONBLOCK: the entry was a regular file at lstat time, but if it has since been
 * replaced by a symlink or a FIFO, opening must neither follow it nor hang (fstat then rejects it).
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export async function hashTree(root: string, opts: HashOptions = {}): Promise<HashResult> {
  const progress = new ProgressReporter(opts.onProgress, 'walk');
  const walked = await walkTree(root, { progress, signal: opts.signal });
  // §4 step 2: `.READY` entries produce no record (a `.READY` directory's children still do).
  const entries = walked.filter((e) => !baseName(e.path).equals(READY));
  for (const e of entries) {
    if (e.kind !== 'dir' && e.kind !== 'file' && e.kind !== 'symlink') throw unsupportedFile(e.kind, e.path);
  }
  const files = entries.filter((e) => e.kind === 'file');
  progress.phase('hash', entries.length, files.reduce((sum, e) => sum + e.size, 0));

  const records = new Map<WalkEntry, HashRecord>();
  for (const e of entries) {
    if (e.kind === 'dir') records.set(e, record(e, sha256(baseName(e.path))));
    if (e.kind === 'symlink') records.set(e, record(e, sha256(e.target ?? Buffer.alloc(0))));
  }
  progress.state.entriesDone = records.size;
  const paths = new TreePaths(root);
  const buffers: Buffer[] = [];
  let bytes = 0;
  const known = new Map((opts.known ?? []).map((k) => [k.path.toString('latin1'), k]));
  await forEachLimited(files, FILES_IN_FLIGHT, opts.signal, async (e, worker) => {
    const k = known.get(e.path.toString('latin1'));
    if (k && k.size === e.size) {
      // Known content (a stat cache vouches for it): not read.
      records.set(e, { kind: 'file', path: e.path, perm: e.mode & 0o777, size: e.size, hash: k.hash });
      bytes += e.size;
      progress.state.entriesDone++;
      return;
    }
    const buf = (buffers[worker] ??= Buffer.allocUnsafe(READ_CHUNK));
    const content = await hashFile(paths.abs(e.path), e.path, buf, progress, opts.signal);
    bytes += content.bytes;
    records.set(e, { kind: 'file', path: e.path, perm: content.perm, size: content.bytes, hash: content.hash });
    progress.state.entriesDone++;
    progress.tick();
  });

  const { rootHash, ordered } = assembleRecords([...records.values()]);
  progress.finish();
  const result: HashResult = { rootHash, count: ordered.length, bytes };
  if (opts.records === true) result.records = ordered;
  return result;
}


function record(e: WalkEntry, hash: string): HashRecord {
  if (e.kind === 'dir') return { kind: 'dir', path: e.path, perm: e.mode & 0o777, size: 0, hash };
  return { kind: 'symlink', path: e.path, perm: e.mode & 0o777, size: e.size, hash, target: e.target ?? Buffer.alloc(0) };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Records for the given entries only, in the order given (the native hash_paths twin). */
export async function hashPaths(root: string, rels: readonly Buffer[], opts: CommonOptions = {}): Promise<HashRecord[]> {
  const progress = new ProgressReporter(opts.onProgress, 'hash');
  progress.phase('hash', rels.length, 0);
  const paths = new TreePaths(root);
  const out: HashRecord[] = new Array<HashRecord>(rels.length);
  const buffers: Buffer[] = [];
  const jobs = rels.map((rel, i) => ({ rel, i }));
  await forEachLimited(jobs, FILES_IN_FLIGHT, opts.signal, async ({ rel, i }, worker) => {
    const abs = paths.abs(rel);
    let st;
    try {
      st = await lstat(abs, { bigint: true });
    } catch (err) {
      throw ioError(err, 'lstat', rel);
    }
    const kind = kindOf(st);
    const perm = Number(st.mode) & 0o777;
    if (kind === 'dir') out[i] = { kind: 'dir', path: rel, perm, size: 0, hash: sha256(baseName(rel)) };
    else if (kind === 'symlink') {
      const target = await readlink(abs, { encoding: 'buffer' });
      out[i] = { kind: 'symlink', path: rel, perm, size: Number(st.size), hash: sha256(target), target };
    } else if (kind === 'file') {
      const buf = (buffers[worker] ??= Buffer.allocUnsafe(READ_CHUNK));
      const c = await hashFile(abs, rel, buf, progress, opts.signal);
      out[i] = { kind: 'file', path: rel, perm: c.perm, size: c.bytes, hash: c.hash };
    } else throw unsupportedFile(kind, rel);
    progress.state.entriesDone++;
    progress.tick();
  });
  progress.finish();
  return out;
}

/**
 * Streams one file through SHA-256 in fixed-size chunks, so memory does not grow with file size.
 * The record takes its size (bytes actually hashed) and permission bits from the open file, not
 * from the walk, so it always describes exactly the content that produced its hash (as the
 * native side does).
 */
async function hashFile(
  abs: Buffer,
  rel: Buffer,
  buf: Buffer,
  progress: ProgressReporter,
  signal: AbortSignal | undefined,
): Promise<{ hash: string; bytes: number; perm: number }> {
  let fh: FileHandle;
  try {
    fh = await open(abs, OPEN_FLAGS);
  } catch (err) {
    throw ioError(err, 'cannot read', rel);
  }
  try {
    const st = await fh.stat({ bigint: true });
    const kind = kindOf(st);
    if (kind !== 'file') {
      if (kind !== 'dir' && kind !== 'symlink') throw unsupportedFile(kind, rel);
      const shown = displayPath(rel);
      throw new JvsCoreError('E_IO', `cannot read ${shown}: it stopped being a regular file`, { path: shown });
    }
    const h = createHash('sha256');
    let bytes = 0;
    for (;;) {
      // A large file should not delay cancellation until it is fully read.
      throwIfCancelled(signal);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      bytes += bytesRead;
      progress.state.bytesDone += bytesRead;
      progress.tick();
    }
    return { hash: h.digest('hex'), bytes, perm: Number(st.mode) & 0o777 };
  } catch (err) {
    throw ioError(err, 'cannot read', rel);
  } finally {
    await fh.close();
  }
}
