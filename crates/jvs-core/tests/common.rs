//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

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
