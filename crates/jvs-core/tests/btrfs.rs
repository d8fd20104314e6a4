//! Subvolume ioctls on a real btrfs (JVS_TEST_BTRFS; see common::fs_dir for skipping).
mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use jvs_core::btrfs::{
    create_subvolume, delete_subvolume, is_readonly, is_subvolume, set_readonly, snapshot_subvolume, DELETE_PERMISSION,
};
use jvs_core::Code;

const NOBODY: u32 = 65534;

/// A fresh directory on btrfs, world-searchable so that a test run as nobody can reach it.
fn btrfs_dir(label: &str) -> Option<PathBuf> {
    let root = fs_dir("btrfs")?;
    let d = tempfile::Builder::new().prefix(label).tempdir_in(root).unwrap().keep();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o755)).unwrap();
    Some(d)
}

/// Removes what a test made, subvolumes included (as root every subvolume can be destroyed).
fn cleanup(dir: &Path) {
    for de in fs::read_dir(dir).unwrap() {
        let p = de.unwrap().path();
        if is_subvolume(&p).unwrap() {
            delete_subvolume(&p).unwrap();
        }
    }
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn subvolumes_are_told_from_directories() {
    let Some(d) = btrfs_dir("is-subvol") else { return };
    fs::create_dir(d.join("plain")).unwrap();
    fs::write(d.join("file"), b"x").unwrap();
    create_subvolume(&d.join("sv")).unwrap();
    std::os::unix::fs::symlink("sv", d.join("link")).unwrap();
    assert!(is_subvolume(&d.join("sv")).unwrap());
    assert!(!is_subvolume(&d.join("plain")).unwrap());
    assert!(!is_subvolume(&d.join("file")).unwrap());
    assert!(!is_subvolume(&d.join("link")).unwrap(), "a symlink to a subvolume is not one");
    assert_eq!(is_subvolume(&d.join("missing")).unwrap_err().code, Code::NotFound);
    assert!(!is_readonly(&d.join("sv")).unwrap());
    cleanup(&d);
}

#[test]
fn outside_btrfs_nothing_is_a_subvolume_and_creation_says_why() {
    let t = tempfile::tempdir().unwrap();
    let on_btrfs = Command::new("stat").args(["-f", "-c", "%T"]).arg(t.path()).output().unwrap();
    if String::from_utf8_lossy(&on_btrfs.stdout).trim() == "btrfs" {
        eprintln!("skipped: the temp directory is on btrfs");
        return;
    }
    assert!(!is_subvolume(t.path()).unwrap());
    let e = create_subvolume(&t.path().join("sv")).unwrap_err();
    assert_eq!((e.code, e.errno), (Code::Io, Some("ENOTTY")));
    assert!(e.message.ends_with("not on a btrfs file system"), "{}", e.message);
}

#[test]
fn read_only_snapshot_holds_the_source_and_refuses_writes() {
    let Some(d) = btrfs_dir("snap") else { return };
    let src = d.join("src");
    create_subvolume(&src).unwrap();
    rich_tree(&src);
    let snap = d.join("snap");
    snapshot_subvolume(&src, &snap, true).unwrap();
    assert!(is_subvolume(&snap).unwrap());
    assert!(is_readonly(&snap).unwrap());
    assert_same_tree(&src, &snap);
    let e = fs::write(snap.join("new"), b"x").unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EROFS));
    // Later changes to the source do not reach the snapshot.
    fs::write(src.join("a.txt"), b"changed").unwrap();
    assert_eq!(fs::read(snap.join("a.txt")).unwrap(), b"hello");

    set_readonly(&snap, false).unwrap();
    assert!(!is_readonly(&snap).unwrap());
    fs::write(snap.join("new"), b"x").unwrap();
    set_readonly(&snap, true).unwrap();
    assert!(is_readonly(&snap).unwrap());

    let writable = d.join("writable");
    snapshot_subvolume(&snap, &writable, false).unwrap();
    assert!(!is_readonly(&writable).unwrap());
    fs::remove_file(writable.join("new")).unwrap();
    cleanup(&d);
}

#[test]
fn snapshot_refuses_a_plain_directory_and_an_existing_destination() {
    let Some(d) = btrfs_dir("snap-refuse") else { return };
    fs::create_dir(d.join("plain")).unwrap();
    let e = snapshot_subvolume(&d.join("plain"), &d.join("s"), true).unwrap_err();
    assert_eq!(e.errno, Some("EINVAL"));
    assert!(e.message.contains("not a btrfs subvolume"), "{}", e.message);
    assert!(!d.join("s").exists(), "the containing subvolume must not be snapshotted instead");

    create_subvolume(&d.join("sv")).unwrap();
    let e = snapshot_subvolume(&d.join("sv"), &d.join("plain"), false).unwrap_err();
    assert_eq!(e.code, Code::Exists);
    let e = create_subvolume(&d.join("sv")).unwrap_err();
    assert_eq!(e.code, Code::Exists);
    cleanup(&d);
}

#[test]
fn delete_removes_read_only_and_writable_subvolumes() {
    let Some(d) = btrfs_dir("delete") else { return };
    let src = d.join("src");
    create_subvolume(&src).unwrap();
    contract_tree(&src);
    snapshot_subvolume(&src, &d.join("ro"), true).unwrap();
    delete_subvolume(&d.join("ro")).unwrap();
    assert!(!d.join("ro").exists());
    delete_subvolume(&src).unwrap();
    assert!(!src.exists());

    fs::create_dir(d.join("plain")).unwrap();
    let e = delete_subvolume(&d.join("plain")).unwrap_err();
    assert!(e.message.contains("not a btrfs subvolume"), "{}", e.message);
    assert!(d.join("plain").exists());
    cleanup(&d);
}

#[test]
fn delete_refuses_a_subvolume_holding_another() {
    let Some(d) = btrfs_dir("nested") else { return };
    let outer = d.join("outer");
    create_subvolume(&outer).unwrap();
    create_subvolume(&outer.join("inner")).unwrap();
    let e = delete_subvolume(&outer).unwrap_err();
    assert_eq!(e.errno, Some("ENOTEMPTY"), "{}", e.message);
    delete_subvolume(&outer.join("inner")).unwrap();
    delete_subvolume(&outer).unwrap();
    cleanup(&d);
}

/// Runs in a child process as nobody (see the test below): deletes the subvolume named by
/// JVS_BTRFS_DELETE and prints the error message, or `deleted`.
#[test]
#[ignore = "helper: run by delete_without_privilege_names_the_permission"]
fn helper_delete_as_caller() {
    let p = PathBuf::from(std::env::var_os("JVS_BTRFS_DELETE").expect("JVS_BTRFS_DELETE"));
    match delete_subvolume(&p) {
        Ok(()) => println!("\nRESULT deleted"),
        Err(e) => println!("\nRESULT {:?} {}", e.errno, e.message),
    }
}

#[test]
fn delete_without_privilege_names_the_permission_and_changes_nothing() {
    if !is_root() {
        eprintln!("skipped: needs root to run a child as nobody");
        return;
    }
    let Some(d) = btrfs_dir("unpriv") else { return };
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap();
    if mounts.contains("user_subvol_rm_allowed") {
        eprintln!("skipped: a btrfs is mounted with user_subvol_rm_allowed");
        cleanup(&d);
        return;
    }
    let src = d.join("src");
    create_subvolume(&src).unwrap();
    fs::write(src.join("f"), b"data").unwrap();
    let chown = Command::new("chown").args(["-R", &format!("{NOBODY}:{NOBODY}")]).arg(&src).status().unwrap();
    assert!(chown.success());
    // Owned by nobody, as everything the snapshot holds.
    let snap = d.join("snap");
    snapshot_subvolume(&src, &snap, true).unwrap();

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "helper_delete_as_caller", "--nocapture", "--test-threads=1"])
        .env("JVS_BTRFS_DELETE", &snap)
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find(|l| l.starts_with("RESULT ")).unwrap_or_else(|| panic!("no result: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    assert!(line.contains("Some(\"EPERM\")"), "{line}");
    assert!(line.contains(DELETE_PERMISSION), "{line}");
    assert!(line.contains("CAP_SYS_ADMIN") && line.contains("user_subvol_rm_allowed"), "{line}");
    assert!(is_subvolume(&snap).unwrap() && is_readonly(&snap).unwrap(), "a refused deletion changes nothing");
    assert_eq!(fs::read(snap.join("f")).unwrap(), b"data");
    cleanup(&d);
}

#[test]
fn changed_inodes_are_those_written_since_a_snapshot_and_resolve_to_their_paths() {
    use jvs_core::btrfs::{changed_inodes, inode_paths, subvolume_info};
    use std::os::unix::fs::MetadataExt;
    let Some(d) = btrfs_dir("changed") else { return };
    let w = d.join("w");
    create_subvolume(&w).unwrap();
    for i in 0..2000 {
        write(&w, &format!("d{}/f{i}", i % 20), b"same", 0o644);
    }
    write(&w, "d3/edit", b"before", 0o644);
    write(&w, "gone", b"x", 0o644);
    let (p, n) = (d.join("p"), d.join("n"));
    snapshot_subvolume(&w, &p, true).unwrap();
    write(&w, "d3/edit", b"after!", 0o644);
    write(&w, "d7/new", b"new", 0o644);
    fs::hard_link(w.join("d7/new"), w.join("d9/also")).unwrap();
    fs::remove_file(w.join("gone")).unwrap();
    snapshot_subvolume(&w, &n, true).unwrap();

    let (pi, ni, wi) = (subvolume_info(&p).unwrap(), subvolume_info(&n).unwrap(), subvolume_info(&w).unwrap());
    assert_eq!(pi.parent_uuid, wi.uuid);
    assert_eq!(ni.parent_uuid, wi.uuid);
    assert!(ni.otransid > pi.otransid);
    let changed = changed_inodes(&n, pi.otransid, 1000).unwrap().expect("under the limit");
    let ino = |rel: &str| fs::symlink_metadata(n.join(rel)).unwrap().ino();
    let inos: Vec<u64> = changed.iter().map(|c| c.ino).collect();
    // The edited file, the new one (one inode, two links), and the directories whose entries
    // changed: the root (gone), d7 and d9. Nothing else of the 2000.
    let mut want = vec![ino("d3/edit"), ino("d7/new"), 256, ino("d7"), ino("d9")];
    want.sort();
    assert_eq!(inos, want);
    assert!(changed.iter().all(|c| c.dir == [256, ino("d7"), ino("d9")].contains(&c.ino)));
    let created_new = changed.iter().find(|c| c.ino == ino("d7/new")).unwrap().created;
    assert!(created_new > pi.otransid);
    assert!(changed.iter().find(|c| c.ino == ino("d3/edit")).unwrap().created <= pi.otransid);
    assert_eq!(changed_inodes(&n, pi.otransid, 2).unwrap(), None, "over the limit");

    let paths = inode_paths(&n, &[ino("d3/edit"), ino("d7/new"), 256, ino("d7")]).unwrap().expect("few links");
    let mut linked = paths[1].clone();
    linked.sort();
    assert_eq!(paths[0], vec![b"d3/edit".to_vec()]);
    assert_eq!(linked, vec![b"d7/new".to_vec(), b"d9/also".to_vec()]);
    assert!(paths[2].is_empty(), "the root has no path inside its subvolume");
    assert_eq!(paths[3], vec![b"d7".to_vec()]);

    // More links than the kernel answers at once (4 KiB of paths): no answer, not a partial one.
    for i in 0..100 {
        fs::hard_link(w.join("d7/new"), w.join(format!("d9/a-rather-long-name-for-one-more-link-{i:03}"))).unwrap();
    }
    let many = d.join("many");
    snapshot_subvolume(&w, &many, true).unwrap();
    assert_eq!(inode_paths(&many, &[ino("d7/new")]).unwrap(), None);

    // The focus: only from an earlier snapshot of the same subvolume.
    use jvs_core::since::btrfs_focus;
    let focus = btrfs_focus(&n, &p, 1000).unwrap().expect("p is an earlier snapshot of w");
    assert!(focus.iter().any(|(path, _)| path == b"d3/edit"));
    let other = d.join("other");
    create_subvolume(&other).unwrap();
    let of_other = d.join("of-other");
    snapshot_subvolume(&other, &of_other, true).unwrap();
    assert!(btrfs_focus(&n, &of_other, 1000).unwrap().is_none(), "a snapshot of another subvolume");
    assert!(btrfs_focus(&p, &n, 1000).unwrap().is_none(), "a later snapshot");
    fs::create_dir(d.join("plain")).unwrap();
    assert!(btrfs_focus(&n, &d.join("plain"), 1000).unwrap().is_none(), "not a subvolume");
    cleanup(&d);
}
