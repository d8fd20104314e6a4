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
    let shown: &[u8] = if rel.is_empty() { b"." } else { &rel };
    let rd = match fs::read_dir(&abs) {
        Ok(rd) => rd,
        Err(e) => return st.fail(Error::io("opendir", shown, &e)),
    };
    let mut local = Vec::new();
    for item in rd {
        let de = match item {
            Ok(de) => de,
            Err(e) => return st.fail(Error::io("readdir", shown, &e)),
        };
        let name = de.file_name();
        let mut child_rel = Vec::with_capacity(rel.len() + 1 + name.len());
        if !rel.is_empty() {
            child_rel.extend_from_slice(&rel);
            child_rel.push(b'/');
        }
        child_rel.extend_from_slice(name.as_bytes());
        let child_abs = abs.join(&name);
        // DirEntry::metadata is fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW): no path re-lookup.
        let md = match de.metadata() {
            Ok(md) => md,
            Err(e) => return st.fail(Error::io("lstat", &child_rel, &e)),
        };
        let entry = match entry_from(child_rel, &child_abs, &md) {
            Ok(en) => en,
            Err(e) => return st.fail(e),
        };
        if entry.kind == Kind::Dir {
            let r = entry.path.clone();
            s.spawn(move |s| visit(s, child_abs, r, st));
        }
        local.push(entry);
    }
    st.ctx.add_entries(local.len() as u64);
    st.ctx.add_entries_total(local.len() as u64);
    st.out.lock().unwrap().extend(local);
}
