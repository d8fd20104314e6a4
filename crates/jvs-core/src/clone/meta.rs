//! Metadata a clone carries over: owner (root only), extended attributes, exact mode, times.
//!
//! Order per entry: chown, xattrs, chmod, times. chown first because it clears setuid/setgid
//! and `security.capability`; xattrs before chmod because setting a `user.*` attribute needs
//! write permission on the inode, which a final mode like 0444 would take away; times last
//! because nothing after them may touch the entry.
//!
//! Times: mtime to the nanosecond, and atime too, both as `fstat`/`lstat` of the source shows
//! them at clone time (like `cp -a` and the TypeScript fallback). Reading a source may itself
//! bump its atime under `relatime`; that is accepted, atime is informational only.
//!
//! Extended attributes, the rule:
//! - every name the source lists is copied, except that a non-root caller does not even try
//!   `security.*` and `trusted.*` (setting them needs CAP_SYS_ADMIN/CAP_SETFCAP; the LSM gives
//!   new inodes their own label anyway). `system.*` (POSIX ACLs) is tried: the owner may set it.
//! - a set that fails with ENOTSUP/EOPNOTSUPP (the destination fs has no xattrs or not that
//!   namespace) or EPERM/EACCES (privilege) skips that attribute, and the entry's path is
//!   reported in `xattrs_skipped`; any other failure fails the clone.
//! - a source that lists nothing costs one syscall (`flistxattr`) and nothing more.

use std::cell::RefCell;
use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use super::sys::{cvt, is_unsupported};

/// What is copied from a source entry's stat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits including setuid, setgid and sticky.
    pub perm: u32,
    pub atime: libc::timespec,
    pub mtime: libc::timespec,
}

impl Meta {
    pub fn of(st: &libc::stat) -> Meta {
        Meta {
            uid: st.st_uid,
            gid: st.st_gid,
            perm: super::sys::mode(st) & 0o7777,
            atime: libc::timespec { tv_sec: st.st_atime, tv_nsec: st.st_atime_nsec as _ },
            mtime: libc::timespec { tv_sec: st.st_mtime, tv_nsec: st.st_mtime_nsec as _ },
        }
    }
}

/// Who new inodes belong to, decided once per clone, so that `chown` is only paid when it
/// changes something (it is a journaled inode update, a few µs per file).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Owners {
    root: bool,
    uid: u32,
    gid: u32,
    /// The destination's parent is setgid: new inodes take its group, not ours, so the group
    /// of every entry must be set explicitly.
    inherited_gid: bool,
}

impl Owners {
    // S_ISGID is u16 on macOS.
    #[allow(clippy::unnecessary_cast)]
    pub fn new(dst_parent_mode: u32) -> Owners {
        // SAFETY: these getters cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        Owners { root: uid == 0, uid, gid, inherited_gid: dst_parent_mode & libc::S_ISGID as u32 != 0 }
    }

    /// Only root can give an inode away; other callers keep everything as their own
    /// (CONTRACT §6.3: owner not preserved).
    fn needs_chown(&self, m: &Meta) -> bool {
        self.root && (self.inherited_gid || m.uid != self.uid || m.gid != self.gid)
    }
}

/// A destination or source entry: an open file, or an absolute path that is never followed.
#[derive(Clone, Copy)]
pub(crate) enum Node<'a> {
    Fd(BorrowedFd<'a>),
    Path(&'a CStr),
}

/// Gives `dst` the owner (root only), extended attributes (when `src` is given: a macOS
/// clone already carries them), mode (not on symlinks) and times of the source described by
/// `m`, in the order the module docs explain. Returns true when some xattr was skipped.
pub(crate) fn apply(
    src: Option<Node<'_>>,
    dst: Node<'_>,
    m: &Meta,
    owners: &Owners,
    is_symlink: bool,
) -> io::Result<bool> {
    if owners.needs_chown(m) {
        chown(dst, m.uid, m.gid)?;
    }
    let skipped = match src {
        Some(src) => copy_xattrs(src, dst, owners.root)?,
        None => false,
    };
    // A symlink has no mode of its own on Linux (always 0777).
    if !is_symlink {
        chmod(dst, m.perm)?;
    }
    set_times(dst, m)?;
    Ok(skipped)
}

fn chown(n: Node<'_>, uid: u32, gid: u32) -> io::Result<()> {
    // SAFETY: live fd / NUL-terminated path.
    cvt(unsafe {
        match n {
            Node::Fd(fd) => libc::fchown(fd.as_raw_fd(), uid, gid),
            Node::Path(p) => libc::lchown(p.as_ptr(), uid, gid),
        }
    })
}

fn chmod(n: Node<'_>, perm: u32) -> io::Result<()> {
    // SAFETY: live fd / NUL-terminated path. Path nodes here are directories, so following
    // is moot; fchmodat cannot refuse to follow on Linux before 6.6.
    cvt(unsafe {
        match n {
            Node::Fd(fd) => libc::fchmod(fd.as_raw_fd(), perm as libc::mode_t),
            Node::Path(p) => libc::fchmodat(libc::AT_FDCWD, p.as_ptr(), perm as libc::mode_t, 0),
        }
    })
}

fn set_times(n: Node<'_>, m: &Meta) -> io::Result<()> {
    let ts = [m.atime, m.mtime];
    // SAFETY: ts has the two entries the calls read.
    cvt(unsafe {
        match n {
            Node::Fd(fd) => libc::futimens(fd.as_raw_fd(), ts.as_ptr()),
            Node::Path(p) => libc::utimensat(libc::AT_FDCWD, p.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW),
        }
    })
}

/// Per-thread buffers: attribute lists and values are small, allocation per file is not.
struct Bufs {
    names: Vec<u8>,
    value: Vec<u8>,
}

thread_local! {
    static BUFS: RefCell<Bufs> = RefCell::new(Bufs { names: vec![0; 4096], value: vec![0; 4096] });
}

/// Copies the extended attributes of `src` to `dst` under the rule in the module docs.
/// Returns true when some attribute was skipped because the destination refused it.
fn copy_xattrs(src: Node<'_>, dst: Node<'_>, root: bool) -> io::Result<bool> {
    BUFS.with(|b| {
        let Bufs { names, value } = &mut *b.borrow_mut();
        let len = match fill(names, |buf| xattr::list(src, buf)) {
            Ok(n) => n,
            // A source fs without xattrs has none to copy.
            Err(e) if is_unsupported(&e) => return Ok(false),
            Err(e) => return Err(e),
        };
        let mut skipped = false;
        // The list is a sequence of NUL-terminated names.
        let mut rest = &names[..len];
        while let Some(end) = rest.iter().position(|&c| c == 0) {
            let name = CStr::from_bytes_with_nul(&rest[..=end]).expect("one NUL, at the end");
            rest = &rest[end + 1..];
            let bytes = name.to_bytes();
            if bytes.is_empty() || (!root && (bytes.starts_with(b"security.") || bytes.starts_with(b"trusted."))) {
                continue;
            }
            let vlen = match fill(value, |buf| xattr::get(src, name, buf)) {
                Ok(n) => n,
                // Removed since the listing: nothing to copy.
                Err(e) if e.raw_os_error() == Some(xattr::ENOATTR) => continue,
                Err(e) => return Err(e),
            };
            match xattr::set(dst, name, &value[..vlen]) {
                Ok(()) => {}
                Err(e) if is_unsupported(&e) || matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES)) => {
                    skipped = true
                }
                Err(e) => return Err(e),
            }
        }
        Ok(skipped)
    })
}

/// Calls `f` with `buf`, growing it on ERANGE to the size the kernel asks for.
fn fill(buf: &mut Vec<u8>, f: impl Fn(&mut [u8]) -> io::Result<usize>) -> io::Result<usize> {
    loop {
        match f(buf) {
            Err(e) if e.raw_os_error() == Some(libc::ERANGE) => {
                let need = f(&mut [])?;
                buf.resize(need.max(buf.len() * 2), 0);
            }
            r => return r,
        }
    }
}

/// The OS-specific xattr calls; an empty buffer asks for the needed size.
#[cfg(target_os = "linux")]
mod xattr {
    use super::Node;
    use std::ffi::CStr;
    use std::io;
    use std::os::fd::AsRawFd;

    pub const ENOATTR: i32 = libc::ENODATA;

    fn len(r: isize) -> io::Result<usize> {
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }

    pub fn list(n: Node<'_>, buf: &mut [u8]) -> io::Result<usize> {
        let (p, l) = (buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: the kernel writes at most l bytes into buf.
        len(unsafe {
            match n {
                Node::Fd(fd) => libc::flistxattr(fd.as_raw_fd(), p, l),
                Node::Path(path) => libc::llistxattr(path.as_ptr(), p, l),
            }
        })
    }

    pub fn get(n: Node<'_>, name: &CStr, buf: &mut [u8]) -> io::Result<usize> {
        let (p, l) = (buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: as in list.
        len(unsafe {
            match n {
                Node::Fd(fd) => libc::fgetxattr(fd.as_raw_fd(), name.as_ptr(), p, l),
                Node::Path(path) => libc::lgetxattr(path.as_ptr(), name.as_ptr(), p, l),
            }
        })
    }

    pub fn set(n: Node<'_>, name: &CStr, value: &[u8]) -> io::Result<()> {
        let (p, l) = (value.as_ptr().cast(), value.len());
        // SAFETY: the kernel reads l bytes from value.
        super::cvt(unsafe {
            match n {
                Node::Fd(fd) => libc::fsetxattr(fd.as_raw_fd(), name.as_ptr(), p, l, 0),
                Node::Path(path) => libc::lsetxattr(path.as_ptr(), name.as_ptr(), p, l, 0),
            }
        })
    }
}

#[cfg(target_os = "macos")]
mod xattr {
    use super::Node;
    use std::ffi::CStr;
    use std::io;
    use std::os::fd::AsRawFd;

    pub const ENOATTR: i32 = libc::ENOATTR;

    fn len(r: isize) -> io::Result<usize> {
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r as usize)
        }
    }

    pub fn list(n: Node<'_>, buf: &mut [u8]) -> io::Result<usize> {
        let (p, l) = (buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: the kernel writes at most l bytes into buf.
        len(unsafe {
            match n {
                Node::Fd(fd) => libc::flistxattr(fd.as_raw_fd(), p, l, 0),
                Node::Path(path) => libc::listxattr(path.as_ptr(), p, l, libc::XATTR_NOFOLLOW),
            }
        })
    }

    pub fn get(n: Node<'_>, name: &CStr, buf: &mut [u8]) -> io::Result<usize> {
        let (p, l) = (buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: as in list.
        len(unsafe {
            match n {
                Node::Fd(fd) => libc::fgetxattr(fd.as_raw_fd(), name.as_ptr(), p, l, 0, 0),
                Node::Path(path) => libc::getxattr(path.as_ptr(), name.as_ptr(), p, l, 0, libc::XATTR_NOFOLLOW),
            }
        })
    }

    pub fn set(n: Node<'_>, name: &CStr, value: &[u8]) -> io::Result<()> {
        let (p, l) = (value.as_ptr().cast(), value.len());
        // SAFETY: the kernel reads l bytes from value.
        super::cvt(unsafe {
            match n {
                Node::Fd(fd) => libc::fsetxattr(fd.as_raw_fd(), name.as_ptr(), p, l, 0, 0),
                Node::Path(path) => libc::setxattr(path.as_ptr(), name.as_ptr(), p, l, 0, libc::XATTR_NOFOLLOW),
            }
        })
    }
}
