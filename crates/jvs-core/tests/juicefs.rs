//! The JuiceFS engine against a real mount (`JVS_TEST_JUICEFS`, docs/testing.md). The protocol
//! encoding itself is unit-tested in `src/clone/juicefs/proto.rs`.
mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use jvs_core::clone::{clone_tree, CloneOptions, CloneReport, DegradeReason, Engine, Fallback};
use jvs_core::probe::probe;
use jvs_core::{Code, Ctx, Phase};

fn opts(engine: Engine) -> CloneOptions {
    CloneOptions { engine, exclude: Vec::new(), link_from: None }
}

/// A fresh directory on the JuiceFS mount, or None (skipped).
fn jfs_tmp() -> Option<tempfile::TempDir> {
    fs_dir("juicefs").map(|base| tempfile::tempdir_in(base).unwrap())
}

fn whole(from: Engine, to: Engine, reason: &str) -> Fallback {
    Fallback { path: b".".to_vec(), from, to, reason: reason.into() }
}

#[test]
fn protocol_clone_keeps_everything() {
    let Some(t) = jfs_tmp() else { return };
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    fs::create_dir(&src).unwrap();
    rich_tree(&src);
    let ctx = Ctx::new();
    let r = clone_tree(&src, &dst, &opts(Engine::Juicefs), &ctx).unwrap();
    assert_eq!((r.requested, r.engine), (Engine::Juicefs, Engine::Juicefs), "{r:?}");
    if is_root() {
        // root can read the mount's .config, so the protocol itself was used.
        assert!(r.fallbacks.is_empty(), "{:?}", r.fallbacks);
    }
    assert!(r.degraded.is_empty(), "{:?}", r.degraded);
    assert_same_tree(&src, &dst);
    let p = ctx.progress();
    assert_eq!(p.phase, Phase::Clone);
    assert_eq!(p.entries_done, r.files + r.dirs + r.symlinks);
    assert_eq!(p.bytes_done, r.bytes);
}

#[test]
fn hard_links_and_exclusions() {
    let Some(t) = jfs_tmp() else { return };
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    fs::create_dir(&src).unwrap();
    write(&src, "a", b"linked", 0o644);
    fs::hard_link(src.join("a"), src.join("b")).unwrap();
    write(&src, ".READY", b"{}", 0o644);
    write(&src, "sub/.READY", b"kept", 0o644);
    stamp_times(&src);
    let o = CloneOptions { engine: Engine::Juicefs, exclude: vec![b".READY".to_vec()], link_from: None };
    let r = clone_tree(&src, &dst, &o, &Ctx::new()).unwrap();
    assert_eq!(r.engine, Engine::Juicefs);
    assert_eq!(r.hardlinks_split, vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(r.degraded, vec![DegradeReason::Hardlink]);
    assert_eq!(fs::metadata(dst.join("a")).unwrap().nlink(), 1, "the server splits hard links");
    assert!(!dst.join(".READY").exists());
    assert_eq!(fs::read(dst.join("sub/.READY")).unwrap(), b"kept");
    // Removing the excluded entry must not leave the root's times changed.
    let (ms, md) = (fs::metadata(&src).unwrap(), fs::metadata(&dst).unwrap());
    assert_eq!((ms.mtime(), ms.mtime_nsec()), (md.mtime(), md.mtime_nsec()));
    assert_eq!((r.files, r.dirs), (3, 1));
}

#[test]
fn cancellation_leaves_nothing() {
    let Some(t) = jfs_tmp() else { return };
    let (src, dst) = (t.path().join("src"), t.path().join("dst"));
    for d in 0..10 {
        for f in 0..100 {
            write(&src, &format!("d{d}/f{f}"), b"x", 0o644);
        }
    }
    let ctx = Arc::new(Ctx::new());
    let watcher = {
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            while ctx.progress().phase != Phase::Clone {
                std::thread::yield_now();
            }
            ctx.cancel();
        })
    };
    let e = clone_tree(&src, &dst, &opts(Engine::Juicefs), &ctx).unwrap_err();
    watcher.join().unwrap();
    assert_eq!(e.code, Code::Cancelled);
    // The server discards the detached tree; nothing may appear later either.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!dst.exists());
}

#[test]
fn copy_and_reflink_engines_on_juicefs() {
    let Some(t) = jfs_tmp() else { return };
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    rich_tree(&src);
    let dst = t.path().join("copy");
    let r = clone_tree(&src, &dst, &opts(Engine::Copy), &Ctx::new()).unwrap();
    assert_eq!(r.engine, Engine::Copy);
    assert_same_tree(&src, &dst);
    // FUSE has no FICLONE: every file falls back, with its errno.
    let dst = t.path().join("reflink");
    let r = clone_tree(&src, &dst, &opts(Engine::Reflink), &Ctx::new()).unwrap();
    assert_eq!(r.engine, Engine::Copy);
    assert_eq!(r.fallbacks.len() as u64, r.files);
    assert!(r.fallbacks.iter().all(|f| f.reason == "EOPNOTSUPP"), "{:?}", r.fallbacks[0]);
    assert_same_tree(&src, &dst);
}

#[test]
fn probe_on_juicefs() {
    let Some(t) = jfs_tmp() else { return };
    let p = probe(t.path(), &Ctx::new()).unwrap();
    assert_eq!((p[0].ok, p[0].reason.as_deref()), (false, Some("EOPNOTSUPP")));
    assert!(p[1].ok);
    assert_eq!((p[2].engine, p[2].ok, &p[2].reason), (Engine::Juicefs, true, &None));
}

#[test]
fn destination_off_the_mount_is_a_reported_copy() {
    let Some(t) = jfs_tmp() else { return };
    let src = t.path().join("src");
    fs::create_dir(&src).unwrap();
    rich_tree(&src);
    let local = tempfile::tempdir().unwrap();
    let dst = local.path().join("dst");
    let r = clone_tree(&src, &dst, &opts(Engine::Juicefs), &Ctx::new()).unwrap();
    assert_eq!(r.engine, Engine::Copy);
    assert_eq!(r.degraded, vec![DegradeReason::NotOnJuicefs]);
    assert_eq!(r.fallbacks, vec![whole(Engine::Juicefs, Engine::Copy, "not-on-juicefs")]);
    assert_same_tree(&src, &dst);
}

/// The `juicefs` CLI to offer a child: JVS_TEST_JUICEFS_BIN, else one on PATH.
fn cli_dir() -> Option<PathBuf> {
    let bin = std::env::var_os("JVS_TEST_JUICEFS_BIN").map(PathBuf::from).or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|d| d.join("juicefs")).find(|p| p.is_file())
    })?;
    // The engine looks for an executable named exactly `juicefs`.
    let dir = tempfile::Builder::new().prefix("jvs-cli-").tempdir().unwrap().keep();
    std::os::unix::fs::symlink(fs::canonicalize(bin).ok()?, dir.join("juicefs")).ok()?;
    Some(dir)
}

/// Runs `test` of this binary as uid/gid 65534 (who cannot read the mount's `.config`) with
/// `JVS_TEST_JUICEFS_CHILD` = `dir` and PATH = `path`; returns whether it passed.
fn run_as_nobody(test: &str, dir: &Path, path: &Path) -> bool {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture"])
        .env("JVS_TEST_JUICEFS_CHILD", dir)
        .env("PATH", path)
        .env("HOME", dir)
        .uid(65534)
        .gid(65534);
    cmd.status().unwrap().success()
}

/// Child side: the clone of `<child dir>/<src>`, or None when not running as a child.
fn child_clone(src: &str, dst: &str) -> Option<(PathBuf, PathBuf, CloneReport)> {
    let dir = PathBuf::from(std::env::var_os("JVS_TEST_JUICEFS_CHILD")?);
    let (src, dst) = (dir.join(src), dir.join(dst));
    let r = clone_tree(&src, &dst, &opts(Engine::Juicefs), &Ctx::new()).unwrap();
    Some((src, dst, r))
}

#[test]
fn child_cli_clone() {
    let Some((src, dst, r)) = child_clone("plain", "via-cli") else { return };
    assert_eq!(r.engine, Engine::Juicefs, "{r:?}");
    assert!(r.degraded.is_empty(), "{:?}", r.degraded);
    let reason = r.fallbacks[0].reason.clone();
    assert!(reason.starts_with("juicefs CLI (cannot read ") && reason.ends_with(": EACCES)"), "{reason}");
    assert_eq!(r.fallbacks, vec![whole(Engine::Juicefs, Engine::Juicefs, &reason)]);
    assert_same_tree(&src, &dst);
}

/// JuiceFS 1.4 refuses (EACCES) to clone a read-only directory with entries for a non-root
/// caller, 1.3 does not: either the CLI clones, or its failure is a reported whole copy.
#[test]
fn child_cli_clone_or_reported_failure() {
    let Some((src, dst, r)) = child_clone("rich", "rich-clone") else { return };
    if r.engine == Engine::Copy {
        assert_eq!(r.degraded, vec![DegradeReason::JuicefsCloneFailed]);
        assert_eq!(r.fallbacks, vec![whole(Engine::Juicefs, Engine::Copy, "juicefs clone exit status: 1")]);
    } else {
        assert_eq!(r.engine, Engine::Juicefs);
    }
    assert_same_tree(&src, &dst);
}

#[test]
fn child_without_cli() {
    let Some((src, dst, r)) = child_clone("plain", "no-cli") else { return };
    assert_eq!(r.engine, Engine::Copy);
    assert_eq!(r.degraded, vec![DegradeReason::JuicefsNotAvailable]);
    assert!(r.fallbacks[0].reason.ends_with("; no juicefs CLI"), "{:?}", r.fallbacks);
    assert_same_tree(&src, &dst);
}

#[test]
fn unprivileged_caller_uses_the_cli_or_copies() {
    if std::env::var_os("JVS_TEST_JUICEFS_CHILD").is_some() {
        return;
    }
    let Some(t) = jfs_tmp() else { return };
    if !is_root() {
        eprintln!("skipped: needs root to run a child as another user");
        return;
    }
    let plain = t.path().join("plain");
    write(&plain, "a", b"a", 0o644);
    write(&plain, "sub/b", b"b", 0o600);
    link(&plain, "sub/ln", "../a");
    let rich = t.path().join("rich");
    fs::create_dir(&rich).unwrap();
    rich_tree(&rich);
    // Everything belongs to the child's user, so only the .config stays out of its reach.
    let st = Command::new("chown").args(["-R", "-h", "65534:65534"]).arg(t.path()).status().unwrap();
    assert!(st.success());
    fs::set_permissions(rich.join("setuid"), std::os::unix::fs::PermissionsExt::from_mode(0o4755)).unwrap();
    stamp_times(&plain);
    stamp_times(&rich);
    assert!(run_as_nobody("child_without_cli", t.path(), Path::new("/nonexistent")), "child without CLI failed");
    let Some(cli) = cli_dir() else {
        eprintln!("skipped: no juicefs CLI for the CLI path (set JVS_TEST_JUICEFS_BIN)");
        return;
    };
    let ok = run_as_nobody("child_cli_clone", t.path(), &cli)
        && run_as_nobody("child_cli_clone_or_reported_failure", t.path(), &cli);
    let _ = fs::remove_dir_all(&cli);
    assert!(ok, "a child with the CLI failed");
}
