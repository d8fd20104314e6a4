/** One entry of a compressed snapshot's logical tree (CONTRACT §3.9) and where its bytes are stored. */
import { createHash } from 'node:crypto';

import type { HashRecord } from '../native/index.js';

export interface LogicalEntry {
  kind: 'dir' | 'file' | 'symlink';
  /** The logical path (raw bytes, `/`-separated, relative to the snapshot root). */
  path: Buffer;
  /** Mode bits to materialize with: permission bits, plus setuid/setgid/sticky where stored. */
  mode: number;
  mtimeNs: bigint;
  /** Files: the stored file, relative to the snapshot directory. */
  stored?: Buffer;
  /** Files: whether the stored file is gunzipped (else its bytes are taken as stored). */
  gzip?: boolean;
  /** Symlinks: the target bytes. */
  target?: Buffer;
  /** Files: content size and SHA-256, once known. */
  size?: number;
  hash?: string;
}

/** A Map key for raw path bytes: latin1 is a 1:1 image of the bytes. */
export function key(path: Buffer): string {
  return path.toString('latin1');
}

const GZ = Buffer.from('.gz');
const READY = Buffer.from('.READY');

/** `X` for a stored name `X.gz` (a name of more than `.gz` alone); otherwise undefined. */
export function stripGz(path: Buffer): Buffer | undefined {
  const base = baseName(path);
  if (base.length <= GZ.length || !base.subarray(-GZ.length).equals(GZ)) return undefined;
  return path.subarray(0, path.length - GZ.length);
}

export function baseName(path: Buffer): Buffer {
  return path.subarray(path.lastIndexOf(0x2f) + 1);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Entries named `.READY` have no record (§4 step 2); a `.READY` directory's children do. */
export function hasRecord(e: LogicalEntry): boolean {
  return !baseName(e.path).equals(READY);
}

/** The §4 record of an entry whose content (files) is known. */
export function recordOf(e: LogicalEntry): HashRecord {
  const perm = e.mode & 0o777;
  if (e.kind === 'dir') return { kind: 'dir', path: e.path, perm, size: 0, hash: sha256(baseName(e.path)) };
  if (e.kind === 'symlink') {
    const target = e.target ?? Buffer.alloc(0);
    return { kind: 'symlink', path: e.path, perm, size: target.length, hash: sha256(target), target };
  }
  return { kind: 'file', path: e.path, perm, size: e.size ?? 0, hash: e.hash ?? '' };
}
