//! Durability of a freshly materialized tree: fsync every regular file and every directory
//! (CONTRACT §3.4 step 6), in parallel on the core's pool. Symlinks are never opened (a
//! symlink's own inode is made durable by fsyncing its directory). Directories are synced
//! after the files in them so that, when this returns, every entry and its content is on disk.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rayon::prelude::*;

use crate::ctx::{Ctx, Phase};
use crate::error::{path_bytes, Error, Result};
use crate::pool;
use crate::walk::{walk, Entry, Kind};

fn fsync_path(abs: &Path, rel: &[u8], dir: bool) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK | if dir { libc::O_DIRECTORY } else { 0 });
    let f = opts.open(abs).map_err(|e| Error::io("open", rel, &e))?;
    f.sync_all().map_err(|e| Error::io("fsync", rel, &e))
}

/// fsyncs every file and directory under `root`, and `root` itself. Returns the entry count.
pub fn sync_tree(root: &Path, ctx: &Ctx) -> Result<u64> {
    let entries = walk(root, ctx)?;
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
    fn missing_root_is_not_found() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(sync_tree(&t.path().join("x"), &Ctx::new()).unwrap_err().code, crate::Code::NotFound);
    }
}
