//! Cloning a directory tree into a new destination with one of the engines of CONTRACT §6:
//! `reflink` (FICLONE / clonefile per file, per-file fallback to a byte copy), `copy`
//! (copy_file_range, read/write fallback) and `juicefs` (the mount's own clone, see
//! [`juicefs`]). The report says which mechanism produced the bytes and every way the result
//! falls short of what was requested (CONTRACT §6.2).
//!
//! Common rules, whatever the engine:
//! - `dst` must not exist and its parent must; `src` is walked first and any FIFO, socket or
//!   device (not excluded) is refused before anything is created.
//! - On any failure or cancellation everything created at `dst` is removed.
//! - Files keep content, exact permission bits (umask-independent, setuid/setgid/sticky where the
//!   OS allows), mtime and atime to the nanosecond, xattrs (rule in `meta`), and their owner
//!   when running as root. Symlinks keep their target bytes, times and (root) owner;
//!   directories their mode, times, xattrs and (root) owner; the root of `dst` those of `src`.
//! - Hard links inside the tree are split into independent files and reported.
//!
//! `report.engine` for `reflink`: Reflink when at least one file was cloned, or when no file
//! had to fall back (a tree without files: nothing contradicts the request); Copy when every
//! file fell back (CONTRACT §6.2: "copy when the requested mechanism cloned nothing"). This is
//! the rule of the TypeScript fallback too.

mod content;
pub(crate) mod juicefs;
mod local;
mod meta;
mod plan;
pub(crate) mod sys;

use std::collections::HashSet;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::ctx::Ctx;
use crate::error::{path_bytes, Error, Result};
use crate::walk::{walk, Kind};

use local::Outcome;
use plan::Plan;

#[cfg(target_os = "linux")]
pub(crate) use content::reflink;
#[cfg(target_os = "macos")]
pub(crate) use content::reflink_at;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    Reflink,
    Copy,
    Juicefs,
}

impl Engine {
    /// Probe order.
    pub const ALL: [Engine; 3] = [Engine::Reflink, Engine::Copy, Engine::Juicefs];

    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Reflink => "reflink",
            Engine::Copy => "copy",
            Engine::Juicefs => "juicefs",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Engine {
    /// The message names the unknown value.
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Engine, String> {
        Engine::ALL.into_iter().find(|e| e.as_str() == s).ok_or_else(|| format!("unknown engine: {s}"))
    }
}

/// CONTRACT §6.2 reason names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DegradeReason {
    Hardlink,
    Reflink,
    JuicefsNotAvailable,
    NotOnJuicefs,
    JuicefsCloneFailed,
}

impl DegradeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            DegradeReason::Hardlink => "hardlink",
            DegradeReason::Reflink => "reflink",
            DegradeReason::JuicefsNotAvailable => "juicefs-not-available",
            DegradeReason::NotOnJuicefs => "not-on-juicefs",
            DegradeReason::JuicefsCloneFailed => "juicefs-clone-failed",
        }
    }
}

impl fmt::Display for DegradeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneOptions {
    pub engine: Engine,
    /// Relative paths left out, matched exactly against entry paths; an excluded directory
    /// excludes its subtree. Used for the root `.READY` marker.
    pub exclude: Vec<Vec<u8>>,
    /// Files to hard-link from another tree instead of copying (reflink/copy engines): a
    /// snapshot links unchanged files to its parent snapshot's copies. Snapshots are immutable,
    /// so sharing inodes between them is safe; a worktree is never a link source or target.
    pub link_from: Option<LinkFrom>,
}

/// Where `link_from` files come from. The caller vouches that their content equals the
/// source's — for `paths`, or (None) for every file, when it checks afterwards what it cannot
/// vouch for; a file is linked only if the other tree's copy also has the source's size, mtime
/// (ns), permission bits and owner, else it is copied as usual.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkFrom {
    pub root: PathBuf,
    pub paths: Option<HashSet<Vec<u8>>>,
}

/// One place where the requested mechanism was not the one that produced the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    /// The file concerned, or `.` when the whole tree changed mechanism (JuiceFS).
    pub path: Vec<u8>,
    pub from: Engine,
    pub to: Engine,
    /// errno name (`EOPNOTSUPP`, `EXDEV`, …) or a short reason.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloneReport {
    pub requested: Engine,
    /// The engine that produced the bytes (CONTRACT §6.2).
    pub engine: Engine,
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    /// Bytes of regular-file content.
    pub bytes: u64,
    /// Files hard-linked from `CloneOptions::link_from` (a caller that knows their content
    /// need not check them again when all it asked for were linked).
    pub linked: u64,
    /// Sorted by path.
    pub fallbacks: Vec<Fallback>,
    /// Files that had several links inside the source and became independent; sorted.
    pub hardlinks_split: Vec<Vec<u8>>,
    /// Entries (`.` for the root) with an xattr the destination refused; sorted.
    pub xattrs_skipped: Vec<Vec<u8>>,
    /// Distinct reasons in first-seen order: a whole-tree reason first, then per file in path
    /// order `hardlink` / `reflink` as met (the order the TypeScript fallback produces).
    pub degraded: Vec<DegradeReason>,
}

impl CloneReport {
    fn new(requested: Engine, engine: Engine, plan: &Plan) -> CloneReport {
        CloneReport {
            requested,
            engine,
            files: plan.files as u64,
            dirs: plan.dirs as u64,
            symlinks: plan.symlinks as u64,
            bytes: plan.bytes,
            linked: 0,
            fallbacks: Vec::new(),
            hardlinks_split: plan.hardlinks.clone(),
            xattrs_skipped: Vec::new(),
            degraded: Vec::new(),
        }
    }

    fn degrade(&mut self, r: DegradeReason) {
        if !self.degraded.contains(&r) {
            self.degraded.push(r);
        }
    }

    /// `hardlink` and `reflink` in the order the files meeting them come.
    fn degrade_per_file(&mut self, plan: &Plan) {
        let split: HashSet<Vec<u8>> = self.hardlinks_split.iter().cloned().collect();
        let fell: HashSet<Vec<u8>> =
            self.fallbacks.iter().filter(|f| f.from == Engine::Reflink).map(|f| f.path.clone()).collect();
        for e in plan.entries.iter().filter(|e| e.kind == Kind::File) {
            if split.contains(&e.path) {
                self.degrade(DegradeReason::Hardlink);
            }
            if fell.contains(&e.path) {
                self.degrade(DegradeReason::Reflink);
            }
        }
    }
}

/// Clones `src` into the new directory `dst`.
pub fn clone_tree(src: &Path, dst: &Path, opts: &CloneOptions, ctx: &Ctx) -> Result<CloneReport> {
    ensure_absent(dst)?;
    let plan = Plan::new(walk(src, ctx)?, &opts.exclude)?;
    ctx.check()?;
    match opts.engine {
        Engine::Juicefs => juicefs::clone(src, dst, &plan, ctx),
        engine => {
            let out = local::clone(src, dst, &plan, engine, opts.link_from.as_ref(), ctx)?;
            Ok(local_report(engine, engine, &plan, out, None))
        }
    }
}

/// Materializes single files and symlinks of `src_root` (raw relative paths `rels`) as
/// `<dst_dir>/<index>`, index = position in `rels`, each with its exact mode, times and (as
/// root) owner; `dst_dir` is created if missing. Restore stages its replacements this way and
/// renames each into place. JuiceFS is served per file by `copy_file_range`, which a JuiceFS
/// mount performs as a metadata clone (research/perf-anchors §1.7), so it is not reported as a
/// degradation. A directory or special file among `rels` is an error; on failure the entries
/// made here are removed.
pub fn materialize_entries(src_root: &Path, rels: &[Vec<u8>], dst_dir: &Path, engine: Engine, ctx: &Ctx) -> Result<CloneReport> {
    let entries = rels.iter().map(|r| crate::walk::stat_entry(src_root, r)).collect::<Result<Vec<_>>>()?;
    let plan = Plan::new(entries, &[])?;
    if let Some(d) = plan.entries.iter().find(|e| e.kind == crate::walk::Kind::Dir) {
        return Err(Error::io("materialize", &d.path, &io::Error::from_raw_os_error(libc::EISDIR)));
    }
    fs::create_dir_all(dst_dir).map_err(|e| Error::io("mkdir", path_bytes(dst_dir), &e))?;
    let used = if engine == Engine::Juicefs { Engine::Copy } else { engine };
    let out = local::materialize(src_root, &plan, dst_dir, used, ctx)?;
    let mut report = local_report(used, used, &plan, out, None);
    report.requested = engine;
    Ok(report)
}

/// The report of the reflink/copy engines; `whole` is the whole-tree degradation when the copy
/// engine stood in for JuiceFS.
fn local_report(
    requested: Engine,
    used: Engine,
    plan: &Plan,
    out: Outcome,
    whole: Option<(DegradeReason, Fallback)>,
) -> CloneReport {
    let engine = if used == Engine::Reflink && (out.reflinked > 0 || out.fallbacks.is_empty()) {
        Engine::Reflink
    } else {
        Engine::Copy
    };
    let mut r = CloneReport::new(requested, engine, plan);
    r.bytes = out.bytes;
    r.linked = out.linked;
    r.fallbacks = out.fallbacks;
    r.xattrs_skipped = out.xattrs_skipped;
    if let Some((reason, fallback)) = whole {
        r.degrade(reason);
        r.fallbacks.insert(0, fallback);
    }
    r.degrade_per_file(plan);
    r
}

/// The directory `dst` is created in.
fn parent_of(dst: &Path) -> &Path {
    match dst.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn ensure_absent(dst: &Path) -> Result<()> {
    match fs::symlink_metadata(dst) {
        Ok(_) => Err(Error::io("create", path_bytes(dst), &io::Error::from_raw_os_error(libc::EEXIST))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("stat", path_bytes(dst), &e)),
    }
}

/// Removes a clone that failed (best effort: the error that caused it is what gets reported).
fn remove_tree(dst: &Path) {
    if fs::symlink_metadata(dst).is_err() || fs::remove_dir_all(dst).is_ok() {
        return;
    }
    // A directory already given a read-only final mode blocks removing its entries for a
    // non-root caller: open every directory up, then retry.
    let mut stack = vec![dst.to_path_buf()];
    while let Some(d) = stack.pop() {
        let _ = fs::set_permissions(&d, std::os::unix::fs::PermissionsExt::from_mode(0o700));
        for de in fs::read_dir(&d).into_iter().flatten().flatten() {
            if de.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(de.path());
            }
        }
    }
    let _ = fs::remove_dir_all(dst);
}
