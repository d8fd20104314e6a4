//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use jvs_core::hash::{hash_tree, hex};
use jvs_core::walk::{walk, Entry, Kind};
use jvs_core::Ctx;

pub fn write(root: &Path, rel: &str, data: &[u8], mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

pub fn mkdir(root: &Path, rel: &str, mode: u32) {
    let p = root.join(rel);
    fs::create_dir_all(&p).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

pub fn link(root: &Path, rel: &str, target: &str) {
    symlink(target, root.join(rel)).unwrap();
}

pub fn raw(root: &Path, name: &[u8]) -> PathBuf {
    root.join(OsStr::from_bytes(name))
}

pub fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo {}", p.display());
}

/// The tree of CONTRACT §4's vector.
pub fn contract_tree(root: &Path) {
    write(root, "a.txt", b"hello", 0o644);
    mkdir(root, "sub", 0o755);
    write(root, "sub/b.txt", b"x", 0o644);
    mkdir(root, "sub/empty", 0o755);
    link(root, "link", "a.txt");
}

/// Extracts the v8.2 fixture repository; returns the `demo` directory.
pub fn fixture(tmp: &Path) -> PathBuf {
    let tar = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/upstream-v8.2-demo.tar");
    let st = Command::new("tar").arg("-xf").arg(&tar).arg("-C").arg(tmp).status().expect("run tar");
    assert!(st.success(), "extract {}", tar.display());
    tmp.join("demo")
}

/// (snapshot id, payload_root_hash) of every descriptor of a repository.
pub fn descriptor_hashes(repo: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for de in fs::read_dir(repo.join(".jvs/descriptors")).unwrap() {
        let p = de.unwrap().path();
        let text = fs::read_to_string(&p).unwrap();
        let key = "\"payload_root_hash\": \"";
        let i = text.find(key).expect("payload_root_hash") + key.len();
        let id = p.file_stem().unwrap().to_string_lossy().to_string();
        out.push((id, text[i..i + 64].to_string()));
    }
    out.sort();
    out
}

/// Peak resident set of this process, in KiB.
pub fn vm_hwm_kib() -> u64 {
    let s = fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A writable directory on filesystem `fs` (`xfs`, `btrfs`, `juicefs`, …) from `JVS_TEST_<FS>`
/// (docs/testing.md). When unset the test is skipped, printing `JVS_TEST_<FS>_SKIP`'s reason —
/// except under `CI` (set and not `0`/`false`), where it fails unless `JVS_ALLOW_FS_SKIP` is
/// `1`/`all`/`true` or a comma list naming `fs`.
pub fn fs_dir(fs: &str) -> Option<PathBuf> {
    let var = format!("JVS_TEST_{}", fs.to_ascii_uppercase());
    if let Some(v) = std::env::var_os(&var).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(v);
        assert!(p.is_dir(), "{var}={} is not a directory", p.display());
        return Some(p);
    }
    let reason = std::env::var(format!("{var}_SKIP")).unwrap_or_else(|_| format!("{var} not set"));
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    let allowed = std::env::var("JVS_ALLOW_FS_SKIP")
        .is_ok_and(|v| v.split(',').any(|x| matches!(x.trim(), "1" | "all" | "true") || x.trim() == fs));
    assert!(
        !ci || allowed,
        "{fs} is required in CI but unavailable: {reason} (JVS_ALLOW_FS_SKIP={fs} allows skipping)"
    );
    eprintln!("skipped: {fs}: {reason}");
    None
}

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// Sets atime and mtime (ns since the epoch) without following a symlink.
pub fn set_times(p: &Path, atime_ns: i64, mtime_ns: i64) {
    let ts =
        |ns: i64| libc::timespec { tv_sec: ns.div_euclid(1_000_000_000), tv_nsec: ns.rem_euclid(1_000_000_000) as _ };
    let c = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
    let times = [ts(atime_ns), ts(mtime_ns)];
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
    assert_eq!(r, 0, "utimensat {}: {}", p.display(), std::io::Error::last_os_error());
}

pub fn now_ns() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as i64
}

/// Gives every entry under `root` (and root itself) distinct nanosecond times, deepest first so
/// setting them does not disturb a parent's: mtimes in 2020 with odd nanoseconds, atimes an hour
/// ahead — later than mtime and ctime, so `relatime` does not bump them when the tree is read.
pub fn stamp_times(root: &Path) {
    let mut paths: Vec<PathBuf> = vec![root.to_path_buf()];
    let mut i = 0;
    while i < paths.len() {
        let p = paths[i].clone();
        if fs::symlink_metadata(&p).unwrap().is_dir() {
            for de in fs::read_dir(&p).unwrap() {
                paths.push(de.unwrap().path());
            }
        }
        i += 1;
    }
    let now = now_ns();
    for (i, p) in paths.iter().enumerate().rev() {
        let i = i as i64;
        set_times(p, now + 3_600_000_000_000 + i * 7, 1_600_000_000_123_456_789 + i * 1_000_003);
    }
}

/// A tree exercising what a clone must keep: modes with special bits, read-only directories,
/// empty directories, symlinks (one dangling), odd names, deep nesting, stamped times.
pub fn rich_tree(root: &Path) {
    write(root, "a.txt", b"hello", 0o644);
    write(root, "private", b"secret", 0o600);
    write(root, "tool", b"#!/bin/sh\n", 0o755);
    write(root, "group-read", b"g", 0o640);
    write(root, "setuid", b"s", 0o4755);
    write(root, "readonly", b"r", 0o444);
    write(root, "empty-file", b"", 0o644);
    write(root, "big.bin", &(0..300_000u32).map(|i| (i % 251) as u8).collect::<Vec<_>>(), 0o644);
    mkdir(root, "shared", 0o2775);
    write(root, "shared/in-setgid", b"x", 0o664);
    mkdir(root, "tmp", 0o1777);
    mkdir(root, "empty", 0o755);
    mkdir(root, "locked", 0o755);
    write(root, "locked/inside", b"in a read-only dir", 0o644);
    fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o555)).unwrap();
    link(root, "link", "a.txt");
    link(root, "dangling", "does/not/exist");
    link(root, "empty/dirlink", "..");
    fs::write(raw(root, b"non-utf8-\xff\xfe"), b"bytes").unwrap();
    fs::write(root.join("new\nline"), b"nl").unwrap();
    fs::write(root.join("co:lon"), b"colon").unwrap();
    let mut deep = String::new();
    for i in 0..200 {
        deep.push_str(&format!("{}/", i % 10));
    }
    write(root, &format!("{deep}leaf"), b"deep", 0o644);
    stamp_times(root);
}

pub fn root_hash(dir: &Path) -> String {
    hex(&hash_tree(dir, &Ctx::new()).unwrap().root_hash)
}

pub fn atime_ns(p: &Path) -> i64 {
    let m = fs::symlink_metadata(p).unwrap();
    m.atime() * 1_000_000_000 + m.atime_nsec()
}

/// Same entries with the same kind, mode, size (not for dirs), mtime and atime to the ns,
/// owner and symlink target; and the roots' mode and times.
pub fn assert_same_tree(src: &Path, dst: &Path) {
    let a = walk(src, &Ctx::new()).unwrap();
    let b = walk(dst, &Ctx::new()).unwrap();
    let key = |e: &Entry| {
        let size = if e.kind == Kind::Dir { 0 } else { e.size };
        (e.path.clone(), e.kind, e.mode, size, e.mtime_ns, e.uid, e.gid, e.target.clone())
    };
    assert_eq!(a.len(), b.len(), "entry count");
    for (x, y) in a.iter().zip(&b) {
        let shown = String::from_utf8_lossy(&x.path);
        assert_eq!(key(x), key(y), "entry {shown}");
        assert_eq!(atime_ns(&x.abs(src)), atime_ns(&y.abs(dst)), "atime of {shown}");
    }
    let (ms, md) = (fs::metadata(src).unwrap(), fs::metadata(dst).unwrap());
    assert_eq!((ms.mode(), ms.mtime(), ms.mtime_nsec()), (md.mode(), md.mtime(), md.mtime_nsec()), "root");
    assert_eq!(root_hash(src), root_hash(dst));
}
