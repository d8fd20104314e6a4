mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use jvs_core::hash::{hash_tree, hex, sha256, RecordKind};
use jvs_core::{Code, Ctx};

fn root_hex(dir: &std::path::Path) -> String {
    hex(&hash_tree(dir, &Ctx::new()).unwrap().root_hash)
}

#[test]
fn contract_vector() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    let lines: Vec<String> = r.records.iter().map(|r| String::from_utf8(r.line()).unwrap()).collect();
    assert_eq!(
        lines,
        vec![
            "dir:sub/empty:mode=0755:2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d",
            "dir:sub:mode=0755:ddc6e2b224d0fd821669202258386936fc9ce2899e215eec6322b95f8dd96d6a",
            "file:a.txt:mode=0644,size=5:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "file:sub/b.txt:mode=0644,size=1:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881",
            "symlink:link:mode=0777:18b7cb099a9ea3f50ba899b5ba81e0d377a5f3b16f8f6eeb8b3e58cd4692b993",
        ]
    );
    assert_eq!(hex(&r.root_hash), "fd6b2961012ece43dd298876cc05dfd1887a61f519422cabcc9ebcb85ece093a");
    assert_eq!(r.bytes, 6);
}

#[test]
fn empty_tree_hashes_the_empty_string() {
    let t = tempfile::tempdir().unwrap();
    assert_eq!(root_hex(t.path()), hex(&sha256(b"")));
    assert_eq!(root_hex(t.path()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#[test]
fn every_fixture_snapshot_recomputes_to_its_descriptor() {
    let t = tempfile::tempdir().unwrap();
    let repo = fixture(t.path());
    let hashes = descriptor_hashes(&repo);
    assert_eq!(hashes.len(), 4);
    for (id, want) in hashes {
        let got = root_hex(&repo.join(".jvs/snapshots").join(&id));
        assert_eq!(got, want, "snapshot {id}");
    }
}

#[test]
fn ready_entries_are_skipped_at_any_depth_but_a_ready_directory_is_walked() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let base = root_hex(t.path());
    write(t.path(), ".READY", b"{}", 0o644);
    write(t.path(), "sub/.READY", b"{}", 0o600);
    assert_eq!(root_hex(t.path()), base, ".READY files are outside the hash");
    mkdir(t.path(), "d/.READY", 0o755);
    write(t.path(), "d/.READY/inner", b"i", 0o644);
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    let paths: Vec<&[u8]> = r.records.iter().map(|r| r.path.as_slice()).collect();
    assert!(paths.contains(&&b"d/.READY/inner"[..]));
    assert!(!paths.contains(&&b"d/.READY"[..]));
    // Names that merely start with .READY are ordinary entries.
    write(t.path(), ".READY.gz", b"z", 0o644);
    assert!(hash_tree(t.path(), &Ctx::new()).unwrap().records.iter().any(|r| r.path == b".READY.gz"));
}

#[test]
fn awkward_names_are_hashed_raw() {
    let t = tempfile::tempdir().unwrap();
    for name in [&b"we:ird"[..], b"new\nline", b"tab\tname", b"sp ace ", "caf\u{e9}".as_bytes(), "cafe\u{301}".as_bytes(), b"bad\xff\xfename"] {
        fs::write(raw(t.path(), name), name).unwrap();
    }
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    assert_eq!(r.records.len(), 7, "NFC and NFD names are distinct entries");
    let rec = r.records.iter().find(|r| r.path == b"bad\xff\xfename").unwrap();
    assert_eq!(rec.hash, sha256(b"bad\xff\xfename"));
    let line = r.records.iter().find(|r| r.path == b"new\nline").unwrap().line();
    assert!(line.starts_with(b"file:new\nline:mode="), "newline kept verbatim in the line");
}

#[test]
fn modes_and_symlink_targets_enter_the_hash() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "f", b"data", 0o644);
    let a = root_hex(t.path());
    fs::set_permissions(t.path().join("f"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let b = root_hex(t.path());
    assert_ne!(a, b);
    link(t.path(), "dangling", "no/such/target");
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    let l = r.records.iter().find(|r| r.kind == RecordKind::Symlink).unwrap();
    assert_eq!(l.hash, sha256(b"no/such/target"), "dangling symlinks hash their target");
}

#[test]
fn deep_nesting_200_levels() {
    let t = tempfile::tempdir().unwrap();
    let rel: Vec<String> = (0..200).map(|i| format!("d{i}")).collect();
    let deep = rel.join("/");
    write(t.path(), &format!("{deep}/leaf"), b"x", 0o644);
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    assert_eq!(r.records.len(), 201);
}

#[test]
fn symlink_loops_are_not_followed() {
    let t = tempfile::tempdir().unwrap();
    mkdir(t.path(), "a", 0o755);
    link(t.path(), "a/loop", "..");
    link(t.path(), "self", "self");
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    assert_eq!(r.records.len(), 3);
}

#[test]
fn fifo_is_an_error_and_never_opened() {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "a", b"a", 0o644);
    mkfifo(&t.path().join("pipe"));
    let (tx, rx) = std::sync::mpsc::channel();
    let dir = t.path().to_path_buf();
    std::thread::spawn(move || tx.send(hash_tree(&dir, &Ctx::new())).unwrap());
    let res = rx.recv_timeout(Duration::from_secs(20)).expect("hashing a tree with a FIFO must not hang");
    let err = res.unwrap_err();
    assert_eq!(err.code, Code::UnsupportedFile);
    assert_eq!(err.path.as_deref(), Some(&b"pipe"[..]));
    assert_eq!(err.message, "unsupported file type (fifo): pipe");
}

#[test]
fn sparse_2gib_file_hashes_in_bounded_memory() {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("sparse.bin");
    let f = fs::File::create(&p).unwrap();
    f.set_len(2 << 30).unwrap();
    drop(f);
    let before = vm_hwm_kib();
    let r = hash_tree(t.path(), &Ctx::new()).unwrap();
    let grew = vm_hwm_kib().saturating_sub(before);
    assert!(grew < 64 * 1024, "peak RSS grew by {grew} KiB while hashing 2 GiB");
    assert_eq!(r.records[0].size, 2 << 30);
    // SHA-256 of 2 GiB of zeros, as `head -c 2147483648 /dev/zero | openssl dgst -sha256` prints it.
    assert_eq!(hex(&r.records[0].hash), "a7c744c13cc101ed66c29f672f92455547889cc586ce6d44fe76ae824958ea51");
}

#[test]
fn cancellation_stops_hashing() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..200 {
        write(t.path(), &format!("f{i}"), b"x", 0o644);
    }
    let ctx = Arc::new(Ctx::new());
    ctx.cancel();
    let err = hash_tree(t.path(), &ctx).unwrap_err();
    assert_eq!(err.code, Code::Cancelled);
}

#[test]
fn progress_counts_entries_and_bytes() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let ctx = Ctx::new();
    hash_tree(t.path(), &ctx).unwrap();
    let p = ctx.progress();
    assert_eq!((p.entries_done, p.entries_total, p.bytes_done, p.bytes_total), (5, 5, 6, 6));
}

/// Root reads everything, so the unreadable case runs this test binary again as `nobody`.
#[test]
fn unreadable_file_is_a_clear_error() {
    if let Ok(dir) = std::env::var("JVS_TEST_UNREADABLE_DIR") {
        let err = hash_tree(std::path::Path::new(&dir), &Ctx::new()).unwrap_err();
        assert_eq!(err.code, Code::Io);
        assert_eq!(err.errno, Some("EACCES"));
        assert_eq!(err.path.as_deref(), Some(&b"secret"[..]));
        assert!(err.message.starts_with("open secret: "), "{}", err.message);
        return;
    }
    let t = tempfile::tempdir().unwrap();
    fs::set_permissions(t.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    write(t.path(), "ok", b"fine", 0o644);
    write(t.path(), "secret", b"hidden", 0o000);
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "unreadable_file_is_a_clear_error", "--nocapture"]).env("JVS_TEST_UNREADABLE_DIR", t.path());
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "child failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn hash_paths_gives_the_same_records_as_the_tree() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let tree = hash_tree(t.path(), &Ctx::new()).unwrap();
    let rels: Vec<Vec<u8>> = vec![b"sub/b.txt".to_vec(), b"link".to_vec(), b"sub".to_vec()];
    let got = jvs_core::hash::hash_paths(t.path(), &rels, &Ctx::new()).unwrap();
    for r in &got {
        assert_eq!(Some(r), tree.records.iter().find(|x| x.path == r.path));
    }
    let missing = jvs_core::hash::hash_paths(t.path(), &[b"nope".to_vec()], &Ctx::new()).unwrap_err();
    assert_eq!(missing.code, Code::NotFound);
    mkfifo(&t.path().join("pipe"));
    let special = jvs_core::hash::hash_paths(t.path(), &[b"pipe".to_vec()], &Ctx::new()).unwrap_err();
    assert_eq!(special.code, Code::UnsupportedFile);
}

#[test]
fn known_hashes_are_taken_without_reading_when_the_size_matches() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let plain = hash_tree(t.path(), &Ctx::new()).unwrap();
    let mut known = jvs_core::hash::Known::new();
    // A deliberately wrong hash proves the file was not read; a size mismatch is ignored.
    known.insert(b"a.txt".to_vec(), (5, [7u8; 32]));
    known.insert(b"sub/b.txt".to_vec(), (999, [9u8; 32]));
    let r = jvs_core::hash::hash_tree_known(t.path(), &known, &Ctx::new()).unwrap();
    let a = r.records.iter().find(|x| x.path == b"a.txt").unwrap();
    assert_eq!(a.hash, [7u8; 32]);
    let b = r.records.iter().find(|x| x.path == b"sub/b.txt").unwrap();
    assert_eq!(Some(b), plain.records.iter().find(|x| x.path == b"sub/b.txt"));
    assert_ne!(r.root_hash, plain.root_hash);
}
