//! The reflink and copy engines: build the destination entry by entry.
//!
//! Order: the destination root and every directory (mode 0700, so children can be made whatever
//! the final mode; a umask that takes owner bits away is not supported), then files and symlinks in parallel on the core's pool, then each
//! directory's owner, xattrs, mode and times deepest first — after all of its children, so
//! creating them cannot bump its mtime — and the root last.
//!
//! Files are handled in units of up to [`UNIT`] entries of one directory: each unit opens the
//! source and destination directory once and then works with dirfd-relative openat, which
//! keeps the per-file cost at create + clone + the metadata calls (research/perf-anchors §2d,
//! §4.4). Threads = cores: more threads measured slower for FICLONE.

use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use rayon::prelude::*;

use super::content;
use super::meta::{self, Meta, Node, Owners};
use super::sys::{self, cpath, cstr};
use super::{Engine, Fallback, LinkFrom};
use crate::ctx::{Ctx, Phase};
use crate::error::{path_bytes, Code, Error, Result};
use crate::pool;
use crate::walk::{base_name, join_rel, Entry, Kind};

use super::plan::Plan;

/// Files per work unit: large enough to amortise opening the two directories, small enough
/// to spread one big directory over all threads.
const UNIT: usize = 64;

/// How the root is named in per-entry reports.
pub(crate) const ROOT: &[u8] = b".";

#[derive(Default)]
pub(crate) struct Outcome {
    /// Bytes of file content, as the sources' sizes were when each was cloned.
    pub bytes: u64,
    /// Files cloned by the requested reflink mechanism.
    pub reflinked: u64,
    /// Files hard-linked from the `link_from` tree.
    pub linked: u64,
    pub fallbacks: Vec<Fallback>,
    pub xattrs_skipped: Vec<Vec<u8>>,
}

impl Outcome {
    fn merge(&mut self, o: Outcome) {
        self.bytes += o.bytes;
        self.reflinked += o.reflinked;
        self.linked += o.linked;
        self.fallbacks.extend(o.fallbacks);
        self.xattrs_skipped.extend(o.xattrs_skipped);
    }
}

/// Clones `plan` (walked from `src`) into the new directory `dst` with `engine` (Reflink or
/// Copy). On any failure or cancellation nothing is left at `dst`.
pub(crate) fn clone(src: &Path, dst: &Path, plan: &Plan, engine: Engine, link_from: Option<&LinkFrom>, ctx: &Ctx) -> Result<Outcome> {
    let parent = super::parent_of(dst);
    // stat, not lstat: a parent given as a symlink is the directory the entries go into.
    let parent_st = cpath(parent).and_then(|p| sys::stat(&p)).map_err(|e| Error::io("stat", path_bytes(parent), &e))?;
    let job = Job {
        src,
        dst,
        plan,
        engine,
        ctx,
        owners: Owners::new(sys::mode(&parent_st)),
        stop: AtomicBool::new(false),
        link_from,
    };
    let dst_c = cpath(dst).map_err(|e| Error::io("mkdir", path_bytes(dst), &e))?;
    sys::mkdir(&dst_c, 0o700).map_err(|e| Error::io("mkdir", path_bytes(dst), &e))?;
    let result = pool::cpu().install(|| job.run());
    if result.is_err() {
        super::remove_tree(dst);
    }
    result
}

/// Where one file or symlink goes: its name in the open destination directory and its full
/// path (for the calls that take paths). A tree clone keeps each entry's own name; staging
/// ([`materialize`]) names entries by their position.
struct Dest<'a> {
    name: &'a [u8],
    abs: std::path::PathBuf,
}

/// Materializes single files and symlinks of `src_root` (`plan.entries`, any directories) as
/// `<dst_dir>/<index>` with `engine`, each with its exact mode, times and (as root) owner:
/// restore stages replacements this way. `dst_dir` must exist; on failure the entries made
/// here are removed.
pub(crate) fn materialize(src_root: &Path, plan: &Plan, dst_dir: &Path, engine: Engine, ctx: &Ctx) -> Result<Outcome> {
    let dir_st = cpath(dst_dir).and_then(|p| sys::stat(&p)).map_err(|e| Error::io("stat", path_bytes(dst_dir), &e))?;
    let job = Job {
        src: src_root,
        dst: dst_dir,
        plan,
        engine,
        ctx,
        owners: Owners::new(sys::mode(&dir_st)),
        stop: AtomicBool::new(false),
        link_from: None,
    };
    ctx.begin(Phase::Clone, plan.total_entries(), plan.bytes);
    let names: Vec<Vec<u8>> = (0..plan.entries.len()).map(|i| i.to_string().into_bytes()).collect();
    let result = pool::cpu().install(|| {
        plan.entries
            .par_iter()
            .zip(names.par_iter())
            .map(|(e, name)| {
                ctx.check()?;
                let parent = &e.path[..e.path.len() - base_name(&e.path).len()];
                let parent = parent.strip_suffix(b"/").unwrap_or(parent);
                let shown = if parent.is_empty() { ROOT } else { parent };
                let sdir = sys::open_dir(&join_rel(src_root, parent)).map_err(|er| Error::io("opendir", shown, &er))?;
                let ddir = sys::open_dir(dst_dir).map_err(|er| Error::io("opendir", path_bytes(dst_dir), &er))?;
                let dest = Dest { name, abs: dst_dir.join(std::ffi::OsStr::from_bytes(name)) };
                let mut out = Outcome::default();
                match e.kind {
                    Kind::File => job.file(sdir.as_fd(), ddir.as_fd(), e, &dest, &mut out)?,
                    Kind::Symlink => job.symlink(sdir.as_fd(), ddir.as_fd(), e, &dest, &mut out)?,
                    _ => return Err(Error::io("materialize", &e.path, &std::io::Error::from_raw_os_error(libc::EISDIR))),
                }
                ctx.add_entries(1);
                Ok(out)
            })
            .collect::<Vec<Result<Outcome>>>()
    });
    let mut out = Outcome::default();
    let mut errors = Vec::new();
    for r in result {
        match r {
            Ok(o) => out.merge(o),
            Err(e) => errors.push(e),
        }
    }
    if let Some(e) = first_error(errors) {
        for name in &names {
            let _ = std::fs::remove_file(dst_dir.join(std::ffi::OsStr::from_bytes(name)));
        }
        return Err(e);
    }
    out.fallbacks.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

struct Job<'a> {
    src: &'a Path,
    dst: &'a Path,
    plan: &'a Plan,
    engine: Engine,
    ctx: &'a Ctx,
    owners: Owners,
    /// Set by the first failing unit so the others stop early.
    stop: AtomicBool,
    link_from: Option<&'a LinkFrom>,
}

impl Job<'_> {
    fn run(&self) -> Result<Outcome> {
        self.ctx.begin(Phase::Clone, self.plan.total_entries(), self.plan.bytes);
        let levels = self.dir_levels();
        for level in &levels {
            self.ctx.check()?;
            level.par_iter().try_for_each(|e| self.make_dir(e))?;
        }
        let mut out = self.leaves()?;
        for level in levels.iter().rev() {
            self.ctx.check()?;
            let skipped: Vec<Vec<u8>> = level
                .par_iter()
                .map(|e| self.finish_dir(&e.path, &e.abs(self.src), &e.abs(self.dst)))
                .collect::<Result<Vec<_>>>()?
                .into_iter()
                .flatten()
                .collect();
            out.xattrs_skipped.extend(skipped);
        }
        // The root: through the canonical source path, so a root given as a symlink yields the
        // directory's own xattrs (the walk followed it as well).
        let src_root = std::fs::canonicalize(self.src).map_err(|e| Error::io("stat", ROOT, &e))?;
        out.xattrs_skipped.extend(self.finish_dir(ROOT, &src_root, self.dst)?);
        out.fallbacks.sort_by(|a, b| a.path.cmp(&b.path));
        out.xattrs_skipped.sort();
        Ok(out)
    }

    /// Directories grouped by depth, parents' level first.
    fn dir_levels(&self) -> Vec<Vec<&Entry>> {
        let mut levels: Vec<Vec<&Entry>> = Vec::new();
        for e in self.plan.entries.iter().filter(|e| e.kind == Kind::Dir) {
            let depth = e.path.iter().filter(|&&c| c == b'/').count();
            if levels.len() <= depth {
                levels.resize_with(depth + 1, Vec::new);
            }
            levels[depth].push(e);
        }
        levels
    }

    fn make_dir(&self, e: &Entry) -> Result<()> {
        let p = cpath(&e.abs(self.dst)).map_err(|er| Error::io("mkdir", &e.path, &er))?;
        sys::mkdir(&p, 0o700).map_err(|er| Error::io("mkdir", &e.path, &er))?;
        self.ctx.add_entries(1);
        Ok(())
    }

    /// Owner, xattrs, mode and times of one directory, after everything inside it exists.
    /// Returns the path when some xattr was skipped.
    fn finish_dir(&self, rel: &[u8], src: &Path, dst: &Path) -> Result<Option<Vec<u8>>> {
        let fail = |op: &str, er: std::io::Error| Error::io(op, rel, &er);
        let s = cpath(src).map_err(|er| fail("stat", er))?;
        let d = cpath(dst).map_err(|er| fail("set attributes of", er))?;
        let st = sys::lstat(&s).map_err(|er| fail("stat", er))?;
        let skipped = meta::apply(Some(Node::Path(&s)), Node::Path(&d), &Meta::of(&st), &self.owners, false)
            .map_err(|er| fail("set attributes of", er))?;
        Ok(skipped.then(|| rel.to_vec()))
    }

    /// Files and symlinks, in parallel units of one directory each.
    fn leaves(&self) -> Result<Outcome> {
        let mut by_parent: HashMap<&[u8], Vec<&Entry>> = HashMap::new();
        for e in self.plan.entries.iter().filter(|e| e.kind != Kind::Dir) {
            let parent = &e.path[..e.path.len() - base_name(&e.path).len()];
            by_parent.entry(parent.strip_suffix(b"/").unwrap_or(parent)).or_default().push(e);
        }
        let units: Vec<(&[u8], &[&Entry])> =
            by_parent.iter().flat_map(|(p, es)| es.chunks(UNIT).map(move |c| (*p, c))).collect();
        let results: Vec<Result<Outcome>> = units.par_iter().map(|(p, es)| self.unit(p, es)).collect();
        let mut out = Outcome::default();
        let mut errors = Vec::new();
        for r in results {
            match r {
                Ok(o) => out.merge(o),
                Err(e) => errors.push(e),
            }
        }
        match first_error(errors) {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    fn unit(&self, parent: &[u8], entries: &[&Entry]) -> Result<Outcome> {
        let mut out = Outcome::default();
        if self.stop.load(Relaxed) {
            return Ok(out);
        }
        let result = (|| {
            let shown = if parent.is_empty() { ROOT } else { parent };
            let sdir = sys::open_dir(&join_rel(self.src, parent)).map_err(|e| Error::io("opendir", shown, &e))?;
            let ddir = sys::open_dir(&join_rel(self.dst, parent)).map_err(|e| Error::io("opendir", shown, &e))?;
            for e in entries {
                if self.stop.load(Relaxed) {
                    break;
                }
                self.ctx.check()?;
                let dest = Dest { name: e.name(), abs: e.abs(self.dst) };
                match e.kind {
                    Kind::File => self.file(sdir.as_fd(), ddir.as_fd(), e, &dest, &mut out)?,
                    _ => self.symlink(sdir.as_fd(), ddir.as_fd(), e, &dest, &mut out)?,
                }
                self.ctx.add_entries(1);
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(out),
            Err(e) => {
                self.stop.store(true, Relaxed);
                Err(e)
            }
        }
    }

    /// Hard-links `e` from the `link_from` tree when that copy matches the source's size,
    /// mtime, permission bits and owner; false when it does not or linking fails (the caller
    /// then copies as usual — linking is an optimisation, never a requirement).
    fn try_link(&self, ddir: BorrowedFd<'_>, e: &Entry, dest: &Dest<'_>) -> bool {
        let Some(from) = self.link_from.filter(|l| l.paths.as_ref().is_none_or(|p| p.contains(&e.path))) else { return false };
        let Ok(src) = cpath(&e.abs(&from.root)) else { return false };
        let Ok(st) = sys::lstat(&src) else { return false };
        let same = sys::mode(&st) & libc::S_IFMT as u32 == libc::S_IFREG as u32
            && st.st_size as u64 == e.size
            && crate::walk::ns(st.st_mtime, st.st_mtime_nsec) == e.mtime_ns
            && sys::mode(&st) & 0o7777 == e.mode & 0o7777
            && st.st_uid == e.uid
            && st.st_gid == e.gid;
        let Ok(name) = cstr(dest.name) else { return false };
        // SAFETY: NUL-terminated paths; ddir is an open directory descriptor.
        same && unsafe { libc::linkat(libc::AT_FDCWD, src.as_ptr(), ddir.as_raw_fd(), name.as_ptr(), 0) } == 0
    }

    fn file(&self, sdir: BorrowedFd<'_>, ddir: BorrowedFd<'_>, e: &Entry, dest: &Dest<'_>, out: &mut Outcome) -> Result<()> {
        let rel = &e.path;
        if self.try_link(ddir, e, dest) {
            out.linked += 1;
            self.done_file(e.size, out);
            return Ok(());
        }
        let name = cstr(e.name()).map_err(|er| Error::io("open", rel, &er))?;
        let dst_name = cstr(dest.name).map_err(|er| Error::io("create", rel, &er))?;
        // O_NONBLOCK: should the entry have turned into a FIFO since the walk, the open must
        // not hang; the type check below then refuses it.
        let src = sys::openat(sdir, &name, libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK, 0)
            .map_err(|er| Error::io("open", rel, &er))?;
        let st = sys::fstat(src.as_fd()).map_err(|er| Error::io("stat", rel, &er))?;
        changed_type(sys::mode(&st), Kind::File, rel)?;
        let m = Meta::of(&st);
        let size = st.st_size as u64;

        // macOS: clonefile creates the destination itself, xattrs included.
        #[cfg(target_os = "macos")]
        let fallback = match self.engine {
            Engine::Reflink => match content::reflink_at(src.as_fd(), ddir, &dst_name) {
                Ok(()) => {
                    let d = cpath(&dest.abs).map_err(|er| Error::io("set attributes of", rel, &er))?;
                    meta::apply(None, Node::Path(&d), &m, &self.owners, false)
                        .map_err(|er| Error::io("set attributes of", rel, &er))?;
                    out.reflinked += 1;
                    self.done_file(size, out);
                    return Ok(());
                }
                Err(er) => Some(sys::reason(&er)),
            },
            _ => None,
        };

        let dst = sys::openat(ddir, &dst_name, libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW, 0o600)
            .map_err(|er| Error::io("create", rel, &er))?;

        #[cfg(not(target_os = "macos"))]
        let fallback = match self.engine {
            Engine::Reflink => match content::reflink(src.as_fd(), dst.as_fd()) {
                Ok(()) => {
                    out.reflinked += 1;
                    self.done_file(size, out);
                    return self.finish_file(src.as_fd(), dst.as_fd(), rel, &m, None, out);
                }
                Err(er) => {
                    // A failed FICLONE may have remapped part of the range: copy onto an empty file.
                    // SAFETY: dst is a live fd.
                    sys::cvt(unsafe { libc::ftruncate(std::os::fd::AsRawFd::as_raw_fd(&dst), 0) })
                        .map_err(|er| Error::io("truncate", rel, &er))?;
                    Some(sys::reason(&er))
                }
            },
            _ => None,
        };

        content::copy(src.as_fd(), dst.as_fd(), size, self.ctx, rel)?;
        self.done_file(size, out);
        self.finish_file(src.as_fd(), dst.as_fd(), rel, &m, fallback, out)
    }

    /// Metadata and bookkeeping of a file whose content is in place.
    fn finish_file(
        &self,
        src: BorrowedFd<'_>,
        dst: BorrowedFd<'_>,
        rel: &[u8],
        m: &Meta,
        fallback: Option<String>,
        out: &mut Outcome,
    ) -> Result<()> {
        if meta::apply(Some(Node::Fd(src)), Node::Fd(dst), m, &self.owners, false)
            .map_err(|er| Error::io("set attributes of", rel, &er))?
        {
            out.xattrs_skipped.push(rel.to_vec());
        }
        if let Some(reason) = fallback {
            out.fallbacks.push(Fallback { path: rel.to_vec(), from: Engine::Reflink, to: Engine::Copy, reason });
        }
        Ok(())
    }

    fn done_file(&self, size: u64, out: &mut Outcome) {
        out.bytes += size;
        self.ctx.add_bytes(size);
    }

    fn symlink(&self, sdir: BorrowedFd<'_>, ddir: BorrowedFd<'_>, e: &Entry, dest: &Dest<'_>, out: &mut Outcome) -> Result<()> {
        let rel = &e.path;
        let fail = |op: &str, er: std::io::Error| Error::io(op, rel, &er);
        let name = cstr(e.name()).map_err(|er| fail("symlink", er))?;
        let dst_name = cstr(dest.name).map_err(|er| fail("symlink", er))?;
        let target = cstr(e.target.as_deref().unwrap_or_default()).map_err(|er| fail("symlink", er))?;
        sys::symlinkat(&target, ddir, &dst_name).map_err(|er| fail("symlink", er))?;
        let st = sys::fstatat_nofollow(sdir, &name).map_err(|er| fail("stat", er))?;
        changed_type(sys::mode(&st), Kind::Symlink, rel)?;
        // Symlinks cannot be opened: attributes go by path (symlinks are few).
        let s = cpath(&e.abs(self.src)).map_err(|er| fail("stat", er))?;
        let d = cpath(&dest.abs).map_err(|er| fail("set attributes of", er))?;
        if meta::apply(Some(Node::Path(&s)), Node::Path(&d), &Meta::of(&st), &self.owners, true)
            .map_err(|er| fail("set attributes of", er))?
        {
            out.xattrs_skipped.push(rel.clone());
        }
        Ok(())
    }
}

/// The entry is no longer what the walk saw: refuse special files as the walk would have,
/// and fail on anything else rather than clone a different kind of entry.
fn changed_type(mode: u32, expected: Kind, rel: &[u8]) -> Result<()> {
    let kind = Kind::from_mode(mode);
    if kind == expected {
        Ok(())
    } else if kind.is_special() {
        Err(Error::unsupported(kind.contract_word(), rel))
    } else {
        Err(Error::new(Code::Io, format!("changed during clone: {}", String::from_utf8_lossy(rel))).with_path(rel))
    }
}

/// The error to report among several from parallel work: cancellation (the caller asked for
/// it), else the smallest path, so the result does not depend on thread timing.
fn first_error(errors: Vec<Error>) -> Option<Error> {
    errors.into_iter().min_by(|a, b| {
        let key = |e: &Error| (e.code != Code::Cancelled, e.path.clone());
        key(a).cmp(&key(b))
    })
}
