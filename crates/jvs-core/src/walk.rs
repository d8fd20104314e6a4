//! Parallel tree walk. lstat only (symlinks are never followed), names as raw bytes,
//! special files reported but never opened, result sorted by path bytes so that the order is
//! deterministic and every directory precedes its contents.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Mutex;

use crate::ctx::{Ctx, Phase};
use crate::error::{path_bytes, Code, Error, Result};
use crate::pool;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Fifo,
    Socket,
    CharDev,
    BlockDev,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dir => "dir",
            Kind::File => "file",
            Kind::Symlink => "symlink",
            Kind::Fifo => "fifo",
            Kind::Socket => "socket",
            Kind::CharDev => "chardev",
            Kind::BlockDev => "blockdev",
        }
    }

    pub fn is_special(self) -> bool {
        matches!(self, Kind::Fifo | Kind::Socket | Kind::CharDev | Kind::BlockDev)
    }

    /// The word CONTRACT §2.3 uses in `unsupported file type (<word>)`.
    pub fn contract_word(self) -> &'static str {
        match self {
            Kind::Fifo => "fifo",
            Kind::Socket => "socket",
            _ => "device",
        }
    }

    /// Kind from the type bits of an st_mode.
    pub fn from_mode(mode: u32) -> Kind {
        match mode & libc::S_IFMT {
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFREG => Kind::File,
            libc::S_IFLNK => Kind::Symlink,
            libc::S_IFIFO => Kind::Fifo,
            libc::S_IFSOCK => Kind::Socket,
            libc::S_IFCHR => Kind::CharDev,
            _ => Kind::BlockDev,
        }
    }

    fn from_file_type(ft: fs::FileType) -> Kind {
        if ft.is_symlink() {
            Kind::Symlink
        } else if ft.is_dir() {
            Kind::Dir
        } else if ft.is_file() {
            Kind::File
        } else if ft.is_fifo() {
            Kind::Fifo
        } else if ft.is_socket() {
            Kind::Socket
        } else if ft.is_char_device() {
            Kind::CharDev
        } else {
            Kind::BlockDev
        }
    }
}

/// One entry under the walked root, with its lstat data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Raw name bytes relative to the root, `/`-separated; never empty.
    pub path: Vec<u8>,
    pub kind: Kind,
    /// Full st_mode, type bits included.
    pub mode: u32,
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    /// Symlink target (symlinks only).
    pub target: Option<Vec<u8>>,
}

impl Entry {
    pub fn perm(&self) -> u32 {
        self.mode & 0o777
    }

    /// Base name: the bytes after the last `/`.
    pub fn name(&self) -> &[u8] {
        base_name(&self.path)
    }

    /// Absolute location of this entry under `root`.
    pub fn abs(&self, root: &Path) -> PathBuf {
        join_rel(root, &self.path)
    }

    /// Absolute location of this entry, given its parent directory's.
    fn abs_under(&self, dir: &Path) -> PathBuf {
        dir.join(std::ffi::OsStr::from_bytes(self.name()))
    }
}

pub fn base_name(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

pub fn join_rel(root: &Path, rel: &[u8]) -> PathBuf {
    root.join(std::ffi::OsStr::from_bytes(rel))
}

pub(crate) fn ns(sec: i64, nsec: i64) -> i64 {
    sec.saturating_mul(1_000_000_000).saturating_add(nsec)
}

fn entry_from(rel: Vec<u8>, abs: &Path, md: &fs::Metadata) -> Result<Entry> {
    let kind = Kind::from_file_type(md.file_type());
    let target = if kind == Kind::Symlink {
        let t = fs::read_link(abs).map_err(|e| Error::io("readlink", &rel, &e))?;
        Some(path_bytes(&t).to_vec())
    } else {
        None
    };
    Ok(Entry {
        kind,
        mode: md.mode(),
        size: md.size(),
        mtime_ns: ns(md.mtime(), md.mtime_nsec()),
        ctime_ns: ns(md.ctime(), md.ctime_nsec()),
        dev: md.dev(),
        ino: md.ino(),
        nlink: md.nlink(),
        uid: md.uid(),
        gid: md.gid(),
        target,
        path: rel,
    })
}

/// lstat of one entry `rel` under `root` (symlinks not followed).
pub fn stat_entry(root: &Path, rel: &[u8]) -> Result<Entry> {
    let abs = join_rel(root, rel);
    let md = fs::symlink_metadata(&abs).map_err(|e| Error::io("lstat", rel, &e))?;
    entry_from(rel.to_vec(), &abs, &md)
}

/// Lists every entry under `root` (which must be a directory; a symlink naming one is
/// followed for the root only). Parallel per directory on the core's pool.
pub fn walk(root: &Path, ctx: &Ctx) -> Result<Vec<Entry>> {
    let md = fs::metadata(root).map_err(|e| Error::io("stat", path_bytes(root), &e))?;
    if !md.is_dir() {
        return Err(Error::io(
            "walk",
            path_bytes(root),
            &std::io::Error::from_raw_os_error(libc::ENOTDIR),
        ));
    }
    ctx.begin(Phase::Walk, 0, 0);
    let state = WalkState { out: Mutex::new(Vec::new()), error: Mutex::new(None), failed: AtomicBool::new(false), ctx };
    pool::cpu().install(|| {
        rayon::scope(|s| visit(s, root.to_path_buf(), Vec::new(), &state));
    });
    if let Some(e) = state.error.into_inner().unwrap() {
        return Err(e);
    }
    let mut out = state.out.into_inner().unwrap();
    out.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    // Grown by doubling: up to twice what it holds, for as long as the caller keeps it.
    out.shrink_to_fit();
    Ok(out)
}

struct WalkState<'a> {
    out: Mutex<Vec<Entry>>,
    /// The failure with the smallest path wins, so the reported error does not depend on
    /// thread timing.
    error: Mutex<Option<Error>>,
    failed: AtomicBool,
    ctx: &'a Ctx,
}

impl WalkState<'_> {
    fn fail(&self, e: Error) {
        self.failed.store(true, Relaxed);
        let mut slot = self.error.lock().unwrap();
        // Cancellation wins over everything (the caller asked for it); otherwise the
        // smallest path.
        let better = match slot.as_ref() {
            None => true,
            Some(old) if old.code == Code::Cancelled => false,
            Some(_) if e.code == Code::Cancelled => true,
            Some(old) => e.path < old.path,
        };
        if better {
            *slot = Some(e);
        }
    }
}

fn visit<'s>(s: &rayon::Scope<'s>, abs: PathBuf, rel: Vec<u8>, st: &'s WalkState<'s>) {
    if st.failed.load(Relaxed) {
        return;
    }
    if let Err(e) = st.ctx.check() {
        return st.fail(e);
    }
    let local = match read_entries(&abs, &rel) {
        Ok(local) => local,
        Err(e) => return st.fail(e),
    };
    for entry in local.iter().filter(|e| e.kind == Kind::Dir) {
        let (child_abs, r) = (entry.abs_under(&abs), entry.path.clone());
        s.spawn(move |s| visit(s, child_abs, r, st));
    }
    st.ctx.add_entries(local.len() as u64);
    st.ctx.add_entries_total(local.len() as u64);
    st.out.lock().unwrap().extend(local);
}

/// How a directory at `rel` is named in errors: `.` for the root.
fn shown(rel: &[u8]) -> &[u8] {
    if rel.is_empty() {
        b"."
    } else {
        rel
    }
}

/// The entries of one directory (`abs`, at `rel` under the walk's root), lstat'ed, unsorted.
fn read_entries(abs: &Path, rel: &[u8]) -> Result<Vec<Entry>> {
    let shown = shown(rel);
    let rd = fs::read_dir(abs).map_err(|e| Error::io("opendir", shown, &e))?;
    let mut local = Vec::new();
    for item in rd {
        let de = item.map_err(|e| Error::io("readdir", shown, &e))?;
        let name = de.file_name();
        let mut child_rel = Vec::with_capacity(rel.len() + 1 + name.len());
        if !rel.is_empty() {
            child_rel.extend_from_slice(rel);
            child_rel.push(b'/');
        }
        child_rel.extend_from_slice(name.as_bytes());
        let child_abs = abs.join(&name);
        // DirEntry::metadata is fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW): no path re-lookup.
        let md = de.metadata().map_err(|e| Error::io("lstat", &child_rel, &e))?;
        local.push(entry_from(child_rel, &child_abs, &md)?);
    }
    Ok(local)
}

/// Visits every entry under `root` (a directory; a symlink naming one is followed for the
/// root only) in the order [`walk`] returns them — path bytes — without holding the tree:
/// sorted directory listings along the current path, and a few listed ahead on the core's pool
/// (`LIST_AHEAD` per level) so that listing and lstat run in parallel with the consumer. A
/// directory's subtree sorts as its name followed by `/`, which is where its paths fall among
/// its siblings' (`a`, `a-b`, `a/x`). For a consumer that merges the walk with another sorted
/// list as it goes. It waits for the listings it started, so it must not run on the pool itself.
/// `rel` names the directory of `root` to walk (the root itself when empty); paths stay
/// relative to `root`.
pub fn walk_sorted(root: &Path, rel: &[u8], ctx: &Ctx, visit: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
    let dir = join_rel(root, rel);
    let md = fs::metadata(&dir).map_err(|e| Error::io("stat", path_bytes(&dir), &e))?;
    if !md.is_dir() {
        return Err(Error::io("walk", path_bytes(&dir), &std::io::Error::from_raw_os_error(libc::ENOTDIR)));
    }
    ctx.begin(Phase::Walk, 0, 0);
    visit_listing(list_dir(&dir, rel)?, ctx, visit)
}

/// The names in directory `rel` of `root`, unsorted, each with whether it is a directory — from
/// the directory itself (d_type), without a stat where the file system gives the type.
pub fn list_names(root: &Path, rel: &[u8]) -> Result<Vec<(Vec<u8>, bool)>> {
    let shown = shown(rel);
    let rd = fs::read_dir(join_rel(root, rel)).map_err(|e| Error::io("opendir", shown, &e))?;
    rd.map(|item| {
        let de = item.map_err(|e| Error::io("readdir", shown, &e))?;
        let dir = de.file_type().map_err(|e| Error::io("lstat", shown, &e))?.is_dir();
        Ok((de.file_name().as_bytes().to_vec(), dir))
    })
    .collect()
}

/// Subdirectories listed ahead of the consumer, per level.
const LIST_AHEAD: usize = 4;

enum Listed {
    Entry(Entry),
    Subtree(PathBuf, Vec<u8>),
}

type Listing = Vec<(Vec<u8>, Listed)>;

/// One directory's entries and subtrees, sorted by their keys.
fn list_dir(abs: &Path, rel: &[u8]) -> Result<Listing> {
    let mut listed: Listing = Vec::new();
    for entry in read_entries(abs, rel)? {
        let name = entry.name().to_vec();
        if entry.kind == Kind::Dir {
            let mut key = name.clone();
            key.push(b'/');
            listed.push((key, Listed::Subtree(entry.abs_under(abs), entry.path.clone())));
        }
        listed.push((name, Listed::Entry(entry)));
    }
    listed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(listed)
}

/// A subdirectory being listed on the pool.
fn list_ahead(abs: PathBuf, rel: Vec<u8>) -> std::sync::mpsc::Receiver<Result<Listing>> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    pool::cpu().spawn(move || {
        let _ = tx.send(list_dir(&abs, &rel));
    });
    rx
}

fn visit_listing(listing: Listing, ctx: &Ctx, visit: &mut dyn FnMut(Entry) -> Result<()>) -> Result<()> {
    ctx.check()?;
    ctx.add_entries(listing.iter().filter(|(_, l)| matches!(l, Listed::Entry(_))).count() as u64);
    let mut subtrees: std::collections::VecDeque<(PathBuf, Vec<u8>)> = std::collections::VecDeque::new();
    let mut items = Vec::with_capacity(listing.len());
    for (_, item) in listing {
        match item {
            Listed::Subtree(abs, rel) => {
                subtrees.push_back((abs, rel));
                items.push(None);
            }
            Listed::Entry(e) => items.push(Some(e)),
        }
    }
    let mut pending = std::collections::VecDeque::new();
    let mut start_next = |pending: &mut std::collections::VecDeque<_>| {
        if let Some((abs, rel)) = subtrees.pop_front() {
            pending.push_back(list_ahead(abs, rel));
        }
    };
    for _ in 0..LIST_AHEAD {
        start_next(&mut pending);
    }
    for item in items {
        match item {
            Some(e) => visit(e)?,
            None => {
                let rx: std::sync::mpsc::Receiver<Result<Listing>> = pending.pop_front().expect("a subtree was listed ahead");
                start_next(&mut pending);
                let listing = rx.recv().map_err(|_| Error::new(Code::Io, "internal error: a directory listing was lost"))??;
                visit_listing(listing, ctx, visit)?;
            }
        }
    }
    Ok(())
}
