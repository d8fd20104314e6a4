//! File content: a reflink (FICLONE on Linux, clonefile on macOS) or a byte copy.

use std::cell::RefCell;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use crate::ctx::Ctx;
use crate::error::{Error, Result};

/// Work between two cancellation checks in a long copy: small enough to stop within a
/// fraction of a second on a slow disk, large enough that the syscall count does not matter.
const CHUNK: usize = 64 << 20;

/// Buffer of the read/write fallback: bounded memory whatever the file size.
const RW_BUF: usize = 128 << 10;

/// Makes `dst` (new, empty) share `src`'s extents.
#[cfg(target_os = "linux")]
pub(crate) fn reflink(src: BorrowedFd<'_>, dst: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: FICLONE takes the source fd as its argument; both fds are live.
    super::sys::cvt(unsafe { libc::ioctl(dst.as_raw_fd(), libc::FICLONE, src.as_raw_fd()) })
}

/// macOS creates the clone itself: `dst_name` in `dst_dir` must not exist yet. The clone carries
/// the source's xattrs and ACLs; owner (CLONE_NOOWNERCOPY: ours), mode and times are set after.
#[cfg(target_os = "macos")]
pub(crate) fn reflink_at(src: BorrowedFd<'_>, dst_dir: BorrowedFd<'_>, dst_name: &std::ffi::CStr) -> io::Result<()> {
    const CLONE_NOFOLLOW: u32 = 0x0001;
    const CLONE_NOOWNERCOPY: u32 = 0x0002;
    // SAFETY: live fds and a NUL-terminated name.
    super::sys::cvt(unsafe {
        libc::fclonefileat(src.as_raw_fd(), dst_dir.as_raw_fd(), dst_name.as_ptr(), CLONE_NOFOLLOW | CLONE_NOOWNERCOPY)
    })
}

/// Copies all bytes of `src` (read from its current offset, normally 0) into the empty `dst`.
/// `size` is the source's size at open time; `rel` names the file in errors.
pub(crate) fn copy(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, size: u64, ctx: &Ctx, rel: &[u8]) -> Result<()> {
    #[cfg(target_os = "linux")]
    if !copy_in_kernel(src, dst, size, ctx, rel)? {
        return Ok(());
    }
    #[cfg(not(target_os = "linux"))]
    let _ = size;
    copy_rw(src, dst, ctx, rel)
}

/// copy_file_range until EOF: in-kernel, and on XFS/btrfs it shares extents, on JuiceFS it is
/// a metadata clone (research/perf-anchors §2d, §1.7). Returns true when the rest must be copied
/// with read/write because this kernel or filesystem pair cannot do it.
#[cfg(target_os = "linux")]
fn copy_in_kernel(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, size: u64, ctx: &Ctx, rel: &[u8]) -> Result<bool> {
    let mut done = 0u64;
    loop {
        ctx.check()?;
        // SAFETY: null offsets use and advance both fds' file offsets.
        let n = unsafe {
            libc::copy_file_range(
                src.as_raw_fd(),
                std::ptr::null_mut(),
                dst.as_raw_fd(),
                std::ptr::null_mut(),
                CHUNK,
                0,
            )
        };
        if n > 0 {
            done += n as u64;
            continue;
        }
        if n == 0 {
            // Some filesystems (procfs-like, some FUSE) report 0 instead of failing; a file
            // that should have had bytes then goes through read/write from where we are.
            return Ok(done < size);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EXDEV | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => return Ok(true),
            _ => return Err(Error::io("copy", rel, &e)),
        }
    }
}

thread_local! {
    static RW: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn copy_rw(src: BorrowedFd<'_>, dst: BorrowedFd<'_>, ctx: &Ctx, rel: &[u8]) -> Result<()> {
    RW.with(|b| {
        let buf = &mut *b.borrow_mut();
        buf.resize(RW_BUF, 0);
        let mut since_check = 0usize;
        loop {
            if since_check >= CHUNK {
                ctx.check()?;
                since_check = 0;
            }
            // SAFETY: reads at most buf.len() bytes into buf.
            let n = unsafe { libc::read(src.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(Error::io("read", rel, &e));
            }
            if n == 0 {
                return Ok(());
            }
            write_all(dst, &buf[..n as usize]).map_err(|e| Error::io("write", rel, &e))?;
            since_check += n as usize;
        }
    })
}

fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: writes from a live slice.
        let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(())
}
