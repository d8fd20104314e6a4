mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use common::*;
use jvs_core::clone::{clone_tree, CloneOptions, DegradeReason, Engine, Fallback};
use jvs_core::probe::probe;
use jvs_core::walk::{walk, Kind};
use jvs_core::{Code, Ctx, Phase};

/// Every test runs under a strict umask: the engines must not depend on it.
fn strict_umask() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| unsafe {
        libc::umask(0o077);
    });
}

fn opts(engine: Engine) -> CloneOptions {
    CloneOptions { engine, exclude: Vec::new(), link_from: None }
}

fn files_of(dir: &Path) -> Vec<Vec<u8>> {
    walk(dir, &Ctx::new()).unwrap().into_iter().filter(|e| e.kind == Kind::File).map(|e| e.path).collect()
}

/// (src, dst) in a fresh temporary directory on the default temp fs.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    strict_umask();
    let t = tempfile::tempdir().unwrap();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    fs::create_dir(&src).unwrap();
    (t, src, dst)
}

fn reflink_works(dir: &Path) -> bool {
    probe(dir, &Ctx::new()).unwrap()[0].ok
}

#[test]
fn copy_engine_keeps_content_modes_times_and_names() {
    let (_t, src, dst) = setup();
    rich_tree(&src);
    let r = clone_tree(&src, &dst, &opts(Engine::Copy), &Ctx::new()).unwrap();
    assert_same_tree(&src, &dst);
    assert_eq!((r.requested, r.engine), (Engine::Copy, Engine::Copy));
    assert!(r.fallbacks.is_empty() && r.degraded.is_empty() && r.hardlinks_split.is_empty(), "{r:?}");
    let files = files_of(&src);
    assert_eq!(r.files, files.len() as u64);
    assert_eq!(r.symlinks, 3);
    assert_eq!(r.dirs, walk(&src, &Ctx::new()).unwrap().iter().filter(|e| e.kind == Kind::Dir).count() as u64);
    assert_eq!(r.bytes, 5 + 6 + 10 + 1 + 1 + 1 + 300_000 + 1 + 18 + 5 + 2 + 5 + 4);
    // The exact modes asked for, whatever the umask.
    let mode = |rel: &str| fs::symlink_metadata(dst.join(rel)).unwrap().mode() & 0o7777;
    assert_eq!(
        [
            mode("private"),
            mode("tool"),
            mode("group-read"),
            mode("setuid"),
            mode("shared"),
            mode("tmp"),
            mode("locked")
        ],
        [0o600, 0o755, 0o640, 0o4755, 0o2775, 0o1777, 0o555]
    );
    assert_eq!(fs::read_link(dst.join("dangling")).unwrap(), Path::new("does/not/exist"));
    assert_eq!(fs::read(raw(&dst, b"non-utf8-\xff\xfe")).unwrap(), b"bytes");
}

#[test]
fn reflink_engine_clones_or_falls_back_per_file() {
    let (t, src, dst) = setup();
    rich_tree(&src);
    let r = clone_tree(&src, &dst, &opts(Engine::Reflink), &Ctx::new()).unwrap();
    assert_same_tree(&src, &dst);
    assert_eq!(r.requested, Engine::Reflink);
    if reflink_works(t.path()) {
        assert_eq!(r.engine, Engine::Reflink);
        assert!(r.fallbacks.is_empty(), "{:?}", r.fallbacks);
        assert!(r.degraded.is_empty());
    } else {
        // ext4 and friends: every file copied, each fallback recorded with its errno.
        assert_eq!(r.engine, Engine::Copy);
        let mut files = files_of(&src);
        files.sort();
        assert_eq!(r.fallbacks.iter().map(|f| f.path.clone()).collect::<Vec<_>>(), files);
        for f in &r.fallbacks {
            assert_eq!((f.from, f.to), (Engine::Reflink, Engine::Copy));
            assert_eq!(f.reason, "EOPNOTSUPP");
        }
        assert_eq!(r.degraded, vec![DegradeReason::Reflink]);
    }
}

#[test]
fn empty_tree_keeps_the_requested_engine() {
    for engine in [Engine::Reflink, Engine::Copy] {
        let (_t, src, dst) = setup();
        let r = clone_tree(&src, &dst, &opts(engine), &Ctx::new()).unwrap();
        assert_eq!(r.engine, engine);
        assert_eq!((r.files, r.dirs, r.symlinks, r.bytes), (0, 0, 0, 0));
        assert!(fs::read_dir(&dst).unwrap().next().is_none());
    }
}

#[test]
fn hard_links_inside_the_tree_are_split_and_reported() {
    let (t, src, dst) = setup();
    write(&src, "a", b"same inode", 0o644);
    fs::create_dir(src.join("d")).unwrap();
    fs::hard_link(src.join("a"), src.join("d/b")).unwrap();
    write(&src, "c", b"linked from outside only", 0o644);
    fs::hard_link(src.join("c"), t.path().join("outside")).unwrap();
    for engine in [Engine::Copy, Engine::Reflink] {
        let _ = fs::remove_dir_all(&dst);
        let r = clone_tree(&src, &dst, &opts(engine), &Ctx::new()).unwrap();
        assert_eq!(r.hardlinks_split, vec![b"a".to_vec(), b"d/b".to_vec()]);
        assert_eq!(r.degraded[0], DegradeReason::Hardlink, "first file met is a split one");
        assert_eq!(fs::metadata(dst.join("a")).unwrap().nlink(), 1);
        assert_ne!(fs::metadata(dst.join("a")).unwrap().ino(), fs::metadata(dst.join("d/b")).unwrap().ino());
        assert_eq!(root_hash(&src), root_hash(&dst));
    }
}

#[cfg(target_os = "linux")]
fn set_xattr(p: &Path, name: &str, value: &[u8]) {
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())).unwrap();
    let n = std::ffi::CString::new(name).unwrap();
    let r = unsafe { libc::lsetxattr(c.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    assert_eq!(r, 0, "setxattr {}: {}", p.display(), std::io::Error::last_os_error());
}

#[cfg(target_os = "linux")]
fn get_xattr(p: &Path, name: &str) -> Option<Vec<u8>> {
    let c = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str())).unwrap();
    let n = std::ffi::CString::new(name).unwrap();
    let mut buf = vec![0u8; 65536];
    let r = unsafe { libc::lgetxattr(c.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    (r >= 0).then(|| buf[..r as usize].to_vec())
}

#[cfg(target_os = "linux")]
fn xattr_tree(src: &Path) {
    write(src, "plain", b"no xattrs", 0o644);
    write(src, "tagged", b"with xattrs", 0o644);
    set_xattr(&src.join("tagged"), "user.jvs.one", b"1");
    // ext4 keeps all of an inode's xattrs in one 4 KiB block.
    set_xattr(&src.join("tagged"), "user.jvs.big", &[7u8; 3000]);
    // Read-only afterwards: setting user.* needs write permission (the clone must order it so too).
    fs::set_permissions(src.join("tagged"), fs::Permissions::from_mode(0o444)).unwrap();
    mkdir(src, "dir", 0o755);
    set_xattr(&src.join("dir"), "user.jvs.dir", b"d");
    set_xattr(src, "user.jvs.root", b"r");
}

#[cfg(target_os = "linux")]
#[test]
fn xattrs_are_copied() {
    let (_t, src, dst) = setup();
    xattr_tree(&src);
    for engine in [Engine::Copy, Engine::Reflink] {
        let _ = fs::remove_dir_all(&dst);
        let r = clone_tree(&src, &dst, &opts(engine), &Ctx::new()).unwrap();
        assert!(r.xattrs_skipped.is_empty(), "{:?}", r.xattrs_skipped);
        assert_eq!(get_xattr(&dst.join("tagged"), "user.jvs.one").as_deref(), Some(&b"1"[..]));
        assert_eq!(get_xattr(&dst.join("tagged"), "user.jvs.big"), Some(vec![7u8; 3000]));
        assert_eq!(get_xattr(&dst.join("dir"), "user.jvs.dir").as_deref(), Some(&b"d"[..]));
        assert_eq!(get_xattr(&dst, "user.jvs.root").as_deref(), Some(&b"r"[..]));
        // Set before the final mode 0444 took away the write permission they need.
        assert_eq!(fs::metadata(dst.join("tagged")).unwrap().mode() & 0o777, 0o444);
    }
}

/// A mount point that is unmounted (and removed) on drop.
#[cfg(target_os = "linux")]
struct Mounted(PathBuf);

#[cfg(target_os = "linux")]
impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
        let _ = fs::remove_dir(&self.0);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn xattrs_the_destination_refuses_are_reported() {
    // ramfs has no xattr support at all (tmpfs has user.* since Linux 6.6); mounting needs root.
    if !is_root() {
        eprintln!("skipped: mounting ramfs needs root");
        return;
    }
    let (t, src, _) = setup();
    xattr_tree(&src);
    let m = Mounted(t.path().join("ramfs"));
    fs::create_dir(&m.0).unwrap();
    let ok = std::process::Command::new("mount").args(["-t", "ramfs", "ramfs"]).arg(&m.0).status().unwrap();
    if !ok.success() {
        eprintln!("skipped: cannot mount ramfs");
        return;
    }
    let dst = m.0.join("dst");
    let r = clone_tree(&src, &dst, &opts(Engine::Copy), &Ctx::new()).unwrap();
    assert_eq!(r.xattrs_skipped, vec![b".".to_vec(), b"dir".to_vec(), b"tagged".to_vec()]);
    assert_eq!(root_hash(&src), root_hash(&dst));
    assert_eq!(fs::metadata(dst.join("tagged")).unwrap().mode() & 0o777, 0o444);
}

#[test]
fn owner_is_kept_when_root() {
    if !is_root() {
        eprintln!("skipped: needs root to chown");
        return;
    }
    let (_t, src, dst) = setup();
    write(&src, "theirs", b"x", 0o644);
    write(&src, "suid", b"x", 0o644);
    mkdir(&src, "dir", 0o750);
    link(&src, "dir/ln", "../theirs");
    for p in ["theirs", "suid", "dir", "dir/ln"] {
        std::os::unix::fs::lchown(src.join(p), Some(1234), Some(1234)).unwrap();
    }
    // chown clears setuid: the clone must chown before chmod.
    fs::set_permissions(src.join("suid"), fs::Permissions::from_mode(0o4755)).unwrap();
    stamp_times(&src);
    for engine in [Engine::Copy, Engine::Reflink] {
        let _ = fs::remove_dir_all(&dst);
        clone_tree(&src, &dst, &opts(engine), &Ctx::new()).unwrap();
        assert_same_tree(&src, &dst);
        for p in ["theirs", "suid", "dir", "dir/ln"] {
            let m = fs::symlink_metadata(dst.join(p)).unwrap();
            assert_eq!((m.uid(), m.gid()), (1234, 1234), "{p}");
        }
        assert_eq!(fs::metadata(dst.join("suid")).unwrap().mode() & 0o7777, 0o4755);
    }
}

#[test]
fn setgid_destination_parent_does_not_give_its_group() {
    if !is_root() {
        eprintln!("skipped: needs root to chgrp");
        return;
    }
    let (t, src, _) = setup();
    write(&src, "f", b"x", 0o644);
    mkdir(&src, "d", 0o755);
    link(&src, "d/ln", "../f");
    stamp_times(&src);
    let parent = t.path().join("sgid");
    fs::create_dir(&parent).unwrap();
    std::os::unix::fs::chown(&parent, None, Some(1234)).unwrap();
    fs::set_permissions(&parent, fs::Permissions::from_mode(0o2775)).unwrap();
    let dst = parent.join("dst");
    clone_tree(&src, &dst, &opts(Engine::Copy), &Ctx::new()).unwrap();
    assert_same_tree(&src, &dst);
}

#[test]
fn special_file_is_refused_before_anything_is_created() {
    let (_t, src, dst) = setup();
    rich_tree(&src);
    mkfifo(&src.join("shared/pipe"));
    for engine in [Engine::Copy, Engine::Reflink, Engine::Juicefs] {
        let e = clone_tree(&src, &dst, &opts(engine), &Ctx::new()).unwrap_err();
        assert_eq!(e.code, Code::UnsupportedFile);
        assert_eq!(e.path.as_deref(), Some(&b"shared/pipe"[..]));
        assert_eq!(e.message, "unsupported file type (fifo): shared/pipe");
        assert!(!dst.exists());
    }
}

#[test]
fn exclusions_leave_out_entries_and_subtrees() {
    let (_t, src, dst) = setup();
    write(&src, ".READY", b"{}", 0o644);
    write(&src, "keep/.READY", b"kept: only exact paths match", 0o644);
    write(&src, "skip/a", b"a", 0o644);
    mkfifo(&src.join("skip/pipe"));
    write(&src, "skipper", b"a sibling with the same prefix", 0o644);
    stamp_times(&src);
    let o = CloneOptions { engine: Engine::Copy, exclude: vec![b".READY".to_vec(), b"skip".to_vec()], link_from: None };
    let r = clone_tree(&src, &dst, &o, &Ctx::new()).unwrap();
    let got: Vec<Vec<u8>> = walk(&dst, &Ctx::new()).unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(got, vec![b"keep".to_vec(), b"keep/.READY".to_vec(), b"skipper".to_vec()]);
    assert_eq!((r.files, r.dirs), (2, 1));
    let m = fs::metadata(&dst).unwrap();
    assert_eq!(m.mtime_nsec(), fs::metadata(&src).unwrap().mtime_nsec());
}

#[test]
fn existing_destination_is_refused_and_left_alone() {
    let (_t, src, dst) = setup();
    write(&src, "a", b"a", 0o644);
    fs::create_dir(&dst).unwrap();
    fs::write(dst.join("mine"), b"mine").unwrap();
    let e = clone_tree(&src, &dst, &opts(Engine::Copy), &Ctx::new()).unwrap_err();
    assert_eq!((e.code, e.errno), (Code::Exists, Some("EEXIST")));
    assert_eq!(fs::read(dst.join("mine")).unwrap(), b"mine");
    // A dangling symlink also exists.
    let dl = dst.with_file_name("dl");
    std::os::unix::fs::symlink("nowhere", &dl).unwrap();
    assert_eq!(clone_tree(&src, &dl, &opts(Engine::Copy), &Ctx::new()).unwrap_err().code, Code::Exists);
}

#[test]
fn missing_source_or_destination_parent() {
    let (t, src, dst) = setup();
    let e = clone_tree(&t.path().join("nope"), &dst, &opts(Engine::Copy), &Ctx::new()).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    let e = clone_tree(&src, &t.path().join("no/parent"), &opts(Engine::Copy), &Ctx::new()).unwrap_err();
    assert_eq!(e.code, Code::NotFound);
    assert!(!dst.exists());
}

#[test]
fn progress_reaches_the_totals() {
    let (_t, src, dst) = setup();
    rich_tree(&src);
    let ctx = Ctx::new();
    let r = clone_tree(&src, &dst, &opts(Engine::Copy), &ctx).unwrap();
    let p = ctx.progress();
    assert_eq!(p.phase, Phase::Clone);
    assert_eq!((p.entries_done, p.entries_total), (r.files + r.dirs + r.symlinks, r.files + r.dirs + r.symlinks));
    assert_eq!((p.bytes_done, p.bytes_total), (r.bytes, r.bytes));
}

#[test]
fn cancellation_removes_the_destination() {
    let (_t, src, dst) = setup();
    for d in 0..20 {
        for f in 0..250 {
            write(&src, &format!("d{d}/f{f}"), b"some bytes", 0o644);
        }
    }
    for engine in [Engine::Copy, Engine::Reflink] {
        let ctx = Arc::new(Ctx::new());
        let watcher = {
            let ctx = ctx.clone();
            std::thread::spawn(move || loop {
                let p = ctx.progress();
                // As soon as the clone phase has created something.
                if p.phase == Phase::Clone && p.entries_done >= 1 {
                    ctx.cancel();
                    return;
                }
                std::thread::yield_now();
            })
        };
        let e = clone_tree(&src, &dst, &opts(engine), &ctx).unwrap_err();
        watcher.join().unwrap();
        assert_eq!(e.code, Code::Cancelled);
        assert!(!dst.exists(), "{engine}: destination left behind");
    }
}

#[test]
fn juicefs_off_juicefs_is_a_reported_copy() {
    let (_t, src, dst) = setup();
    rich_tree(&src);
    let r = clone_tree(&src, &dst, &opts(Engine::Juicefs), &Ctx::new()).unwrap();
    assert_same_tree(&src, &dst);
    assert_eq!((r.requested, r.engine), (Engine::Juicefs, Engine::Copy));
    assert_eq!(r.degraded, vec![DegradeReason::NotOnJuicefs]);
    assert_eq!(
        r.fallbacks,
        vec![Fallback {
            path: b".".to_vec(),
            from: Engine::Juicefs,
            to: Engine::Copy,
            reason: "not-on-juicefs".into()
        }]
    );
}

#[test]
fn engine_and_reason_names() {
    assert_eq!(Engine::ALL.map(Engine::as_str), ["reflink", "copy", "juicefs"]);
    for e in Engine::ALL {
        assert_eq!(e.as_str().parse::<Engine>(), Ok(e));
    }
    assert!("reflink-copy".parse::<Engine>().is_err());
    let names = [
        DegradeReason::Hardlink,
        DegradeReason::Reflink,
        DegradeReason::JuicefsNotAvailable,
        DegradeReason::NotOnJuicefs,
        DegradeReason::JuicefsCloneFailed,
    ]
    .map(DegradeReason::as_str);
    assert_eq!(names, ["hardlink", "reflink", "juicefs-not-available", "not-on-juicefs", "juicefs-clone-failed"]);
}

/// Clones a tree inside `dir` (a reflink filesystem) and checks that every file was cloned.
#[cfg(target_os = "linux")]
fn reflink_fs(fs: &str) {
    let Some(base) = fs_dir(fs) else { return };
    strict_umask();
    let t = tempfile::tempdir_in(&base).unwrap();
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    fs::create_dir(&src).unwrap();
    rich_tree(&src);
    write(&src, "large.bin", &vec![42u8; 8 << 20], 0o644);
    // Larger than the first value buffer: the copy must grow it.
    set_xattr(&src.join("large.bin"), "user.jvs.big", &[9u8; 10_000]);
    stamp_times(&src);
    let r = clone_tree(&src, &dst, &opts(Engine::Reflink), &Ctx::new()).unwrap();
    assert_eq!(r.engine, Engine::Reflink);
    assert!(r.fallbacks.is_empty(), "{:?}", r.fallbacks);
    assert!(r.degraded.is_empty(), "{:?}", r.degraded);
    assert_same_tree(&src, &dst);
    assert_eq!(get_xattr(&dst.join("large.bin"), "user.jvs.big"), Some(vec![9u8; 10_000]));
    // The extents of the clone are shared with the source.
    let out = std::process::Command::new("filefrag").arg("-v").arg(dst.join("large.bin")).output();
    match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout);
            assert!(text.contains("shared"), "filefrag shows no shared extent:\n{text}");
        }
        _ => eprintln!("note: filefrag unavailable; FICLONE success per file is the evidence"),
    }
    // The copy engine's copy_file_range shares extents there too; it must still be exact.
    let dst2 = t.path().join("dst2");
    let r = clone_tree(&src, &dst2, &opts(Engine::Copy), &Ctx::new()).unwrap();
    assert_eq!(r.engine, Engine::Copy);
    assert_same_tree(&src, &dst2);
}

#[cfg(target_os = "linux")]
#[test]
fn xfs_reflink_clones_every_file() {
    reflink_fs("xfs");
}

#[cfg(target_os = "linux")]
#[test]
fn btrfs_reflink_clones_every_file() {
    reflink_fs("btrfs");
}

#[test]
fn materialize_entries_stages_files_and_symlinks_by_index() {
    use jvs_core::clone::{materialize_entries, Engine};
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    contract_tree(&src);
    write(&src, "sub/x.sh", b"#!/bin/sh", 0o4755);
    std::fs::write(raw(&src, b"bad\xffname"), b"raw").unwrap();
    let stage = t.path().join("stage");
    let rels: Vec<Vec<u8>> = vec![b"sub/x.sh".to_vec(), b"link".to_vec(), b"bad\xffname".to_vec()];
    let r = materialize_entries(&src, &rels, &stage, Engine::Copy, &jvs_core::Ctx::new()).unwrap();
    assert_eq!((r.files, r.symlinks), (2, 1));
    let md = std::fs::symlink_metadata(stage.join("0")).unwrap();
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&md.permissions()) & 0o7777, 0o4755);
    let src_md = std::fs::symlink_metadata(src.join("sub/x.sh")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::mtime_nsec(&md), std::os::unix::fs::MetadataExt::mtime_nsec(&src_md));
    assert_eq!(std::fs::read_link(stage.join("1")).unwrap(), std::path::PathBuf::from("a.txt"));
    assert_eq!(std::fs::read(stage.join("2")).unwrap(), b"raw");
    let err = materialize_entries(&src, &[b"sub".to_vec()], &t.path().join("s2"), Engine::Copy, &jvs_core::Ctx::new()).unwrap_err();
    assert_eq!(err.errno, Some("EISDIR"));
    let err = materialize_entries(&src, &[b"nope".to_vec()], &t.path().join("s3"), Engine::Copy, &jvs_core::Ctx::new()).unwrap_err();
    assert_eq!(err.code, jvs_core::Code::NotFound);
}

#[test]
fn link_from_shares_matching_files_and_copies_the_rest() {
    use jvs_core::clone::LinkFrom;
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    contract_tree(&src);
    write(&src, "sub/c.txt", b"cc", 0o600);
    let parent = t.path().join("parent");
    clone_tree(&src, &parent, &opts(Engine::Copy), &Ctx::new()).unwrap();
    // The parent's copy of c.txt no longer has the source's mtime: it must not be shared.
    std::fs::File::options().write(true).open(parent.join("sub/c.txt")).unwrap().set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    let paths = [b"a.txt".to_vec(), b"sub/b.txt".to_vec(), b"sub/c.txt".to_vec()].into_iter().collect();
    let o = CloneOptions { engine: Engine::Copy, exclude: Vec::new(), link_from: Some(LinkFrom { root: parent.clone(), paths: Some(paths) }) };
    let dst = t.path().join("dst");
    let r = clone_tree(&src, &dst, &o, &Ctx::new()).unwrap();
    let ino = |p: &std::path::Path| std::fs::metadata(p).unwrap().ino();
    assert_eq!(ino(&dst.join("a.txt")), ino(&parent.join("a.txt")));
    assert_eq!(ino(&dst.join("sub/b.txt")), ino(&parent.join("sub/b.txt")));
    assert_ne!(ino(&dst.join("sub/c.txt")), ino(&parent.join("sub/c.txt")));
    let h = |p: &Path| jvs_core::hash::hash_tree(p, &Ctx::new()).unwrap().root_hash;
    assert_eq!(h(&dst), h(&src));
    assert_eq!((r.files, r.bytes), (3, 8));
}

#[test]
fn link_from_links_only_matching_copies_and_counts_them() {
    let (t, src, dst) = setup();
    write(&src, "same", b"same", 0o644);
    write(&src, "touched", b"touched", 0o644);
    write(&src, "fresh", b"fresh", 0o644);
    // The other tree (a parent snapshot): copies of `same` and `touched`.
    let parent = t.path().join("parent");
    clone_tree(&src, &parent, &opts(Engine::Copy), &Ctx::new()).unwrap();
    // `touched` gets another mtime in the source: its parent copy no longer matches.
    let f = fs::File::options().write(true).open(src.join("touched")).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000)).unwrap();
    let link_from = jvs_core::clone::LinkFrom {
        root: parent.clone(),
        paths: Some([b"same".to_vec(), b"touched".to_vec()].into_iter().collect()),
    };
    let o = CloneOptions { engine: Engine::Copy, exclude: Vec::new(), link_from: Some(link_from) };
    let r = clone_tree(&src, &dst, &o, &Ctx::new()).unwrap();
    // A linked file shares the parent copy's inode, atime included: compare what is hashed.
    let root = |d: &Path| jvs_core::hash::hash_tree(d, &Ctx::new()).unwrap().root_hash;
    assert_eq!(root(&dst), root(&src));
    assert_eq!(r.linked, 1, "{r:?}");
    let ino = |p: PathBuf| fs::metadata(p).unwrap().ino();
    assert_eq!(ino(dst.join("same")), ino(parent.join("same")));
    assert_ne!(ino(dst.join("touched")), ino(parent.join("touched")));
    assert_ne!(ino(dst.join("fresh")), ino(src.join("fresh")));
}

#[test]
fn link_from_without_paths_links_every_matching_copy() {
    let (t, src, dst) = setup();
    write(&src, "same", b"same", 0o644);
    write(&src, "touched", b"touched", 0o644);
    let parent = t.path().join("parent");
    clone_tree(&src, &parent, &opts(Engine::Copy), &Ctx::new()).unwrap();
    write(&src, "fresh", b"fresh", 0o644);
    let f = fs::File::options().write(true).open(src.join("touched")).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000)).unwrap();
    let o = CloneOptions { engine: Engine::Copy, exclude: Vec::new(), link_from: Some(jvs_core::clone::LinkFrom { root: parent.clone(), paths: None }) };
    let r = clone_tree(&src, &dst, &o, &Ctx::new()).unwrap();
    assert_eq!(r.linked, 1, "{r:?}");
    let ino = |p: PathBuf| fs::metadata(p).unwrap().ino();
    assert_eq!(ino(dst.join("same")), ino(parent.join("same")));
    assert_ne!(ino(dst.join("touched")), ino(parent.join("touched")));
}
