//! Packed little-endian encodings of bulk results; src/native/codec.ts is the decoder and the
//! two must change together.
//!
//! Walk entry: kind u8, mode u32, size u64, mtime_ns i64, ctime_ns i64, dev u64, ino u64,
//! nlink u64, path_len u32, path bytes, target_len u32 (u32::MAX = no target), target bytes.
//! Hash record: kind u8, perm u32, size u64, hash [32], path_len u32, path bytes, target_len u32
//! (u32::MAX = no target), target bytes.
//! Known hashes (input): path_len u32, path bytes, size u64, hash [32].
//! Index entry (input, sorted by path bytes): kind u8 (dir 0, file 1, symlink 2), perm u32,
//! size u64, hash [32], stat identity [44] (all zero = none remembered), path_len u32, path.
//! Scan difference: flags u8 (1 index entry, 2 walked entry, 4 hash, 8 same, 16 stable, 32
//! foreign), then
//! the index entry's byte offset u64 (flag 1), hash [32] (flag 4), walk entry (flag 2).
//! Kind codes: dir 0, file 1, symlink 2, fifo 3, socket 4, chardev 5, blockdev 6.

use jvs_core::hash::{Known, Record, RecordKind};
use jvs_core::scan::{Difference, IndexEntry, STAT_ID_BYTES};
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

fn put_entry(out: &mut Vec<u8>, e: &Entry) {
    out.push(kind_code(e.kind));
    out.extend_from_slice(&e.mode.to_le_bytes());
    out.extend_from_slice(&e.size.to_le_bytes());
    out.extend_from_slice(&e.mtime_ns.to_le_bytes());
    out.extend_from_slice(&e.ctime_ns.to_le_bytes());
    out.extend_from_slice(&e.dev.to_le_bytes());
    out.extend_from_slice(&e.ino.to_le_bytes());
    out.extend_from_slice(&e.nlink.to_le_bytes());
    put_bytes(out, &e.path);
    put_target(out, e.target.as_deref());
}

pub fn encode_entries(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| 61 + e.path.len()).sum());
    for e in entries {
        put_entry(&mut out, e);
    }
    out
}

pub fn encode_records(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.iter().map(|r| 49 + r.path.len()).sum());
    for r in records {
        put_record_head(&mut out, r);
        put_bytes(&mut out, &r.path);
        put_target(&mut out, r.target.as_deref());
    }
    out
}

/// What a hash record and an index entry begin with: kind u8 (dir 0, file 1, symlink 2),
/// perm u32, size u64, hash [32].
fn put_record_head(out: &mut Vec<u8>, r: &Record) {
    out.push(match r.kind {
        RecordKind::Dir => 0,
        RecordKind::File => 1,
        RecordKind::Symlink => 2,
    });
    out.extend_from_slice(&r.perm.to_le_bytes());
    out.extend_from_slice(&r.size.to_le_bytes());
    out.extend_from_slice(&r.hash);
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

const INDEX_FIXED: usize = 1 + 4 + 8 + 32 + STAT_ID_BYTES + 4;

/// The index entry at `off` and where the next begins; None when it is malformed.
fn index_entry_at(buf: &[u8], off: usize) -> Option<(IndexEntry<'_>, usize)> {
    let fixed = buf.get(off..off + INDEX_FIXED)?;
    let kind = match fixed[0] {
        0 => RecordKind::Dir,
        1 => RecordKind::File,
        2 => RecordKind::Symlink,
        _ => return None,
    };
    let stat: [u8; STAT_ID_BYTES] = fixed[index_stat_at(0)].try_into().unwrap();
    let len = u32::from_le_bytes(fixed[INDEX_FIXED - 4..].try_into().unwrap()) as usize;
    let path = buf.get(off + INDEX_FIXED..off + INDEX_FIXED + len)?;
    let entry = IndexEntry {
        at: off,
        kind,
        path,
        perm: u32::from_le_bytes(fixed[1..5].try_into().unwrap()),
        size: u64::from_le_bytes(fixed[5..13].try_into().unwrap()),
        hash: fixed[13..45].try_into().unwrap(),
        stat: (stat != [0; STAT_ID_BYTES]).then_some(stat),
    };
    Some((entry, off + INDEX_FIXED + len))
}

/// Appends an index entry made from a record, remembering no identity.
pub fn put_index_entry(out: &mut Vec<u8>, r: &Record) {
    put_record_head(out, r);
    out.extend_from_slice(&[0; STAT_ID_BYTES]);
    put_bytes(out, &r.path);
}

/// Where an index entry at byte offset `at` keeps its stat identity.
pub fn index_stat_at(at: usize) -> std::ops::Range<usize> {
    at + 45..at + 45 + STAT_ID_BYTES
}

/// Decodes an index lazily, once it is known to be well formed ([`check_index`]).
pub fn index_entries(buf: &[u8]) -> impl Iterator<Item = IndexEntry<'_>> {
    let mut off = 0;
    std::iter::from_fn(move || {
        let (entry, next) = index_entry_at(buf, off)?;
        off = next;
        Some(entry)
    })
}

/// An index read in place, with its entries' positions so that it can be read from any path
/// on (binary search): what a focused scan needs.
pub struct SeekableIndex<'a> {
    buf: &'a [u8],
    offsets: Vec<usize>,
    ready: bool,
}

impl<'a> SeekableIndex<'a> {
    /// None for a buffer [`check_index`] would refuse; checked in the same pass.
    pub fn new(buf: &'a [u8]) -> Option<Self> {
        let (mut offsets, mut ready) = (Vec::new(), false);
        let ok = checked(buf, |off| {
            offsets.push(off);
            ready |= jvs_core::scan::has_ready(index_entry_at(buf, off).expect("a checked entry").0.path);
        });
        ok.then_some(SeekableIndex { buf, offsets, ready })
    }

    pub fn len(&self) -> usize {
        self.offsets.len()
    }
}

impl<'a> jvs_core::scan::SeekIndex<'a> for SeekableIndex<'a> {
    // Found while the index was checked: no second pass.
    fn holds_ready(&self) -> bool {
        self.ready
    }

    fn entries_from(&self, from: &[u8]) -> Box<dyn Iterator<Item = IndexEntry<'a>> + '_> {
        let buf = self.buf;
        let i = self.offsets.partition_point(|&off| index_entry_at(buf, off).expect("a checked index").0.path < from);
        let start = self.offsets.get(i).copied().unwrap_or(buf.len());
        Box::new(index_entries(&buf[start..]).map(move |mut x| {
            x.at += start;
            x
        }))
    }
}

/// Whether an index is well formed and sorted. It is the caller's checked file, written
/// sorted: a malformed or unsorted buffer is refused (a merge against it would report wrong
/// differences), never half-used. One pass, nothing kept.
pub fn check_index(buf: &[u8]) -> bool {
    checked(buf, |_| ())
}

/// [`check_index`] for an index in pieces of whole entries, sorted across them too.
pub fn check_pieces<P: AsRef<[u8]>>(pieces: &[P]) -> bool {
    let mut last: Option<&[u8]> = None;
    for p in pieces.iter().map(AsRef::as_ref).filter(|p| !p.is_empty()) {
        let mut first: Option<&[u8]> = None;
        let mut prev: Option<&[u8]> = None;
        if !checked(p, |off| {
            let path = index_entry_at(p, off).expect("a checked entry").0.path;
            first.get_or_insert(path);
            prev = Some(path);
        }) || last.zip(first).is_some_and(|(l, f)| l >= f)
        {
            return false;
        }
        last = prev;
    }
    true
}

/// [`check_index`], telling `visit` each entry's offset.
fn checked(buf: &[u8], mut visit: impl FnMut(usize)) -> bool {
    let mut off = 0;
    let mut prev: Option<&[u8]> = None;
    while off < buf.len() {
        let Some((entry, next)) = index_entry_at(buf, off) else { return false };
        if prev.is_some_and(|p| p >= entry.path) {
            return false;
        }
        visit(off);
        prev = Some(entry.path);
        off = next;
    }
    true
}

pub fn encode_differences(ds: &[Difference]) -> Vec<u8> {
    let mut out = Vec::new();
    for d in ds {
        let flags = u8::from(d.at.is_some())
            | u8::from(d.entry.is_some()) << 1
            | u8::from(d.hash.is_some()) << 2
            | u8::from(d.same) << 3
            | u8::from(d.stable) << 4
            | u8::from(d.foreign) << 5;
        out.push(flags);
        if let Some(at) = d.at {
            out.extend_from_slice(&(at as u64).to_le_bytes());
        }
        if let Some(h) = &d.hash {
            out.extend_from_slice(h);
        }
        if let Some(e) = &d.entry {
            put_entry(&mut out, e);
        }
    }
    out
}
