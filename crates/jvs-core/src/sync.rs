//! Durability of a freshly materialized tree (CONTRACT §3.4 step 6): when this returns, every
//! entry and its content is on disk.
//!
//! Small trees: fsync every regular file, then every directory (after the files in it), in
//! parallel on the core's pool; symlinks are never opened (fsyncing their directory makes them
//! durable). Large trees on Linux: one `syncfs` of the file system holding the tree. Per-file
//! fsync costs ~37 µs a call here even when nothing is dirty (3.7 s for 100k files), while
//! syncfs of a freshly copied 100k-file tree took 0.9 s; since Linux 5.8 syncfs also reports
//! writeback errors. Its price is flushing unrelated dirty data on the same file system, which
//! is why small trees keep the per-entry path.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rayon::prelude::*;

use crate::ctx::{Ctx, Phase};
use crate::error::{path_bytes, Error, Result};
use crate::pool;
use crate::walk::{walk_sorted, Entry, Kind};

fn fsync_path(abs: &Path, rel: &[u8], dir: bool) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | if dir { libc::O_DIRECTORY } else { 0 });
    let f = opts.open(abs).map_err(|e| Error::io("open", rel, &e))?;
    f.sync_all().map_err(|e| Error::io("fsync", rel, &e))
}

/// Above this many entries, one syncfs is cheaper than an fsync per entry.
pub const SYNCFS_ABOVE: usize = 256;

/// Makes every file and directory under `root`, and `root` itself, durable. Returns the entry
/// count.
pub fn sync_tree(root: &Path, ctx: &Ctx) -> Result<u64> {
    // Counted as the walk streams; the entries are kept only while the tree may be small (or
    // where there is no syncfs): at a million entries the list alone would be over 100 MB.
    let keep_all = !cfg!(target_os = "linux");
    let mut entries: Vec<Entry> = Vec::new();
    let mut count = 0usize;
    walk_sorted(root, &[], ctx, &mut |e| {
        count += 1;
        if keep_all || count <= SYNCFS_ABOVE {
            entries.push(e);
        } else if !entries.is_empty() {
            entries = Vec::new();
        }
        Ok(())
    })?;
    #[cfg(target_os = "linux")]
    if count > SYNCFS_ABOVE {
        ctx.begin(Phase::Clone, count as u64, 0);
        syncfs(root)?;
        ctx.add_entries(count as u64);
        return Ok(count as u64);
    }
    ctx.begin(Phase::Clone, entries.len() as u64, 0);
    let run = |list: Vec<&Entry>, dir: bool| -> Result<()> {
        pool::cpu().install(|| {
            list.par_iter().try_for_each(|e| {
                ctx.check()?;
                fsync_path(&e.abs(root), &e.path, dir)?;
                ctx.add_entries(1);
                Ok(())
            })
        })
    };
    run(entries.iter().filter(|e| e.kind == Kind::File).collect(), false)?;
    run(entries.iter().filter(|e| e.kind == Kind::Dir).collect(), true)?;
    fsync_path(root, path_bytes(root), true)?;
    Ok(entries.len() as u64)
}

/// One syncfs(2) of the file system that holds `root`.
#[cfg(target_os = "linux")]
fn syncfs(root: &Path) -> Result<()> {
    use std::os::unix::io::AsRawFd;
    let rel = path_bytes(root);
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(root)
        .map_err(|e| Error::io("open", rel, &e))?;
    // SAFETY: dir is an open descriptor for the duration of the call.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } != 0 {
        return Err(Error::io("syncfs", rel, &std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_files_and_dirs_and_skips_symlinks() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("a/b")).unwrap();
        std::fs::write(t.path().join("a/b/f"), b"x").unwrap();
        std::os::unix::fs::symlink("nowhere", t.path().join("dangling")).unwrap();
        assert_eq!(sync_tree(t.path(), &Ctx::new()).unwrap(), 4);
    }

    #[test]
    fn large_trees_take_the_syncfs_path() {
        let t = tempfile::tempdir().unwrap();
        for i in 0..=SYNCFS_ABOVE {
            std::fs::write(t.path().join(format!("f{i}")), b"x").unwrap();
        }
        assert_eq!(sync_tree(t.path(), &Ctx::new()).unwrap(), SYNCFS_ABOVE as u64 + 1);
    }

    #[test]
    fn missing_root_is_not_found() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(sync_tree(&t.path().join("x"), &Ctx::new()).unwrap_err().code, crate::Code::NotFound);
    }
}
