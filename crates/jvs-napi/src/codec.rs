//! Packed little-endian encodings of bulk results; src/native/codec.ts is the decoder and the
//! two must change together.
//!
//! Walk entry: kind u8, mode u32, size u64, mtime_ns i64, ctime_ns i64, dev u64, ino u64,
//! nlink u64, path_len u32, path bytes, target_len u32 (u32::MAX = no target), target bytes.
//! Hash record: kind u8, perm u32, size u64, hash [32], path_len u32, path bytes, target_len u32
//! (u32::MAX = no target), target bytes.
//! Known hashes (input): path_len u32, path bytes, size u64, hash [32].
//! Kind codes: dir 0, file 1, symlink 2, fifo 3, socket 4, chardev 5, blockdev 6.

use jvs_core::hash::{Known, Record, RecordKind};
use jvs_core::walk::{Entry, Kind};

fn kind_code(k: Kind) -> u8 {
    match k {
        Kind::Dir => 0,
        Kind::File => 1,
        Kind::Symlink => 2,
        Kind::Fifo => 3,
        Kind::Socket => 4,
        Kind::CharDev => 5,
        Kind::BlockDev => 6,
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

fn put_target(out: &mut Vec<u8>, target: Option<&[u8]>) {
    match target {
        Some(t) => put_bytes(out, t),
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

pub fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| 61 + e.path.len()).sum());
    for e in entries {
        out.push(kind_code(e.kind));
        out.extend_from_slice(&e.mode.to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&e.mtime_ns.to_le_bytes());
        out.extend_from_slice(&e.ctime_ns.to_le_bytes());
        out.extend_from_slice(&e.dev.to_le_bytes());
        out.extend_from_slice(&e.ino.to_le_bytes());
        out.extend_from_slice(&e.nlink.to_le_bytes());
        put_bytes(&mut out, &e.path);
        put_target(&mut out, e.target.as_deref());
    }
    out
}

pub fn encode_records(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.iter().map(|r| 49 + r.path.len()).sum());
    for r in records {
        out.push(match r.kind {
            RecordKind::Dir => 0,
            RecordKind::File => 1,
            RecordKind::Symlink => 2,
        });
        out.extend_from_slice(&r.perm.to_le_bytes());
        out.extend_from_slice(&r.size.to_le_bytes());
        out.extend_from_slice(&r.hash);
        put_bytes(&mut out, &r.path);
        put_target(&mut out, r.target.as_deref());
    }
    out
}

/// Decodes known hashes; a malformed buffer yields what was decoded before the fault (the
/// caller only loses speed: unknown files are read).
pub fn decode_known(buf: &[u8]) -> Known {
    let mut known = Known::new();
    let mut off = 0usize;
    let u32_at = |o: usize| buf.get(o..o + 4).map(|b| u32::from_le_bytes(b.try_into().unwrap()) as usize);
    while let Some(len) = u32_at(off) {
        let (p, s, h) = (off + 4, off + 4 + len, off + 12 + len);
        let (Some(path), Some(size), Some(hash)) = (buf.get(p..s), buf.get(s..s + 8), buf.get(h..h + 32)) else { break };
        known.insert(path.to_vec(), (u64::from_le_bytes(size.try_into().unwrap()), hash.try_into().unwrap()));
        off = h + 32;
    }
    known
}
