/**
 * Decoder of the packed bulk results of the Rust binding. The encoder is
 * crates/jvs-napi/src/codec.rs; the two change together.
 */
import type { EntryKind, HashRecord, KnownHash, WalkEntry } from './types.js';

const KINDS: readonly EntryKind[] = ['dir', 'file', 'symlink', 'fifo', 'socket', 'chardev', 'blockdev'];
const RECORD_KINDS: readonly HashRecord['kind'][] = ['dir', 'file', 'symlink'];
const NO_TARGET = 0xffffffff;

class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
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

export function decodeEntries(buf: Buffer): WalkEntry[] {
  const r = new Reader(buf);
  const out: WalkEntry[] = [];
  while (!r.done) {
    const kind = kindOf(KINDS, r.u8());
    const mode = r.u32();
    const size = Number(r.u64());
    const mtimeNs = r.i64();
    const ctimeNs = r.i64();
    const dev = r.u64();
    const ino = r.u64();
    const nlink = Number(r.u64());
    const path = r.bytes(r.u32());
    const entry: WalkEntry = { path, kind, mode, size, mtimeNs, ctimeNs, dev, ino, nlink };
    const target = r.target();
    if (target) entry.target = target;
    out.push(entry);
  }
  return out;
}

export function decodeRecords(buf: Buffer): HashRecord[] {
  const r = new Reader(buf);
  const out: HashRecord[] = [];
  while (!r.done) {
    const kind = kindOf(RECORD_KINDS, r.u8());
    const perm = r.u32();
    const size = Number(r.u64());
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
  const parts: Buffer[] = [];
  for (const k of known) {
    const head = Buffer.alloc(4);
    head.writeUInt32LE(k.path.length, 0);
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(k.size), 0);
    parts.push(head, k.path, size, Buffer.from(k.hash, 'hex'));
  }
  return Buffer.concat(parts);
}
