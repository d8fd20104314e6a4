//! btrfs subvolumes through raw ioctls (the `btrfs-snapshot` engine, CONTRACT §6.1 step 3b): a
//! worktree payload that is a subvolume is snapshotted in O(1) instead of cloned file by file.
//!
//! Only Linux has btrfs; elsewhere `is_subvolume` is false and everything else fails with an
//! EOPNOTSUPP error, so the engine is simply never selected.
//!
//! Deleting a subvolume (`BTRFS_IOC_SNAP_DESTROY`) needs CAP_SYS_ADMIN, or for its owner the
//! `user_subvol_rm_allowed` mount option; a refusal becomes an error that names both.

use std::path::Path;

use crate::error::Result;

/// The one-line explanation attached to every refused deletion.
pub const DELETE_PERMISSION: &str =
    "deleting a btrfs subvolume needs CAP_SYS_ADMIN (root) or the user_subvol_rm_allowed mount option";

/// Whether `path` is the root directory of a btrfs subvolume (its own, or the file system's top
/// level): a directory on btrfs whose inode number is 256. A symlink is never one.
pub fn is_subvolume(path: &Path) -> Result<bool> {
    imp::is_subvolume(path)
}

/// Creates an empty subvolume at `path` (which must not exist; its parent must be on btrfs).
pub fn create_subvolume(path: &Path) -> Result<()> {
    imp::create_subvolume(path)
}

/// Snapshots the subvolume `src` as a new subvolume `dst` (which must not exist), read-only
/// when asked. `src` must be a subvolume root: the kernel would otherwise snapshot the whole
/// subvolume that contains it.
pub fn snapshot_subvolume(src: &Path, dst: &Path, readonly: bool) -> Result<()> {
    imp::snapshot_subvolume(src, dst, readonly)
}

/// Sets or clears the read-only flag of the subvolume at `path`.
pub fn set_readonly(path: &Path, readonly: bool) -> Result<()> {
    imp::set_readonly(path, readonly)
}

/// Whether the subvolume at `path` is read-only.
pub fn is_readonly(path: &Path) -> Result<bool> {
    imp::is_readonly(path)
}

/// Deletes the subvolume at `path` and everything in it. A read-only subvolume that cannot be
/// destroyed as is (an unprivileged owner's: its root refuses writes) has its flag cleared
/// and is tried again; if that fails too the flag is set back, so a refusal changes nothing.
/// A subvolume holding other subvolumes fails with ENOTEMPTY.
pub fn delete_subvolume(path: &Path) -> Result<()> {
    imp::delete_subvolume(path)
}

/// What a subvolume says of itself (BTRFS_IOC_GET_SUBVOL_INFO, unprivileged since Linux 4.18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubvolumeInfo {
    pub uuid: [u8; 16],
    /// The uuid of the subvolume this one is a snapshot of; zeros for none.
    pub parent_uuid: [u8; 16],
    /// The transaction that created it: a snapshot holds its source as that transaction left it.
    pub otransid: u64,
}

/// The subvolume whose root directory `path` is, described.
pub fn subvolume_info(path: &Path) -> Result<SubvolumeInfo> {
    imp::subvolume_info(path)
}

/// An inode whose item was written after a given transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangedInode {
    pub ino: u64,
    pub dir: bool,
    /// The transaction that created the inode.
    pub created: u64,
}

/// The inodes of the subvolume at `path` written in a transaction after `since`, in inode
/// order; None when there are more than `limit`. Every change to an inode — content, mode,
/// times, links, a directory's entries — rewrites its item, stamped with the transaction. The
/// search (BTRFS_IOC_TREE_SEARCH_V2) skips every tree block not written since `since`, so it
/// reads what changed, not the tree. Needs CAP_SYS_ADMIN (EPERM otherwise).
pub fn changed_inodes(path: &Path, since: u64, limit: usize) -> Result<Option<Vec<ChangedInode>>> {
    imp::changed_inodes(path, since, limit)
}

/// Every path of each inode of `inos` in the subvolume at `path`, relative to its root (none
/// for the root itself, or an unlinked inode). BTRFS_IOC_INO_PATHS; needs CAP_SYS_ADMIN. None
/// when an inode has more paths than the kernel returns in one answer (at most 4 KiB of them,
/// whatever buffer is offered): many hard links, or a very long path.
pub fn inode_paths(path: &Path, inos: &[u64]) -> Result<Option<Vec<Vec<Vec<u8>>>>> {
    imp::inode_paths(path, inos)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::os::fd::{AsRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    use super::DELETE_PERMISSION;
    use crate::clone::sys::{cpath, cvt, lstat, open_dir};
    use crate::error::{path_bytes, Code, Error, Result};

    const BTRFS_SUPER_MAGIC: u32 = 0x9123_683E;
    /// BTRFS_FIRST_FREE_OBJECTID: the inode number of every subvolume's root directory.
    const SUBVOLUME_ROOT_INO: u64 = 256;
    /// BTRFS_SUBVOL_RDONLY, in the flags of SUBVOL_GETFLAGS/SETFLAGS and SNAP_CREATE_V2.
    const SUBVOL_RDONLY: u64 = 1 << 1;

    // _IOW/_IOR(0x94, nr, type) from linux/btrfs.h (checked against the header: both argument
    // structs are 4096 bytes).
    const IOC_SUBVOL_CREATE: libc::c_ulong = 0x5000_940E;
    const IOC_SNAP_DESTROY: libc::c_ulong = 0x5000_940F;
    const IOC_SNAP_CREATE_V2: libc::c_ulong = 0x5000_9417;
    const IOC_SUBVOL_GETFLAGS: libc::c_ulong = 0x8008_9419;
    const IOC_SUBVOL_SETFLAGS: libc::c_ulong = 0x4008_941A;

    /// struct btrfs_ioctl_vol_args: `{ __s64 fd; char name[4088]; }`.
    #[repr(C)]
    struct VolArgs {
        fd: i64,
        name: [u8; 4088],
    }

    /// struct btrfs_ioctl_vol_args_v2: fd, transid, flags, a 32-byte union (unused here), then
    /// `char name[4040]`.
    #[repr(C)]
    struct VolArgsV2 {
        fd: i64,
        transid: u64,
        flags: u64,
        unused: [u64; 4],
        name: [u8; 4040],
    }

    const _: () = assert!(std::mem::size_of::<VolArgs>() == 4096);
    const _: () = assert!(std::mem::size_of::<VolArgsV2>() == 4096);

    /// Copies a name into a fixed, NUL-terminated ioctl buffer; too long is ENAMETOOLONG.
    fn put_name(buf: &mut [u8], name: &[u8]) -> io::Result<()> {
        if name.len() >= buf.len() {
            return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
        }
        buf[..name.len()].copy_from_slice(name);
        Ok(())
    }

    /// The open parent directory of `path` and the last component's bytes.
    fn parent_and_name(path: &Path) -> io::Result<(OwnedFd, &[u8])> {
        let name = path.file_name().ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Ok((open_dir(parent)?, name.as_bytes()))
    }

    fn ioctl<T>(fd: &OwnedFd, request: libc::c_ulong, arg: *mut T) -> io::Result<()> {
        // SAFETY: every request used here takes a pointer to the matching, fully initialized
        // argument type, which outlives the call.
        cvt(unsafe { libc::ioctl(fd.as_raw_fd(), request as _, arg) })
    }

    /// An ioctl failure on `path`; ENOTTY (no btrfs there) says so instead of "inappropriate
    /// ioctl for device".
    const IOC_GET_SUBVOL_INFO: libc::c_ulong = 0x81F8_943C;
    const IOC_TREE_SEARCH_V2: libc::c_ulong = 0xC070_9411;
    const IOC_INO_PATHS: libc::c_ulong = 0xC038_9423;

    pub fn subvolume_info(path: &Path) -> Result<super::SubvolumeInfo> {
        let fd = open_dir(path).map_err(|e| fail("open", path, &e))?;
        // struct btrfs_ioctl_get_subvol_info_args (504 bytes); offsets checked against the header.
        let mut args = [0u64; 63];
        ioctl(&fd, IOC_GET_SUBVOL_INFO, args.as_mut_ptr()).map_err(|e| fail("describe subvolume", path, &e))?;
        let bytes: &[u8] = bytemuck_bytes(&args);
        let u64_at = |o: usize| u64::from_ne_bytes(bytes[o..o + 8].try_into().unwrap());
        Ok(super::SubvolumeInfo {
            uuid: bytes[296..312].try_into().unwrap(),
            parent_uuid: bytes[312..328].try_into().unwrap(),
            otransid: u64_at(352),
        })
    }

    fn bytemuck_bytes(words: &[u64]) -> &[u8] {
        // SAFETY: u64 has no padding and u8 no alignment requirement; same lifetime.
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast(), std::mem::size_of_val(words)) }
    }

    /// struct btrfs_ioctl_search_key (104 bytes) followed by buf_size: search_args_v2's head.
    #[repr(C)]
    struct SearchHead {
        tree_id: u64,
        min_objectid: u64,
        max_objectid: u64,
        min_offset: u64,
        max_offset: u64,
        min_transid: u64,
        max_transid: u64,
        min_type: u32,
        max_type: u32,
        nr_items: u32,
        unused: u32,
        unused_more: [u64; 4],
        buf_size: u64,
    }
    const _: () = assert!(std::mem::size_of::<SearchHead>() == 112);

    /// Items returned per search call: a 64 KiB buffer holds any item (a tree block is at most 64 KiB).
    const SEARCH_BUF: usize = 64 * 1024;
    /// BTRFS_FIRST_FREE_OBJECTID..=BTRFS_LAST_FREE_OBJECTID: the inodes (orphans etc. lie above).
    const LAST_INODE: u64 = 0xFFFF_FFFF_FFFF_FF00;
    const INODE_ITEM_KEY: u32 = 1;

    pub fn changed_inodes(path: &Path, since: u64, limit: usize) -> Result<Option<Vec<super::ChangedInode>>> {
        let fd = open_dir(path).map_err(|e| fail("open", path, &e))?;
        // The head, then the buffer, in one u64-aligned allocation.
        let words = (std::mem::size_of::<SearchHead>() + SEARCH_BUF) / 8;
        let mut args = vec![0u64; words];
        let mut out = Vec::new();
        // The key range is compared as whole (objectid, type, offset) keys: every item type
        // between comes back, and only inode items are kept.
        let (mut obj, mut ty, mut off) = (SUBVOLUME_ROOT_INO, 0u32, 0u64);
        loop {
            let head = SearchHead {
                tree_id: 0, // the subvolume of the fd
                min_objectid: obj,
                max_objectid: LAST_INODE,
                min_offset: off,
                max_offset: u64::MAX,
                min_transid: since + 1,
                max_transid: u64::MAX,
                min_type: ty,
                max_type: u32::from(u8::MAX),
                nr_items: 4096,
                unused: 0,
                unused_more: [0; 4],
                buf_size: SEARCH_BUF as u64,
            };
            // SAFETY: args is at least size_of::<SearchHead>() bytes and u64-aligned.
            unsafe { args.as_mut_ptr().cast::<SearchHead>().write(head) };
            ioctl(&fd, IOC_TREE_SEARCH_V2, args.as_mut_ptr()).map_err(|e| fail("search the tree of", path, &e))?;
            // SAFETY: as above; the kernel wrote the count back into the head.
            let n = unsafe { args.as_ptr().cast::<SearchHead>().read().nr_items };
            let bytes = bytemuck_bytes(&args);
            if n == 0 {
                return Ok(Some(out));
            }
            let buf = &bytes[std::mem::size_of::<SearchHead>()..];
            let mut at = 0;
            let u64_at = |b: &[u8], o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
            for _ in 0..n {
                // struct btrfs_ioctl_search_header: transid, objectid, offset (u64), type, len (u32).
                let (objectid, offset) = (u64_at(buf, at + 8), u64_at(buf, at + 16));
                let kind = u32::from_ne_bytes(buf[at + 24..at + 28].try_into().unwrap());
                let len = u32::from_ne_bytes(buf[at + 28..at + 32].try_into().unwrap()) as usize;
                let item = &buf[at + 32..at + 32 + len];
                // struct btrfs_inode_item (little-endian on disk): generation @0 (creation),
                // transid @8 (last written), mode @52.
                if kind == INODE_ITEM_KEY && len >= 56 {
                    let le = |o: usize| u64::from_le_bytes(item[o..o + 8].try_into().unwrap());
                    if le(8) > since {
                        let mode = u32::from_le_bytes(item[52..56].try_into().unwrap());
                        out.push(super::ChangedInode { ino: objectid, dir: mode & libc::S_IFMT == libc::S_IFDIR, created: le(0) });
                        if out.len() > limit {
                            return Ok(None);
                        }
                    }
                }
                (obj, ty, off) = (objectid, kind, offset);
                at += 32 + len;
            }
            // Resume just after the last key returned.
            if off < u64::MAX {
                off += 1;
            } else if ty < u32::from(u8::MAX) {
                (ty, off) = (ty + 1, 0);
            } else if obj < LAST_INODE {
                (obj, ty, off) = (obj + 1, 0, 0);
            } else {
                return Ok(Some(out));
            }
        }
    }

    pub fn inode_paths(path: &Path, inos: &[u64]) -> Result<Option<Vec<Vec<Vec<u8>>>>> {
        let fd = open_dir(path).map_err(|e| fail("open", path, &e))?;
        // The kernel answers with at most 4096 bytes of container, whatever the size offered.
        let mut container = vec![0u64; 4096 / 8];
        inos.iter()
            // The root's only reference is to itself, named `..`.
            .map(|&ino| {
                if ino == SUBVOLUME_ROOT_INO {
                    return Ok(Some(Vec::new()));
                }
                // struct btrfs_ioctl_ino_path_args: inum, size, reserved[4], fspath (a pointer to
                // a struct btrfs_data_container: bytes_left, bytes_missing, elem_cnt, elem_missed
                // (u32), then val[] offsets from &val[0] to NUL-terminated paths).
                let mut args = [0u64; 7];
                args[0] = ino;
                args[1] = (container.len() * 8) as u64;
                args[6] = container.as_mut_ptr() as u64;
                ioctl(&fd, IOC_INO_PATHS, args.as_mut_ptr()).map_err(|e| fail("resolve an inode of", path, &e))?;
                let bytes = bytemuck_bytes(&container);
                let word = |o: usize| u32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap());
                let (count, missed) = (word(8) as usize, word(12));
                if missed > 0 {
                    return Ok(None);
                }
                let vals = &bytes[16..];
                let paths = (0..count)
                    .map(|i| {
                        let o = u64::from_ne_bytes(vals[i * 8..i * 8 + 8].try_into().unwrap()) as usize;
                        let end = vals[o..].iter().position(|&b| b == 0).map_or(vals.len(), |e| o + e);
                        vals[o..end].to_vec()
                    })
                    .collect();
                Ok(Some(paths))
            })
            .collect()
    }

    fn fail(op: &str, path: &Path, err: &io::Error) -> Error {
        let mut e = Error::io(op, path_bytes(path), err);
        if err.raw_os_error() == Some(libc::ENOTTY) {
            e.message = format!("{op} {}: not on a btrfs file system", path.display());
        }
        e
    }

    fn is_permission(err: &io::Error) -> bool {
        matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES | libc::EROFS))
    }

    pub fn is_subvolume(path: &Path) -> Result<bool> {
        let c = cpath(path).map_err(|e| fail("stat", path, &e))?;
        let st = lstat(&c).map_err(|e| fail("stat", path, &e))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR || st.st_ino != SUBVOLUME_ROOT_INO {
            return Ok(false);
        }
        // SAFETY: statfs fills the plain-data struct on success; c is NUL-terminated.
        let mut fs: libc::statfs = unsafe { std::mem::zeroed() };
        cvt(unsafe { libc::statfs(c.as_ptr(), &mut fs) }).map_err(|e| fail("statfs", path, &e))?;
        // f_type is signed on some targets; the magic fits in 32 bits.
        Ok(fs.f_type as u32 == BTRFS_SUPER_MAGIC)
    }

    pub fn create_subvolume(path: &Path) -> Result<()> {
        let (dir, name) = parent_and_name(path).map_err(|e| fail("create subvolume", path, &e))?;
        let mut args = VolArgs { fd: 0, name: [0; 4088] };
        put_name(&mut args.name, name).map_err(|e| fail("create subvolume", path, &e))?;
        ioctl(&dir, IOC_SUBVOL_CREATE, &mut args).map_err(|e| fail("create subvolume", path, &e))
    }

    pub fn snapshot_subvolume(src: &Path, dst: &Path, readonly: bool) -> Result<()> {
        if !is_subvolume(src)? {
            return Err(Error {
                code: Code::Io,
                errno: Some("EINVAL"),
                path: Some(path_bytes(src).to_vec()),
                message: format!("snapshot subvolume {}: not a btrfs subvolume", src.display()),
            });
        }
        let source = open_dir(src).map_err(|e| fail("open", src, &e))?;
        let (dir, name) = parent_and_name(dst).map_err(|e| fail("snapshot subvolume", dst, &e))?;
        let mut args = VolArgsV2 {
            fd: source.as_raw_fd() as i64,
            transid: 0,
            flags: if readonly { SUBVOL_RDONLY } else { 0 },
            unused: [0; 4],
            name: [0; 4040],
        };
        put_name(&mut args.name, name).map_err(|e| fail("snapshot subvolume", dst, &e))?;
        ioctl(&dir, IOC_SNAP_CREATE_V2, &mut args).map_err(|e| fail("snapshot subvolume", dst, &e))
    }

    fn flags(fd: &OwnedFd) -> io::Result<u64> {
        let mut flags: u64 = 0;
        ioctl(fd, IOC_SUBVOL_GETFLAGS, &mut flags)?;
        Ok(flags)
    }

    fn set_flag(path: &Path, readonly: bool) -> io::Result<()> {
        let fd = open_dir(path)?;
        let old = flags(&fd)?;
        let mut new = if readonly { old | SUBVOL_RDONLY } else { old & !SUBVOL_RDONLY };
        if new == old {
            return Ok(());
        }
        ioctl(&fd, IOC_SUBVOL_SETFLAGS, &mut new)
    }

    pub fn set_readonly(path: &Path, readonly: bool) -> Result<()> {
        set_flag(path, readonly).map_err(|e| fail("set read-only flag of", path, &e))
    }

    pub fn is_readonly(path: &Path) -> Result<bool> {
        let fd = open_dir(path).map_err(|e| fail("open", path, &e))?;
        Ok(flags(&fd).map_err(|e| fail("get flags of", path, &e))? & SUBVOL_RDONLY != 0)
    }

    fn destroy(dir: &OwnedFd, name: &[u8]) -> io::Result<()> {
        let mut args = VolArgs { fd: 0, name: [0; 4088] };
        put_name(&mut args.name, name)?;
        ioctl(dir, IOC_SNAP_DESTROY, &mut args)
    }

    pub fn delete_subvolume(path: &Path) -> Result<()> {
        if !is_subvolume(path)? {
            return Err(Error {
                code: Code::Io,
                errno: Some("EINVAL"),
                path: Some(path_bytes(path).to_vec()),
                message: format!("delete subvolume {}: not a btrfs subvolume", path.display()),
            });
        }
        let (dir, name) = parent_and_name(path).map_err(|e| fail("delete subvolume", path, &e))?;
        let first = match destroy(&dir, name) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        // Without CAP_SYS_ADMIN but with user_subvol_rm_allowed the kernel checks write access
        // to the subvolume's root, which a read-only subvolume refuses (EROFS): its owner may
        // clear the flag and try again. (Without the option the answer is EPERM, final.)
        let refused_write = matches!(first.raw_os_error(), Some(libc::EROFS | libc::EACCES));
        let retried = if refused_write && is_readonly(path).unwrap_or(false) && set_flag(path, false).is_ok() {
            let r = destroy(&dir, name);
            if r.is_err() {
                let _ = set_flag(path, true);
            }
            Some(r)
        } else {
            None
        };
        let err = match retried {
            Some(Ok(())) => return Ok(()),
            Some(Err(e)) => e,
            None => first,
        };
        if is_permission(&err) {
            let mut e = Error::io("delete subvolume", path_bytes(path), &err);
            e.message = format!("delete subvolume {}: {} ({})", path.display(), DELETE_PERMISSION, e.errno.unwrap_or("EPERM"));
            return Err(e);
        }
        Err(fail("delete subvolume", path, &err))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::path::Path;

    use crate::error::{path_bytes, Code, Error, Result};

    fn unsupported(op: &str, path: &Path) -> Error {
        Error {
            code: Code::Io,
            errno: Some("EOPNOTSUPP"),
            path: Some(path_bytes(path).to_vec()),
            message: format!("{op} {}: btrfs subvolumes are only supported on Linux", path.display()),
        }
    }

    pub fn is_subvolume(_: &Path) -> Result<bool> {
        Ok(false)
    }
    pub fn create_subvolume(path: &Path) -> Result<()> {
        Err(unsupported("create subvolume", path))
    }
    pub fn snapshot_subvolume(_: &Path, dst: &Path, _: bool) -> Result<()> {
        Err(unsupported("snapshot subvolume", dst))
    }
    pub fn set_readonly(path: &Path, _: bool) -> Result<()> {
        Err(unsupported("set read-only flag of", path))
    }
    pub fn is_readonly(path: &Path) -> Result<bool> {
        Err(unsupported("get flags of", path))
    }
    pub fn delete_subvolume(path: &Path) -> Result<()> {
        Err(unsupported("delete subvolume", path))
    }
    pub fn subvolume_info(path: &Path) -> Result<super::SubvolumeInfo> {
        Err(unsupported("describe subvolume", path))
    }
    pub fn changed_inodes(path: &Path, _: u64, _: usize) -> Result<Option<Vec<super::ChangedInode>>> {
        Err(unsupported("search the tree of", path))
    }
    pub fn inode_paths(path: &Path, _: &[u64]) -> Result<Option<Vec<Vec<Vec<u8>>>>> {
        Err(unsupported("resolve an inode of", path))
    }
}
