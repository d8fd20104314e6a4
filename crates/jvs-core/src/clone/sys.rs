//! Thin, safe wrappers over the few libc calls the engines need and std does not offer in a
//! dirfd-relative form (openat, mkdir without umask surprises, symlinkat, fstatat).

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::errno_name;

/// A C string from raw name bytes; a name can never contain NUL, so that is EINVAL.
pub(crate) fn cstr(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

pub(crate) fn cpath(p: &Path) -> io::Result<CString> {
    cstr(p.as_os_str().as_bytes())
}

pub(crate) fn cvt(r: libc::c_int) -> io::Result<()> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The short reason recorded for a failed mechanism: the errno name when there is one.
pub(crate) fn reason(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => errno_name(n).map(str::to_string).unwrap_or_else(|| format!("errno {n}")),
        None => e.to_string(),
    }
}

pub(crate) fn is_unsupported(e: &io::Error) -> bool {
    // Linux has one number for both; macOS has two.
    matches!(e.raw_os_error(), Some(n) if n == libc::ENOTSUP || n == libc::EOPNOTSUPP)
}

pub(crate) fn openat(dir: BorrowedFd<'_>, name: &CStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<OwnedFd> {
    // SAFETY: name is NUL-terminated; a non-negative return is a new fd we own.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by openat and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens a directory to resolve names relative to it.
pub(crate) fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let c = cpath(path)?;
    // SAFETY: c is NUL-terminated; the fd is owned below.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh fd from open.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(crate) fn mkdir(path: &CStr, mode: libc::mode_t) -> io::Result<()> {
    // SAFETY: NUL-terminated path.
    cvt(unsafe { libc::mkdir(path.as_ptr(), mode) })
}

pub(crate) fn symlinkat(target: &CStr, dir: BorrowedFd<'_>, name: &CStr) -> io::Result<()> {
    // SAFETY: both strings are NUL-terminated; dir is a live fd.
    cvt(unsafe { libc::symlinkat(target.as_ptr(), dir.as_raw_fd(), name.as_ptr()) })
}

pub(crate) fn fstat(fd: BorrowedFd<'_>) -> io::Result<libc::stat> {
    // SAFETY: stat is plain data, fully written by a successful fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

/// lstat by absolute path (never follows a final symlink).
pub(crate) fn lstat(path: &CStr) -> io::Result<libc::stat> {
    // SAFETY: as in fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::lstat(path.as_ptr(), &mut st) })?;
    Ok(st)
}

/// stat by absolute path, following symlinks.
pub(crate) fn stat(path: &CStr) -> io::Result<libc::stat> {
    // SAFETY: as in fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::stat(path.as_ptr(), &mut st) })?;
    Ok(st)
}

pub(crate) fn fstatat_nofollow(dir: BorrowedFd<'_>, name: &CStr) -> io::Result<libc::stat> {
    // SAFETY: as in fstat.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    Ok(st)
}

/// st_mode widened: it is u16 on macOS.
#[allow(clippy::unnecessary_cast)]
pub(crate) fn mode(st: &libc::stat) -> u32 {
    st.st_mode as u32
}
