//! Recognising a JuiceFS mount (CONTRACT §6.1 mount test, research/perf-anchors §1.1, §1.8):
//! the mount holding a path has a type containing `juicefs`, and its control file is a regular
//! file with the fixed inode 0x7FFFFFFF00000002.

use std::fs::File;
use std::os::fd::FromRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::clone::sys::{self, cpath};
use crate::walk::Kind;

pub(crate) const CONTROL_INO: u64 = 0x7FFF_FFFF_0000_0002;

/// Control file names, `--prefix-internal` first as the official client does.
const CONTROL_NAMES: [&str; 2] = [".jfs.control", ".control"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    /// Identifies the mount (mountinfo id; the mount point on macOS).
    pub id: String,
    pub root: PathBuf,
}

/// The JuiceFS mount holding the canonical path `p`, if the mount holding it is one.
#[cfg(target_os = "linux")]
pub(crate) fn juicefs_mount(p: &Path) -> Option<Mount> {
    let text = std::fs::read("/proc/self/mountinfo").ok()?;
    let (id, point, fstype) = holding_mount(&text, p.as_os_str().as_bytes())?;
    fstype.to_ascii_lowercase().contains("juicefs").then(|| Mount { id, root: PathBuf::from(point) })
}

/// The mount from `mountinfo` text whose mount point is the longest path-component prefix of
/// `p` (a later line wins a tie: it is mounted on top). Returns (id, mount point, fstype).
#[cfg(target_os = "linux")]
fn holding_mount(mountinfo: &[u8], p: &[u8]) -> Option<(String, std::ffi::OsString, String)> {
    use std::os::unix::ffi::OsStringExt;
    let mut best: Option<(usize, String, Vec<u8>, String)> = None;
    for line in mountinfo.split(|&c| c == b'\n') {
        let fields: Vec<&[u8]> = line.split(|&c| c == b' ').collect();
        // id parent major:minor root mount-point options [optional...] - fstype source super
        let Some(dash) = fields.iter().position(|f| *f == b"-") else { continue };
        if fields.len() < 5 || dash + 1 >= fields.len() {
            continue;
        }
        let point = unescape(fields[4]);
        let covers =
            point == b"/" || p == point.as_slice() || (p.starts_with(&point) && p.get(point.len()) == Some(&b'/'));
        if covers && best.as_ref().is_none_or(|b| point.len() >= b.0) {
            let fstype = String::from_utf8_lossy(fields[dash + 1]).into_owned();
            best = Some((point.len(), String::from_utf8_lossy(fields[0]).into_owned(), point, fstype));
        }
    }
    best.map(|(_, id, point, fstype)| (id, std::ffi::OsString::from_vec(point), fstype))
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
#[cfg(target_os = "linux")]
fn unescape(f: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(f.len());
    let mut i = 0;
    while i < f.len() {
        let oct = f.get(i + 1..i + 4).filter(|o| f[i] == b'\\' && o.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct {
            Some(o) => {
                out.push(o.iter().fold(0u8, |v, c| v.wrapping_mul(8) + (c - b'0')));
                i += 4;
            }
            None => {
                out.push(f[i]);
                i += 1;
            }
        }
    }
    out
}

/// macOS: JuiceFS mounts report `JuiceFS:<volume>` as their source.
#[cfg(target_os = "macos")]
pub(crate) fn juicefs_mount(p: &Path) -> Option<Mount> {
    use std::ffi::CStr;
    let c = cpath(p).ok()?;
    // SAFETY: statfs fills the plain-data struct on success.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    // SAFETY: the kernel NUL-terminates both names.
    let from = unsafe { CStr::from_ptr(st.f_mntfromname.as_ptr()) };
    let on = unsafe { CStr::from_ptr(st.f_mntonname.as_ptr()) };
    from.to_bytes().starts_with(b"JuiceFS:").then(|| {
        let root = PathBuf::from(std::ffi::OsStr::from_bytes(on.to_bytes()));
        Mount { id: root.to_string_lossy().into_owned(), root }
    })
}

/// The control file seen from `dir` (any directory of the mount resolves it), opened read-write
/// and close-on-exec, with whether it had the `.jfs` prefix. Checked by inode before it is
/// opened: a user's own `.control` file, or a FIFO of that name, is never opened.
pub(crate) fn control_file(dir: &Path) -> Option<(File, bool)> {
    for (i, name) in CONTROL_NAMES.iter().enumerate() {
        let Ok(c) = cpath(&dir.join(name)) else { continue };
        let is_control = |st: &libc::stat| st.st_ino == CONTROL_INO && Kind::from_mode(sys::mode(st)) == Kind::File;
        if !sys::lstat(&c).is_ok_and(|st| is_control(&st)) {
            continue;
        }
        // SAFETY: NUL-terminated path; the fd is owned by the File below.
        let fd = unsafe { libc::open(c.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if fd < 0 {
            continue;
        }
        // SAFETY: fresh fd from open.
        let f = unsafe { File::from_raw_fd(fd) };
        if sys::fstat(std::os::fd::AsFd::as_fd(&f)).is_ok_and(|st| is_control(&st)) {
            return Some((f, i == 0));
        }
    }
    None
}

/// The `juicefs` executable on PATH, if any.
pub(crate) fn cli() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("juicefs")).find(|p| {
        cpath(p).is_ok_and(|c| {
            // SAFETY: NUL-terminated path.
            let executable = unsafe { libc::access(c.as_ptr(), libc::X_OK) == 0 };
            executable && p.is_file()
        })
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    const INFO: &[u8] = b"22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
40 22 0:50 / /mnt/jfs rw,relatime shared:20 - fuse.juicefs JuiceFS:vol rw,user_id=0
41 22 0:51 / /mnt/jfs2 rw,relatime shared:21 - tmpfs tmpfs rw
42 40 0:52 / /mnt/jfs/inner rw - tmpfs tmpfs rw
43 22 0:53 / /mnt/with\\040space rw - fuse.juicefs JuiceFS:v2 rw
";

    fn fstype(p: &str) -> (String, String) {
        let (id, point, t) = holding_mount(INFO, p.as_bytes()).unwrap();
        assert!(!id.is_empty());
        (point.to_string_lossy().into_owned(), t)
    }

    #[test]
    fn longest_component_prefix_wins() {
        assert_eq!(fstype("/mnt/jfs"), ("/mnt/jfs".into(), "fuse.juicefs".into()));
        assert_eq!(fstype("/mnt/jfs/a/b"), ("/mnt/jfs".into(), "fuse.juicefs".into()));
        // Not a plain string prefix (v8.2's bug).
        assert_eq!(fstype("/mnt/jfs2/x"), ("/mnt/jfs2".into(), "tmpfs".into()));
        assert_eq!(fstype("/mnt/jfsx"), ("/".into(), "ext4".into()));
        // A mount inside the JuiceFS mount hides it.
        assert_eq!(fstype("/mnt/jfs/inner/f"), ("/mnt/jfs/inner".into(), "tmpfs".into()));
        assert_eq!(fstype("/mnt/with space/d"), ("/mnt/with space".into(), "fuse.juicefs".into()));
    }
}
