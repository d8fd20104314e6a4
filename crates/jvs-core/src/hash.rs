//! The payload root hash (CONTRACT §4), byte-exact with jvs v8.2.
//!
//! One line `<type>:<path>:<meta>:<hash>` per entry (the root itself and every entry whose base
//! name is exactly `.READY` excluded), lines sorted byte-wise, each followed by `\n`, SHA-256
//! of the concatenation. Per-file hashing runs in parallel on the core's pool; only the sorted
//! assembly is order-sensitive. The records are returned: they become the snapshot manifest.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::ctx::{Ctx, Phase};
use crate::error::{Error, Result};
use crate::pool;
use crate::walk::{base_name, walk, walk_sorted, Entry, Kind};

/// Read buffer per worker. 64 KiB stays in L2 and measured fastest here
/// (research/perf-anchors §2c: 2.57 GB/s on 2 threads vs 2.1 GB/s with 1 MiB).
pub(crate) const BUF_SIZE: usize = 64 * 1024;

/// The marker that is never part of a payload.
pub const READY_NAME: &[u8] = b".READY";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKind {
    Dir,
    File,
    Symlink,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Dir => "dir",
            RecordKind::File => "file",
            RecordKind::Symlink => "symlink",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    pub path: Vec<u8>,
    /// Permission bits (`mode & 0o777`).
    pub perm: u32,
    /// Bytes hashed (files), lstat size (symlinks), 0 (dirs).
    pub size: u64,
    pub hash: [u8; 32],
    /// The link target (symlinks only): the manifest keeps it so that restore and `ls` need
    /// not read the snapshot.
    pub target: Option<Vec<u8>>,
}

impl Record {
    /// The exact line of CONTRACT §4, without the trailing newline.
    pub fn line(&self) -> Vec<u8> {
        let mut l = Vec::with_capacity(self.path.len() + 100);
        write_line(&mut l, self.kind, &self.path, self.perm, self.size, &self.hash);
        l
    }
}

/// Appends a record's line (CONTRACT §4) to `out`, without a newline. Digits are written by
/// hand: the root hash formats every record of a tree, and `write!` costs several times more.
pub fn write_line(out: &mut Vec<u8>, kind: RecordKind, path: &[u8], perm: u32, size: u64, hash: &[u8; 32]) {
    // Kind, two colons, `mode=` with its digits, `,size=` with 20 digits, the hash's 64.
    out.reserve(path.len() + 128);
    out.extend_from_slice(kind.as_str().as_bytes());
    out.push(b':');
    out.extend_from_slice(path);
    out.extend_from_slice(b":mode=");
    // `{:04o}`: at least four octal digits (permission bits have at most four).
    let digits = (32 - perm.leading_zeros()).div_ceil(3).max(4);
    for i in (0..digits).rev() {
        out.push(b'0' + ((perm >> (3 * i)) & 7) as u8);
    }
    if kind == RecordKind::File {
        out.extend_from_slice(b",size=");
        let mut buf = [0u8; 20];
        let mut at = buf.len();
        let mut n = size;
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&buf[at..]);
    }
    out.push(b':');
    hex_into(out, hash);
}

#[derive(Debug, Clone)]
pub struct HashReport {
    pub root_hash: [u8; 32],
    /// Records in line order.
    pub records: Vec<Record>,
    /// Total bytes of file content hashed.
    pub bytes: u64,
}

pub fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    hex_into(&mut out, bytes);
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// Appends the lowercase hex digits of `bytes` to `out`.
pub fn hex_into(out: &mut Vec<u8>, bytes: &[u8]) {
    // Into a stack buffer first, a byte's two digits at a time from a table, then one copy: a
    // push per digit re-checks capacity each time, which at a million index lines (a payload
    // root hash) was most of the summary's cost.
    const HEX: [[u8; 2]; 256] = {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [DIGITS[i >> 4], DIGITS[i & 15]];
            i += 1;
        }
        t
    };
    for chunk in bytes.chunks(32) {
        let mut buf = [0u8; 64];
        for (pair, &b) in buf.chunks_exact_mut(2).zip(chunk) {
            pair.copy_from_slice(&HEX[usize::from(b)]);
        }
        out.extend_from_slice(&buf[..2 * chunk.len()]);
    }
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Content hashes the caller already knows (from a stat cache), by path: a file whose walked
/// size equals the known size is not read. The caller vouches that the content is unchanged.
pub type Known = HashMap<Vec<u8>, (u64, [u8; 32])>;

/// Walks `root` and hashes it.
pub fn hash_tree(root: &Path, ctx: &Ctx) -> Result<HashReport> {
    hash_tree_known(root, &Known::new(), ctx)
}

/// Walks `root` and hashes it, taking the hashes of `known` files instead of reading them.
pub fn hash_tree_known(root: &Path, known: &Known, ctx: &Ctx) -> Result<HashReport> {
    let entries = walk(root, ctx)?;
    hash_entries(root, &entries, known, ctx)
}

/// Hashes already-walked entries of `root` (as returned by [`walk`]).
pub fn hash_entries(root: &Path, entries: &[Entry], known: &Known, ctx: &Ctx) -> Result<HashReport> {
    let included: Vec<&Entry> = entries.iter().filter(|e| e.name() != READY_NAME).collect();
    // Special files are never opened: reject before any work, first in path order.
    if let Some(e) = included.iter().find(|e| e.kind.is_special()) {
        return Err(Error::unsupported(e.kind.contract_word(), &e.path));
    }
    let bytes_total = included.iter().filter(|e| e.kind == Kind::File).map(|e| e.size).sum();
    ctx.begin(Phase::Hash, included.len() as u64, bytes_total);

    let records: Vec<Record> = pool::cpu().install(|| {
        included
            .par_iter()
            .map_init(|| vec![0u8; BUF_SIZE], |buf, e| match known.get(&e.path) {
                Some(&(size, hash)) if e.kind == Kind::File && size == e.size => {
                    ctx.add_entries(1);
                    ctx.add_bytes(size);
                    Ok(Record { kind: RecordKind::File, path: e.path.clone(), perm: e.perm(), size, hash, target: None })
                }
                _ => record_for(root, e, buf, ctx),
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(assemble(records))
}

/// Hashes `root` as [`hash_tree`] does, handing each record to `visit` in path order as soon
/// as its batch is hashed: the tree is never held,
/// only the batch (files read in parallel) and one directory listing per level. A special
/// file fails the walk where it is met, first in path order. Returns the bytes read.
pub fn hash_sorted(root: &Path, ctx: &Ctx, visit: &mut dyn FnMut(Record)) -> Result<u64> {
    /// Entries per batch, and file bytes: enough to keep every core reading.
    const BATCH: usize = 4096;
    const BATCH_BYTES: u64 = 256 << 20;
    let mut batch: Vec<Entry> = Vec::with_capacity(BATCH);
    let (mut pending, mut bytes) = (0u64, 0u64);
    let flush = |batch: &mut Vec<Entry>, visit: &mut dyn FnMut(Record)| -> Result<()> {
        let records: Vec<Record> = pool::cpu().install(|| batch.par_iter().map_init(|| vec![0u8; BUF_SIZE], |buf, e| record_for(root, e, buf, ctx)).collect::<Result<_>>())?;
        batch.clear();
        records.into_iter().for_each(&mut *visit);
        Ok(())
    };
    walk_sorted(root, &[], ctx, &mut |e: Entry| {
        if e.name() == READY_NAME {
            return Ok(());
        }
        if e.kind.is_special() {
            return Err(Error::unsupported(e.kind.contract_word(), &e.path));
        }
        if e.kind == Kind::File {
            pending += e.size;
            bytes += e.size;
        }
        batch.push(e);
        if batch.len() >= BATCH || pending >= BATCH_BYTES {
            pending = 0;
            flush(&mut batch, visit)?;
        }
        Ok(())
    })?;
    flush(&mut batch, visit)?;
    Ok(bytes)
}

/// Records for the given entries of `root` only (any kind of dir, file or symlink), in the
/// order given: what status and restore need when only some entries may have changed. A
/// special file is an error, as in [`hash_entries`].
pub fn hash_paths(root: &Path, rels: &[Vec<u8>], ctx: &Ctx) -> Result<Vec<Record>> {
    ctx.begin(Phase::Hash, rels.len() as u64, 0);
    pool::cpu().install(|| {
        rels.par_iter()
            .map_init(|| vec![0u8; BUF_SIZE], |buf, rel| {
                let e = crate::walk::stat_entry(root, rel)?;
                record_for(root, &e, buf, ctx)
            })
            .collect()
    })
}

/// Sorts records into line order and computes the root hash over their lines.
pub fn assemble(records: Vec<Record>) -> HashReport {
    let mut lined: Vec<(Vec<u8>, Record)> = records.into_iter().map(|r| (r.line(), r)).collect();
    lined.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut h = Sha256::new();
    let mut bytes = 0;
    for (line, r) in &lined {
        h.update(line);
        h.update(b"\n");
        if r.kind == RecordKind::File {
            bytes += r.size;
        }
    }
    HashReport { root_hash: h.finalize().into(), records: lined.into_iter().map(|(_, r)| r).collect(), bytes }
}

fn record_for(root: &Path, e: &Entry, buf: &mut [u8], ctx: &Ctx) -> Result<Record> {
    ctx.check()?;
    let rec = match e.kind {
        Kind::Dir => Record {
            kind: RecordKind::Dir,
            path: e.path.clone(),
            perm: e.perm(),
            size: 0,
            hash: sha256(base_name(&e.path)),
            target: None,
        },
        Kind::Symlink => {
            let target = e.target.clone().unwrap_or_default();
            Record { kind: RecordKind::Symlink, path: e.path.clone(), perm: e.perm(), size: e.size, hash: sha256(&target), target: Some(target) }
        }
        Kind::File => {
            let (hash, size, perm) = hash_file(&e.abs(root), &e.path, buf, ctx)?;
            Record { kind: RecordKind::File, path: e.path.clone(), perm, size, hash, target: None }
        }
        _ => return Err(Error::unsupported(e.kind.contract_word(), &e.path)),
    };
    ctx.add_entries(1);
    Ok(rec)
}

/// Hashes one regular file, returning (digest, bytes read, permission bits).
///
/// Opened O_NOFOLLOW|O_NONBLOCK so that an entry swapped for a symlink or FIFO after the walk
/// can neither redirect the read nor hang it; fstat then confirms it is still a regular file.
/// The size recorded is the number of bytes actually hashed, so a record always describes
/// exactly the content that produced its hash.
pub fn hash_file(abs: &Path, rel: &[u8], buf: &mut [u8], ctx: &Ctx) -> Result<([u8; 32], u64, u32)> {
    let mut f: File = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(abs)
        .map_err(|e| Error::io("open", rel, &e))?;
    let md = f.metadata().map_err(|e| Error::io("fstat", rel, &e))?;
    if !md.is_file() {
        let kind = Kind::from_mode(md.mode());
        return Err(Error::unsupported(kind.contract_word(), rel));
    }
    let mut h = Sha256::new();
    let mut total = 0u64;
    loop {
        let n = match f.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io("read", rel, &e)),
        };
        h.update(&buf[..n]);
        total += n as u64;
        ctx.add_bytes(n as u64);
        // Large files: let cancellation interrupt between chunks, not only between files.
        if total % (64 * BUF_SIZE as u64) == 0 {
            ctx.check()?;
        }
    }
    Ok((h.finalize().into(), total, md.mode() & 0o777))
}
