//! What may differ between two btrfs snapshots of one subvolume, from btrfs's own bookkeeping
//! instead of a walk: the focus of a scan (`scan::scan_focused`) that costs what changed.
//!
//! Both snapshots hold the worktree subvolume as a transaction left it: `parent` as of its
//! `otransid` G, `snap` as of later. Every change to the worktree after G rewrote the changed
//! inodes' items in a later transaction (`btrfs::changed_inodes`), so an inode not among them is
//! in `snap` exactly as it was in `parent`: same content, mode, times and links — a directory,
//! the same entries. By induction from the subvolume root, a path whose inode did not change,
//! under directories that are the same inodes as in `parent` at their paths, is `parent`'s
//! entry there. What remains to look at is each changed inode at each of its paths: a file is
//! compared; a directory is compared by name if it is the same inode `parent` holds at that
//! path (its inode number there, and created by G — inode numbers are not reused while the
//! inode lives), and walked whole otherwise (moved in, or new).

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::btrfs;
use crate::error::Result;
use crate::scan::{has_ready, Focus, Look};

/// The focus of a scan of `snap` against an index describing `parent`, or None when btrfs
/// cannot tell it: `parent` is not an earlier snapshot of the subvolume `snap` snapshots, more
/// than `limit` inodes changed (a whole scan is then as cheap), or the change search is
/// refused (it needs CAP_SYS_ADMIN).
pub fn btrfs_focus(snap: &Path, parent: &Path, limit: usize) -> Result<Option<Focus>> {
    // Described only as subvolume roots: GET_SUBVOL_INFO of a plain directory would describe
    // the subvolume holding it.
    if !btrfs::is_subvolume(snap)? || !btrfs::is_subvolume(parent)? {
        return Ok(None);
    }
    let (s, p) = (btrfs::subvolume_info(snap)?, btrfs::subvolume_info(parent)?);
    if p.parent_uuid == [0; 16] || p.parent_uuid != s.parent_uuid || s.otransid <= p.otransid {
        return Ok(None);
    }
    let since = p.otransid;
    let changed = match btrfs::changed_inodes(snap, since, limit) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(None),
        Err(e) if e.errno == Some("EPERM") => return Ok(None),
        Err(e) => return Err(e),
    };
    let inos: Vec<u64> = changed.iter().map(|c| c.ino).collect();
    let Some(paths) = btrfs::inode_paths(snap, &inos)? else { return Ok(None) };
    let mut focus: Focus = Vec::new();
    for (c, ps) in changed.iter().zip(paths) {
        if c.ino == 256 {
            // The subvolume root: the same directory in both.
            focus.push((Vec::new(), Look::Entry));
        }
        for path in ps {
            // `.READY` entries (never recorded, their contents are) follow the whole scan's rules.
            if has_ready(&path) {
                return Ok(None);
            }
            let look = if !c.dir || (c.created <= since && same_inode(parent, &path, c.ino)) { Look::Entry } else { Look::Whole };
            focus.push((path, look));
        }
    }
    focus.sort_by(|a, b| a.0.cmp(&b.0));
    focus.dedup_by(|a, b| a.0 == b.0);
    Ok(Some(focus))
}

/// Whether `parent` holds the directory `ino` at `rel`.
fn same_inode(parent: &Path, rel: &[u8], ino: u64) -> bool {
    std::fs::symlink_metadata(crate::walk::join_rel(parent, rel)).is_ok_and(|m| m.is_dir() && m.ino() == ino)
}
