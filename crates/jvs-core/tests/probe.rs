mod common;

use std::fs;
use std::path::Path;

use common::*;
use jvs_core::clone::Engine;
use jvs_core::probe::{probe, EngineProbe};
use jvs_core::{Code, Ctx};

fn no_scratch_left(dir: &Path) {
    let left: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".jvs-probe-"))
        .collect();
    assert!(left.is_empty(), "scratch left behind: {left:?}");
}

fn engines(p: &[EngineProbe]) -> Vec<Engine> {
    p.iter().map(|e| e.engine).collect()
}

#[test]
fn local_directory() {
    let t = tempfile::tempdir().unwrap();
    let p = probe(t.path(), &Ctx::new()).unwrap();
    assert_eq!(engines(&p), vec![Engine::Reflink, Engine::Copy, Engine::Juicefs]);
    assert_eq!((p[1].ok, &p[1].reason), (true, &None));
    // Reflink depends on the filesystem of the temp dir; either way the answer is explained.
    assert_eq!(p[0].ok, p[0].reason.is_none(), "{:?}", p[0]);
    if !p[0].ok {
        assert_eq!(p[0].reason.as_deref(), Some("EOPNOTSUPP"));
    }
    assert_eq!((p[2].ok, p[2].reason.as_deref()), (false, Some("not-on-juicefs")));
    no_scratch_left(t.path());
}

#[test]
fn missing_directory_is_not_found() {
    let t = tempfile::tempdir().unwrap();
    let e = probe(&t.path().join("nope"), &Ctx::new()).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
}

#[test]
fn unwritable_directory_fails_copy_and_reflink_with_the_errno() {
    // A read-only bind mount refuses everyone, root included.
    if !is_root() {
        eprintln!("skipped: a read-only bind mount needs root");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let ro = t.path().join("ro");
    fs::create_dir(&ro).unwrap();
    let mounted = std::process::Command::new("mount").args(["--bind", "-o", "ro"]).arg(&ro).arg(&ro).status();
    if !mounted.is_ok_and(|s| s.success()) {
        eprintln!("skipped: cannot bind-mount");
        return;
    }
    let p = probe(&ro, &Ctx::new());
    let _ = std::process::Command::new("umount").arg(&ro).status();
    let p = p.unwrap();
    assert_eq!((p[0].ok, p[0].reason.as_deref()), (false, Some("EROFS")));
    assert_eq!((p[1].ok, p[1].reason.as_deref()), (false, Some("EROFS")));
}

fn reflink_fs(fs: &str) {
    let Some(base) = fs_dir(fs) else { return };
    let t = tempfile::tempdir_in(base).unwrap();
    let p = probe(t.path(), &Ctx::new()).unwrap();
    assert!(p[0].ok && p[1].ok, "{p:?}");
    no_scratch_left(t.path());
}

#[test]
fn xfs_reflink_works() {
    reflink_fs("xfs");
}

#[test]
fn btrfs_reflink_works() {
    reflink_fs("btrfs");
}
