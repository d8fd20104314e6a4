//! The worktree scan behind `jvs status` and restore: one walk of a worktree merged against
//! its index (the head snapshot's records, each with the stat identity under which the
//! worktree's entry was last seen to match it), returning only what differs.
//!
//! A regular file whose stat identity equals the remembered one, and which was not modified
//! within the racy window (`trust_before`, git's "racy clean" rule, decided by the caller), is
//! taken as unchanged without reading it. Other files of the head's kind and size are read;
//! nothing else is. The index is an optimisation of the caller's: this module only compares.

use std::os::unix::fs::MetadataExt;

use rayon::prelude::*;

use crate::ctx::{Ctx, Phase};
use crate::error::{path_bytes, Error, Result};
use crate::hash::{assemble, hash_file, sha256, write_line, Record, RecordKind, BUF_SIZE, READY_NAME};
use sha2::{Digest, Sha256};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::thread::{Scope, ScopedJoinHandle};
use crate::pool;
use crate::walk::{base_name, list_names, stat_entry, walk_sorted, Entry, Kind};

/// Bytes of a stat identity: mode u32, size u64, mtime ns i64, ctime ns i64, dev u64, ino u64
/// (little-endian), the fields whose change means the content may have changed.
pub const STAT_ID_BYTES: usize = 44;
pub type StatId = [u8; STAT_ID_BYTES];

pub fn stat_id(e: &Entry) -> StatId {
    let mut id = [0u8; STAT_ID_BYTES];
    id[0..4].copy_from_slice(&e.mode.to_le_bytes());
    id[4..12].copy_from_slice(&e.size.to_le_bytes());
    id[12..20].copy_from_slice(&e.mtime_ns.to_le_bytes());
    id[20..28].copy_from_slice(&e.ctime_ns.to_le_bytes());
    id[28..36].copy_from_slice(&e.dev.to_le_bytes());
    id[36..44].copy_from_slice(&e.ino.to_le_bytes());
    id
}

/// One path of the index: the head's record, where the caller keeps it (`at`, returned in
/// differences so the caller can update that entry in place), and the remembered identity.
#[derive(Debug, Clone)]
pub struct IndexEntry<'a> {
    pub at: usize,
    pub kind: RecordKind,
    pub path: &'a [u8],
    pub perm: u32,
    pub size: u64,
    pub hash: [u8; 32],
    pub stat: Option<StatId>,
}

/// A path where the worktree may differ from the index.
#[derive(Debug)]
pub struct Difference {
    /// The index entry's `at`, when the index has the path.
    pub at: Option<usize>,
    /// The walked entry, when the worktree has the path.
    pub entry: Option<Entry>,
    /// Content hash of a file that was read, or of a symlink's target.
    pub hash: Option<[u8; 32]>,
    /// The entry is exactly the index's record (kind, permission bits, size, hash): a file
    /// read because its identity was unknown, changed or racy, found unchanged.
    pub same: bool,
    /// `same`, and its stat identity held while it was read: the identity may be remembered.
    pub stable: bool,
    /// On another device than the root (inside a nested subvolume or a mount): listed even
    /// when it is the index's (then `same`, `stable` and the index's hash).
    pub foreign: bool,
}

impl Difference {
    fn new(at: Option<usize>, entry: Option<Entry>) -> Self {
        Difference { at, entry, hash: None, same: false, stable: false, foreign: false }
    }
}

/// Whether a walked entry is the index's without looking further: the identity it remembered,
/// not racily clean. Directories and symlinks too: a directory's identity changes when an
/// entry is added, removed or renamed in it, which a caller comparing a clone must know.
fn trusted(w: &Entry, x: &IndexEntry, trust: &Trust) -> bool {
    let kind = match x.kind {
        RecordKind::Dir => Kind::Dir,
        RecordKind::File => Kind::File,
        RecordKind::Symlink => Kind::Symlink,
    };
    let Some(known) = x.stat else { return false };
    let seen = stat_id(w);
    // The device is bytes 28..36 of an identity.
    let same = if trust.ignore_dev { known[..28] == seen[..28] && known[36..] == seen[36..] } else { known == seen };
    w.kind == kind && same && w.mtime_ns < trust.before && w.ctime_ns < trust.before
}

/// When a remembered identity is believed.
#[derive(Debug, Clone, Copy)]
pub struct Trust {
    /// Entries modified (mtime or ctime, ns) at or after this are racily clean: not trusted.
    pub before: i64,
    /// Compare identities without the device: the tree scanned is a btrfs snapshot of the one
    /// the identities were taken in (same inodes and times, another device number).
    pub ignore_dev: bool,
}

/// What a read candidate is compared with: the index's hash, size and permission bits.
type Expected = ([u8; 32], u64, u32);

/// Walks `root` and compares it with `index` (sorted by path bytes, as the walk is). Returns,
/// in path order: index entries missing from the worktree, walked entries the index lacks,
/// and entries present in both that differ or could not be trusted (those found equal — files
/// read, directories and symlinks compared — come back `same`). Entries named `.READY` are
/// never part of a payload and are not listed. Neither the walk nor the index is held whole:
/// they are merged as they come, so memory follows the differences and one directory listing
/// per level, not the size of the tree.
pub fn scan<'a>(root: &std::path::Path, index: impl IntoIterator<Item = IndexEntry<'a>>, trust: Trust, ctx: &Ctx) -> Result<Vec<Difference>> {
    scan_reading(root, index, trust, true, ctx)
}

/// [`scan`], reading nothing when `read` is false: a file of the index's size whose identity
/// is not trusted is then listed as any other difference (never `same`). For a snapshot, which
/// hashes its clone of every difference anyway: reading the worktree's copy too read each
/// changed file twice.
pub fn scan_reading<'a>(root: &std::path::Path, index: impl IntoIterator<Item = IndexEntry<'a>>, trust: Trust, read: bool, ctx: &Ctx) -> Result<Vec<Difference>> {
    let mut m = Merge::new(root, trust, false, read)?;
    m.merge_walk(root, &[], index, ctx)?;
    m.finish(root, ctx)
}

/// The comparison both scans share: differences as they are found, and the files to read.
struct Merge {
    dev: u64,
    trust: Trust,
    /// Whether files of the index's size are read to tell `same` ([`scan_reading`]).
    read: bool,
    out: Vec<Difference>,
    /// The path of each difference (the walked entry's, or the index's), kept only by a scan
    /// that finds them out of order (a focused one), to sort them by.
    keys: Option<Vec<Vec<u8>>>,
    /// Positions in `out` of files to read, with what the index expects of them.
    to_read: Vec<(usize, Expected)>,
}

impl Merge {
    fn new(root: &std::path::Path, trust: Trust, unordered: bool, read: bool) -> Result<Self> {
        let dev = std::fs::metadata(root).map_err(|e| Error::io("stat", path_bytes(root), &e))?.dev();
        Ok(Merge { dev, trust, read, out: Vec::new(), keys: unordered.then(Vec::new), to_read: Vec::new() })
    }

    /// Records a difference; `index_path` is its path when it has no walked entry.
    fn push(&mut self, d: Difference, index_path: &[u8]) {
        if let Some(keys) = &mut self.keys {
            keys.push(d.entry.as_ref().map_or(index_path, |e| &e.path).to_vec());
        }
        self.out.push(d);
    }

    fn removed(&mut self, x: &IndexEntry) {
        self.push(Difference::new(Some(x.at), None), x.path);
    }

    /// Walks the directory `rel` of `root` (the root itself when empty) and merges what is
    /// under it with `index`, which holds exactly the index's entries under it.
    fn merge_walk<'a>(&mut self, root: &std::path::Path, rel: &[u8], index: impl IntoIterator<Item = IndexEntry<'a>>, ctx: &Ctx) -> Result<()> {
        let mut xs = index.into_iter().peekable();
        walk_sorted(root, rel, ctx, &mut |w: Entry| {
            if w.name() == READY_NAME {
                return Ok(());
            }
            while let Some(x) = xs.next_if(|x| x.path < w.path.as_slice()) {
                self.removed(&x);
            }
            let x = xs.next_if(|x| x.path == w.path.as_slice());
            self.compare(w, x.as_ref());
            Ok(())
        })?;
        xs.for_each(|x| self.removed(&x));
        Ok(())
    }

    /// Compares the walked entry `w` with the index's entry at its path, if any.
    fn compare(&mut self, w: Entry, x: Option<&IndexEntry>) {
        let foreign = w.dev != self.dev;
        let Some(x) = x else {
            let hash = w.target.as_deref().map(sha256);
            return self.push(Difference { hash, foreign, ..Difference::new(None, Some(w)) }, &[]);
        };
        let at = Some(x.at);
        if trusted(&w, x, &self.trust) {
            // Listed anyway when foreign, for a caller that must know of other devices.
            if foreign {
                let hash = (w.kind != Kind::Dir).then_some(x.hash);
                self.push(Difference { hash, same: true, stable: true, foreign: true, ..Difference::new(at, Some(w)) }, &[]);
            }
            return;
        }
        // Not trusted but found equal: listed as `same` (its identity may be remembered).
        let equal = |w: Entry, hash: Option<[u8; 32]>| Difference { hash, same: true, stable: true, foreign, ..Difference::new(at, Some(w)) };
        let d = match (w.kind, x.kind) {
            (Kind::Dir, RecordKind::Dir) if w.perm() == x.perm => equal(w, None),
            (Kind::Symlink, _) => {
                let hash = sha256(w.target.as_deref().unwrap_or_default());
                if x.kind == RecordKind::Symlink && hash == x.hash && w.perm() == x.perm {
                    equal(w, Some(hash))
                } else {
                    Difference { hash: Some(hash), foreign, ..Difference::new(at, Some(w)) }
                }
            }
            (Kind::File, RecordKind::File) if w.size == x.size && self.read => {
                self.to_read.push((self.out.len(), (x.hash, x.size, x.perm)));
                Difference { foreign, ..Difference::new(at, Some(w)) }
            }
            _ => Difference { foreign, ..Difference::new(at, Some(w)) },
        };
        self.push(d, &[]);
    }

    /// Reads the candidates and returns the differences in path order.
    fn finish(mut self, root: &std::path::Path, ctx: &Ctx) -> Result<Vec<Difference>> {
        read_candidates(root, &mut self.out, &self.to_read, ctx)?;
        // A whole scan finds its differences in order; a focused one sorts them.
        let Some(keys) = self.keys else { return Ok(self.out) };
        let mut keyed: Vec<(Vec<u8>, Difference)> = keys.into_iter().zip(self.out).collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(keyed.into_iter().map(|(_, d)| d).collect())
    }
}

/// What [`vouch`] found: identities to remember, by index entry.
#[derive(Debug, Default)]
pub struct Vouched {
    pub ids: Vec<(usize, StatId)>,
    /// The first entry met on another device than the root (a mount, a nested subvolume).
    pub foreign: Option<Vec<u8>>,
}

/// The identities under which the entries of `root` hold the index's records, for an index
/// just made from a copy of `root` that began at `before` (ns): an entry of the record's kind,
/// permission bits and size (a symlink: target) whose mtime and ctime precede `before` was
/// not touched since the copy began — ctime only moves forward — so the copy, and the record,
/// hold it. Nothing is read. Entries changed since are left out (read when next looked at).
pub fn vouch<'a>(root: &std::path::Path, index: impl IntoIterator<Item = IndexEntry<'a>>, before: i64, ctx: &Ctx) -> Result<Vouched> {
    let dev = std::fs::metadata(root).map_err(|e| Error::io("stat", path_bytes(root), &e))?.dev();
    let mut out = Vouched::default();
    let mut xs = index.into_iter().peekable();
    walk_sorted(root, &[], ctx, &mut |w: Entry| {
        if w.dev != dev && out.foreign.is_none() {
            out.foreign = Some(w.path.clone());
        }
        while xs.next_if(|x| x.path < w.path.as_slice()).is_some() {}
        let Some(x) = xs.next_if(|x| x.path == w.path.as_slice()) else { return Ok(()) };
        let holds = w.perm() == x.perm
            && match (w.kind, x.kind) {
                (Kind::Dir, RecordKind::Dir) => true,
                (Kind::File, RecordKind::File) => w.size == x.size,
                (Kind::Symlink, RecordKind::Symlink) => sha256(w.target.as_deref().unwrap_or_default()) == x.hash,
                _ => false,
            };
        if holds && w.mtime_ns < before && w.ctime_ns < before {
            out.ids.push((x.at, stat_id(&w)));
        }
        Ok(())
    })?;
    Ok(out)
}

/// An index that can be read from any path on: the index of a focused scan.
pub trait SeekIndex<'a> {
    /// The index's entries, in path order, from the first whose path is `from` or after it.
    fn entries_from(&self, from: &[u8]) -> Box<dyn Iterator<Item = IndexEntry<'a>> + '_>;

    /// Whether a path of the index has a `.READY` component (below a directory so named).
    fn holds_ready(&self) -> bool {
        self.entries_from(b"").any(|x| has_ready(x.path))
    }
}

/// Whether a path has a component named `.READY`.
pub fn has_ready(path: &[u8]) -> bool {
    path.split(|&b| b == b'/').any(|c| c == READY_NAME)
}

impl<'a> SeekIndex<'a> for Vec<IndexEntry<'a>> {
    fn entries_from(&self, from: &[u8]) -> Box<dyn Iterator<Item = IndexEntry<'a>> + '_> {
        let i = self.partition_point(|x| x.path < from);
        Box::new(self[i..].iter().cloned())
    }
}

/// `p/`: what every path under `p` starts with.
fn below(p: &[u8]) -> Vec<u8> {
    let mut b = p.to_vec();
    b.push(b'/');
    b
}

/// The index's entries under `p` (not `p` itself), in order.
fn under<'i, 'a>(index: &'i dyn SeekIndex<'a>, p: &[u8]) -> impl Iterator<Item = IndexEntry<'a>> + 'i {
    let prefix = if p.is_empty() { Vec::new() } else { below(p) };
    index.entries_from(&prefix).take_while(move |x| x.path.starts_with(&prefix))
}

/// How a focused scan looks at one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// The entry may differ from the index's. If it is a directory, it is the directory the
    /// index describes at that path: what may differ in it is in the focus too, except its
    /// entries, which are compared by name with the index's (new names walked whole, missing
    /// ones removed with what the index holds under them).
    Entry,
    /// A directory not known to be the one the index describes there: it and everything
    /// under it are compared, as a whole scan does.
    Whole,
}

/// Where a focused scan looks, sorted by path.
pub type Focus = Vec<(Vec<u8>, Look)>;

/// Compares `root` with `index` at the paths of `focus` only (sorted by path, `""` the root),
/// trusting every other path to be the index's — for a tree whose changes since the index
/// was true are known (src/since.rs). Returns what [`scan`] would, or None where a focus cannot
/// stand in for the walk: a `.READY` entry below the root (in the index, the focus or a
/// listing: what lies under one follows the whole scan's rules), or a name the index knows,
/// in a directory compared by name, that is now another subvolume or a mount point (which no
/// changed inode shows: its directory entry points into another tree).
pub fn scan_focused<'a>(root: &std::path::Path, index: &dyn SeekIndex<'a>, focus: &Focus, trust: Trust, ctx: &Ctx) -> Result<Option<Vec<Difference>>> {
    if index.holds_ready() || focus.iter().any(|(p, _)| has_ready(p)) {
        return Ok(None);
    }
    ctx.begin(Phase::Walk, 0, 0);
    let mut m = Merge::new(root, trust, true, true)?;
    let focused: std::collections::HashSet<&[u8]> = focus.iter().map(|(p, _)| p.as_slice()).collect();
    // Directories compared whole: nothing under them is looked at again.
    let mut whole: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    let in_whole = |whole: &std::collections::HashSet<&[u8]>, p: &[u8]| {
        p.iter().enumerate().filter(|(_, &b)| b == b'/').any(|(i, _)| whole.contains(&p[..i])) || whole.contains(&b""[..])
    };
    for (p, look) in focus {
        ctx.check()?;
        if in_whole(&whole, p) {
            continue;
        }
        let x = if p.is_empty() { None } else { index.entries_from(p).next().filter(|x| x.path == p.as_slice()) };
        let w = if p.is_empty() { None } else { Some(stat_entry(root, p)?) };
        let dir = w.as_ref().is_none_or(|w| w.kind == Kind::Dir);
        let known_dir = p.is_empty() || x.as_ref().is_some_and(|x| x.kind == RecordKind::Dir);
        if let Some(w) = w {
            m.compare(w, x.as_ref());
        }
        if !dir {
            // What the index holds under a directory that is now something else is gone.
            under(index, p).for_each(|x| m.removed(&x));
        } else if *look == Look::Whole || !known_dir {
            m.merge_walk(root, p, under(index, p), ctx)?;
            whole.insert(p);
        } else if !compare_names(&mut m, root, p, index, &focused, ctx)? {
            return Ok(None);
        }
        ctx.add_entries(1);
    }
    m.finish(root, ctx).map(Some)
}

/// The names in directory `p` against the index's entries there: names the index lacks are
/// walked whole (unless focused themselves); names it has that are gone are removed, with
/// everything under them. Names in both, not focused, are the index's — unless one is now a
/// directory of another subvolume or mount: then false, the focus cannot say (as for a
/// `.READY` name).
fn compare_names<'a>(m: &mut Merge, root: &std::path::Path, p: &[u8], index: &dyn SeekIndex<'a>, focused: &std::collections::HashSet<&[u8]>, ctx: &Ctx) -> Result<bool> {
    let child = |name: &[u8]| if p.is_empty() { name.to_vec() } else { [&below(p)[..], name].concat() };
    let mut names: Vec<(Vec<u8>, bool)> = list_names(root, p)?.into_iter().map(|(n, dir)| (child(&n), dir)).collect();
    names.sort_unstable();
    let mut known = under(index, p).filter(|x| !x.path[p.len()..].iter().skip(usize::from(!p.is_empty())).any(|&b| b == b'/')).peekable();
    let mut gone: Vec<Vec<u8>> = Vec::new();
    for (name, is_dir) in &names {
        while let Some(x) = known.next_if(|x| x.path < name.as_slice()) {
            gone.push(x.path.to_vec());
        }
        if base_name(name) == READY_NAME {
            return Ok(false);
        }
        let is_known = known.next_if(|x| x.path == name.as_slice()).is_some();
        if focused.contains(name.as_slice()) {
            continue;
        }
        if is_known {
            // A nested subvolume shows as an empty directory of its own device, inode 2.
            if *is_dir {
                let w = stat_entry(root, name)?;
                if w.dev != m.dev || w.ino == 2 {
                    return Ok(false);
                }
            }
            continue;
        }
        let w = stat_entry(root, name)?;
        let walk_it = w.kind == Kind::Dir;
        m.compare(w, None);
        if walk_it {
            m.merge_walk(root, name, std::iter::empty(), ctx)?;
        }
    }
    gone.extend(known.map(|x| x.path.to_vec()));
    for g in gone {
        let x = index.entries_from(&g).next().expect("an index entry just listed");
        m.removed(&x);
        under(index, &g).for_each(|x| m.removed(&x));
    }
    Ok(true)
}

/// Reads the files of `to_read` in parallel, settling `hash`, `same` and `stable`.
fn read_candidates(root: &std::path::Path, out: &mut [Difference], to_read: &[(usize, Expected)], ctx: &Ctx) -> Result<()> {
    let bytes: u64 = to_read.iter().map(|(_, (_, size, _))| size).sum();
    ctx.begin(Phase::Hash, to_read.len() as u64, bytes);
    let view: &[Difference] = out;
    let results: Vec<(usize, [u8; 32], bool, bool)> = pool::cpu().install(|| {
        to_read
            .par_iter()
            .map_init(|| vec![0u8; BUF_SIZE], |buf, &(i, (want_hash, want_size, want_perm))| {
                let w = view[i].entry.as_ref().expect("a read candidate was walked");
                let (hash, size, _) = hash_file(&w.abs(root), &w.path, buf, ctx)?;
                let same = hash == want_hash && size == want_size && w.perm() == want_perm;
                // The identity may be remembered only if nothing touched the file meanwhile.
                let stable = same && stat_entry(root, &w.path).is_ok_and(|now| stat_id(&now) == stat_id(w));
                ctx.add_entries(1);
                Ok((i, hash, same, stable))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    for (i, hash, same, stable) in results {
        let d = &mut out[i];
        d.hash = Some(hash);
        d.same = same;
        d.stable = stable;
    }
    Ok(())
}

/// What an index describes: the payload root hash (CONTRACT §4) of its records — what a tree
/// holding exactly them hashes to — and how many of each kind it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSummary {
    pub root_hash: [u8; 32],
    pub dirs: u64,
    pub files: u64,
    pub symlinks: u64,
}

/// `index` is asked for the entries once per kind present: lines sort by kind first
/// (CONTRACT §4: `kind:path:...`), then by `path:` — which is path order except where a path
/// is followed, in a longer one, by a byte below `:` (`a` comes after `a-b`, `a.c`, `a/x` and
/// `a0`). Such an entry waits on a stack until the index has passed what sorts before it, so
/// each line is formatted as it is hashed and none is kept: memory is the depth of the
/// stack, not the size of the tree. A path holding `:` itself could compare past the path
/// into the rest of the line; then the lines are built and sorted instead.
pub fn summarize_index<'a, I: Iterator<Item = IndexEntry<'a>>>(index: impl Fn() -> I) -> IndexSummary {
    std::thread::scope(|scope| {
        let mut counts = [0u64; 3];
        let rank = |k: RecordKind| k as usize;
        let mut h = Batched::new(scope);
        let mut colon = false;
        'kinds: for kind in [RecordKind::Dir, RecordKind::File, RecordKind::Symlink] {
            // The first pass counts every kind; a kind absent is not looked for again.
            if kind != RecordKind::Dir && counts[rank(kind)] == 0 {
                continue;
            }
            let mut waiting: Vec<IndexEntry> = Vec::new();
            for x in index() {
                if kind == RecordKind::Dir {
                    counts[rank(x.kind)] += 1;
                }
                if x.kind != kind {
                    continue;
                }
                if x.path.contains(&b':') {
                    colon = true;
                    break 'kinds;
                }
                // What waits on top sorts after `x` when `x` extends it with a byte below `:`.
                while let Some(top) = waiting.pop_if(|top| !(x.path.starts_with(top.path) && x.path[top.path.len()] < b':')) {
                    h.line(&top);
                }
                waiting.push(x);
            }
            waiting.iter().rev().for_each(|x| h.line(x));
        }
        if !colon {
            let [dirs, files, symlinks] = counts;
            return IndexSummary { root_hash: h.finish(), dirs, files, symlinks };
        }
        // The lines made whole and sorted as hash_tree sorts them (what was hashed is dropped).
        drop(h);
        let records: Vec<Record> = index().map(|x| Record { kind: x.kind, path: x.path.to_vec(), perm: x.perm, size: x.size, hash: x.hash, target: None }).collect();
        let count = |k: RecordKind| records.iter().filter(|r| r.kind == k).count() as u64;
        let [dirs, files, symlinks] = [RecordKind::Dir, RecordKind::File, RecordKind::Symlink].map(count);
        IndexSummary { root_hash: assemble(records).root_hash, dirs, files, symlinks }
    })
}

/// SHA-256 of manifest lines, formatted into buffers that a second thread hashes as they fill:
/// at a million lines formatting and hashing cost about as much, so they overlap.
struct Batched<'scope> {
    buf: Vec<u8>,
    full: SyncSender<Vec<u8>>,
    emptied: Receiver<Vec<u8>>,
    hasher: ScopedJoinHandle<'scope, [u8; 32]>,
}

impl<'scope> Batched<'scope> {
    const BATCH: usize = 256 * 1024;

    fn new<'env>(scope: &'scope Scope<'scope, 'env>) -> Self {
        let (full, to_hash) = sync_channel::<Vec<u8>>(2);
        let (give_back, emptied) = channel::<Vec<u8>>();
        let hasher = scope.spawn(move || {
            let mut h = Sha256::new();
            for mut b in to_hash {
                h.update(&b);
                b.clear();
                // The formatter reuses the buffer, unless it has finished.
                let _ = give_back.send(b);
            }
            h.finalize().into()
        });
        Batched { buf: Vec::with_capacity(Self::BATCH + 4096), full, emptied, hasher }
    }

    fn line(&mut self, x: &IndexEntry) {
        write_line(&mut self.buf, x.kind, x.path, x.perm, x.size, &x.hash);
        self.buf.push(b'\n');
        if self.buf.len() >= Self::BATCH {
            let next = self.emptied.try_recv().unwrap_or_else(|_| Vec::with_capacity(Self::BATCH + 4096));
            let full = std::mem::replace(&mut self.buf, next);
            self.full.send(full).expect("the hasher runs until the sender is dropped");
        }
    }

    fn finish(self) -> [u8; 32] {
        let Batched { buf, full, hasher, .. } = self;
        full.send(buf).expect("the hasher runs until the sender is dropped");
        drop(full);
        hasher.join().expect("hashing does not panic")
    }
}
