/**
 * Decoder of the packed bulk results of the Rust binding. The encoder is
 * crates/jvs-napi/src/codec.rs; the two change together.
 */
import type { EntryKind, HashRecord, IndexEntry, KnownHash, ScanDifference, WalkEntry } from './types.js';

const KINDS: readonly EntryKind[] = ['dir', 'file', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev'];
const RECORD_KINDS: readonly HashRecord['kind'][] = ['dir', 'file', 'symlink'];
const NO_TARGET = 0xffffffff;

class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  get offset(): number {
    return this.off;
  }
  get done(): boolean {
    return this.off >= this.buf.length;
  }
  u8(): number {
    return this.buf.readUInt8(this.off++);
  }
  u32(): number {
    const v = this.buf.readUInt32LE(this.off);
    this.off += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64LE(this.off);
    this.off += 8;
    return v;
  }
  /** A u64 that fits a double (sizes, link counts), read without allocating a BigInt. */
  u64n(): number {
    const v = this.buf.readUInt32LE(this.off) + this.buf.readUInt32LE(this.off + 4) * 2 ** 32;
    this.off += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64LE(this.off);
    this.off += 8;
    return v;
  }
  /** A length-prefixed optional byte string (NO_TARGET = absent). */
  target(): Buffer | undefined {
    const len = this.u32();
    return len === NO_TARGET ? undefined : this.bytes(len);
  }
  /** A view, not a copy: entries share the one buffer the binding allocated. */
  bytes(n: number): Buffer {
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
}

function kindOf<T>(table: readonly T[], code: number): T {
  const k = table[code];
  if (k === undefined) throw new Error(`native codec: unknown kind code ${code}`);
  return k;
}

/** Bytes of the stat identity in an encoded entry: mode u32 … ino u64, right after the kind. */
export const STAT_ID_BYTES = 44;

/** The stat identity string of WalkEntry.statId, for entries that do not come from the codec. */
export function statIdOf(s: { mode: number; size: number; mtimeNs: bigint; ctimeNs: bigint; dev: bigint; ino: bigint }): string {
  const b = Buffer.allocUnsafe(STAT_ID_BYTES);
  b.writeUInt32LE(s.mode, 0);
  b.writeBigUInt64LE(BigInt(s.size), 4);
  b.writeBigInt64LE(s.mtimeNs, 12);
  b.writeBigInt64LE(s.ctimeNs, 20);
  b.writeBigUInt64LE(s.dev, 28);
  b.writeBigUInt64LE(s.ino, 36);
  return b.toString('latin1');
}

function readEntry(buf: Buffer, r: Reader): WalkEntry {
  // The encoder writes the identity fields in statIdOf's order: take them as one string.
  const statId = buf.toString('latin1', r.offset + 1, r.offset + 1 + STAT_ID_BYTES);
  const kind = kindOf(KINDS, r.u8());
  const mode = r.u32();
  const size = r.u64n();
  const mtimeNs = r.i64();
  const ctimeNs = r.i64();
  const dev = r.u64();
  const ino = r.u64();
  const nlink = r.u64n();
  const path = r.bytes(r.u32());
  const entry: WalkEntry = { path, kind, mode, size, mtimeNs, ctimeNs, dev, ino, nlink, statId };
  const target = r.target();
  if (target) entry.target = target;
  return entry;
}

/** The identity with another device number (bytes 28..36): a btrfs snapshot's entry as its source has it. */
export function statIdWithDev(statId: string, dev: bigint): string {
  const b = Buffer.from(statId, 'latin1');
  b.writeBigUInt64LE(dev, 28);
  return b.toString('latin1');
}

export function decodeEntries(buf: Buffer): WalkEntry[] {
  const r = new Reader(buf);
  const out: WalkEntry[] = [];
  while (!r.done) out.push(readEntry(buf, r));
  return out;
}

/** Scan differences (codec.rs encode_differences): flags, then offset, hash, entry as flagged. */
export function decodeDifferences(buf: Buffer): ScanDifference[] {
  const r = new Reader(buf);
  const out: ScanDifference[] = [];
  while (!r.done) {
    const flags = r.u8();
    const d: ScanDifference = { same: (flags & 8) !== 0, stable: (flags & 16) !== 0, foreign: (flags & 32) !== 0 };
    if (flags & 1) d.at = r.u64n();
    if (flags & 4) d.hash = r.bytes(32).toString('hex');
    if (flags & 2) d.entry = readEntry(buf, r);
    out.push(d);
  }
  return out;
}

/**
 * A worktree index entry: kind u8, perm u32, size u64, hash [32], stat identity [44] (all zero
 * = none), path_len u32, path (codec.rs decode_index). Entries are sorted by path bytes.
 */
const INDEX_FIXED = 1 + 4 + 8 + 32 + STAT_ID_BYTES + 4;
/** Where an index entry's stat identity lies, from the entry's offset: updated in place. */
export const INDEX_STAT_OFFSET = 45;
const NO_STAT = Buffer.alloc(STAT_ID_BYTES);

/** Packs index entries, which must be sorted by path bytes (no path twice). */
export function encodeIndex(entries: readonly IndexEntry[]): Buffer {
  let size = 0;
  for (const e of entries) size += INDEX_FIXED + e.path.length;
  // One buffer written in place: an index holds every entry of the tree.
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const e of entries) {
    off = out.writeUInt8(RECORD_KINDS.indexOf(e.kind), off);
    off = out.writeUInt32LE(e.perm, off);
    off = out.writeBigUInt64LE(BigInt(e.size), off);
    off += out.write(e.hash, off, 'hex');
    off += e.statId === undefined ? NO_STAT.copy(out, off) : out.write(e.statId, off, 'latin1');
    off = out.writeUInt32LE(e.path.length, off);
    off += e.path.copy(out, off);
  }
  return out;
}

/** The index entry at byte offset `at` (a ScanDifference's), and the offset of the next. */
export function indexEntryAt(buf: Buffer, at: number): { entry: IndexEntry; next: number } {
  const r = new Reader(buf.subarray(at));
  const kind = kindOf(RECORD_KINDS, r.u8());
  const perm = r.u32();
  const size = r.u64n();
  const hash = r.bytes(32).toString('hex');
  const stat = r.bytes(STAT_ID_BYTES);
  const path = r.bytes(r.u32());
  if (at + r.offset > buf.length) throw new RangeError(`native codec: index entry at ${at} runs past the end`);
  const entry: IndexEntry = { kind, path, perm, size, hash };
  if (!stat.equals(NO_STAT)) entry.statId = stat.toString('latin1');
  return { entry, next: at + r.offset };
}

/**
 * The index with `edits` applied: each edit's path gets its entry (inserted, or replacing the
 * one there) or, without one, loses it. Edits are sorted by path bytes, each path once. The
 * entries between edits are not decoded, nor copied: the result is pieces — views of the
 * unchanged runs of `body` and the new entries, in order, each whole entries (at a million
 * entries a joined copy would be over 100 MB more) — so a patch costs what changed plus one
 * scan of the paths. The pieces share `body`'s memory: it must not change while they are used.
 */
export function patchIndexPieces(body: Buffer, edits: ReadonlyArray<{ path: Buffer; entry?: IndexEntry }>): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  let copied = 0;
  for (const edit of edits) {
    let order = 1;
    while (at < body.length) {
      const start = at + INDEX_FIXED;
      const end = start + body.readUInt32LE(start - 4);
      order = body.compare(edit.path, 0, edit.path.length, start, end);
      if (order >= 0) {
        parts.push(body.subarray(copied, at));
        copied = order === 0 ? end : at;
        break;
      }
      at = end;
    }
    if (at >= body.length) {
      parts.push(body.subarray(copied, at));
      copied = at;
    } else if (order === 0) at = copied;
    if (edit.entry) parts.push(encodeIndex([edit.entry]));
  }
  parts.push(body.subarray(copied));
  return parts.filter((p) => p.length > 0);
}

/** Every entry of an index with its offset, in order. */
export function* decodeIndex(buf: Buffer): Generator<IndexEntry & { at: number }> {
  for (let at = 0; at < buf.length; ) {
    const { entry, next } = indexEntryAt(buf, at);
    yield { ...entry, at };
    at = next;
  }
}

export function decodeRecords(buf: Buffer): HashRecord[] {
  const r = new Reader(buf);
  const out: HashRecord[] = [];
  while (!r.done) {
    const kind = kindOf(RECORD_KINDS, r.u8());
    const perm = r.u32();
    const size = r.u64n();
    const hash = r.bytes(32).toString('hex');
    const path = r.bytes(r.u32());
    const rec: HashRecord = { kind, path, perm, size, hash };
    const target = r.target();
    if (target) rec.target = target;
    out.push(rec);
  }
  return out;
}

/** Known hashes for the binding: path_len u32, path, size u64, hash [32] (codec.rs decode_known). */
export function encodeKnown(known: readonly KnownHash[]): Buffer {
  let size = 0;
  for (const k of known) size += 4 + k.path.length + 8 + 32;
  // One buffer written in place (a snapshot passes every unchanged file of the tree).
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (const k of known) {
    off = out.writeUInt32LE(k.path.length, off);
    off += k.path.copy(out, off);
    off = out.writeBigUInt64LE(BigInt(k.size), off);
    off += out.write(k.hash, off, 'hex');
  }
  return out;
}
