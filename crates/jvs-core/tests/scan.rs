mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use jvs_core::hash::{hash_tree, Record};
use jvs_core::scan::{scan, stat_id, Difference, IndexEntry, Trust};
use jvs_core::walk::walk;
use jvs_core::Ctx;

/// Far in the future: every walked entry is outside the racy window.
const TRUST_ALL: Trust = Trust { before: i64::MAX, ignore_dev: false };

/// The index of a tree as it is now: its records, each remembering its current identity.
fn index_of<'a>(records: &'a [Record], root: &Path, remember: bool) -> Vec<IndexEntry<'a>> {
    let walked = walk(root, &Ctx::new()).unwrap();
    let mut idx: Vec<IndexEntry> = records
        .iter()
        .enumerate()
        .map(|(at, r)| IndexEntry {
            at,
            kind: r.kind,
            path: &r.path,
            perm: r.perm,
            size: r.size,
            hash: r.hash,
            stat: remember.then(|| walked.iter().find(|e| e.path == r.path).map(stat_id)).flatten(),
        })
        .collect();
    idx.sort_by(|a, b| a.path.cmp(b.path));
    idx
}

fn paths(ds: &[Difference], records: &[Record]) -> Vec<String> {
    ds.iter()
        .map(|d| {
            let p = d.entry.as_ref().map(|e| e.path.clone()).unwrap_or_else(|| records[d.at.unwrap()].path.clone());
            String::from_utf8(p).unwrap()
        })
        .collect()
}

#[test]
fn an_unchanged_tree_has_no_differences_and_reads_nothing() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let mut idx = index_of(&records, t.path(), true);
    // A remembered identity is believed: a wrong hash behind it goes unnoticed, so the file
    // was not read.
    idx.iter_mut().filter(|x| x.path == b"a.txt").for_each(|x| x.hash = [0; 32]);
    let ds = scan(t.path(), idx.iter().cloned(), TRUST_ALL, &Ctx::new()).unwrap();
    assert!(ds.is_empty(), "{:?}", paths(&ds, &records));
}

#[test]
fn unknown_identities_are_read_and_found_same_and_stable() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let idx = index_of(&records, t.path(), false);
    let ds = scan(t.path(), idx.iter().cloned(), TRUST_ALL, &Ctx::new()).unwrap();
    // Every kind is listed: files read, directories and symlinks compared; all found equal.
    assert_eq!(paths(&ds, &records), vec!["a.txt", "link", "sub", "sub/b.txt", "sub/empty"]);
    assert!(ds.iter().all(|d| d.same && d.stable));
    assert!(ds.iter().filter(|d| d.entry.as_ref().unwrap().kind != jvs_core::walk::Kind::Dir).all(|d| d.hash.is_some()));
}

#[test]
fn racy_entries_are_read_even_with_the_same_identity() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let idx = index_of(&records, t.path(), true);
    let ds = scan(t.path(), idx.iter().cloned(), Trust { before: i64::MIN, ignore_dev: false }, &Ctx::new()).unwrap();
    assert_eq!(paths(&ds, &records), vec!["a.txt", "link", "sub", "sub/b.txt", "sub/empty"]);
    assert!(ds.iter().all(|d| d.same));
}

#[test]
fn changes_additions_removals_and_kind_changes_are_reported_in_path_order() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    write(t.path(), "same-size.txt", b"aaaa", 0o644);
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let idx = index_of(&records, t.path(), true);
    write(t.path(), "same-size.txt", b"bbbb", 0o644); // same size, new content
    write(t.path(), "a.txt", b"hello, longer", 0o644); // other size: not read
    fs::remove_file(t.path().join("sub/b.txt")).unwrap();
    write(t.path(), "new.txt", b"n", 0o644);
    fs::set_permissions(t.path().join("sub/empty"), fs::Permissions::from_mode(0o700)).unwrap();
    fs::remove_file(t.path().join("link")).unwrap();
    mkdir(t.path(), "link", 0o755); // symlink → directory
    write(t.path(), ".READY", b"{}", 0o644); // never part of a payload
    let ds = scan(t.path(), idx.iter().cloned(), TRUST_ALL, &Ctx::new()).unwrap();
    // `sub` lost b.txt: its identity changed, its record did not.
    assert_eq!(paths(&ds, &records), vec!["a.txt", "link", "new.txt", "same-size.txt", "sub", "sub/b.txt", "sub/empty"]);
    let by = |p: &str| ds.iter().find(|d| paths(std::slice::from_ref(d), &records)[0] == p).unwrap();
    assert!(by("a.txt").hash.is_none(), "a file of another size is not read");
    assert!(by("new.txt").at.is_none() && by("new.txt").hash.is_none());
    assert!(by("sub/b.txt").entry.is_none());
    let changed = by("same-size.txt");
    assert!(changed.hash.is_some() && !changed.same && !changed.stable);
    assert!(!by("sub/empty").same);
    assert!(by("sub").same && by("sub").stable);
}

#[test]
fn a_retargeted_symlink_differs_and_carries_its_target_hash() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let idx = index_of(&records, t.path(), true);
    fs::remove_file(t.path().join("link")).unwrap();
    link(t.path(), "link", "sub/b.txt");
    let ds = scan(t.path(), idx.iter().cloned(), TRUST_ALL, &Ctx::new()).unwrap();
    assert_eq!(paths(&ds, &records), vec!["link"]);
    assert_eq!(ds[0].hash, Some(jvs_core::hash::sha256(b"sub/b.txt")));
}

#[test]
fn identities_of_another_device_are_trusted_only_when_told_to_ignore_the_device() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let mut idx = index_of(&records, t.path(), true);
    // As a btrfs snapshot of the tree would show them: another device, all else equal.
    for x in idx.iter_mut() {
        if let Some(id) = x.stat.as_mut() {
            id[28] ^= 1;
        }
    }
    let ds = scan(t.path(), idx.iter().cloned(), TRUST_ALL, &Ctx::new()).unwrap();
    assert_eq!(paths(&ds, &records), vec!["a.txt", "link", "sub", "sub/b.txt", "sub/empty"]);
    let ds = scan(t.path(), idx.iter().cloned(), Trust { ignore_dev: true, ..TRUST_ALL }, &Ctx::new()).unwrap();
    assert!(ds.is_empty());
}

#[test]
fn the_streaming_walk_visits_what_the_walk_lists_in_the_same_order() {
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    // Names around `/` in byte order: `a` (a directory), `a-b`, `a.c`, `a0`, then `a/…`.
    mkdir(t.path(), "a", 0o755);
    write(t.path(), "a/x", b"x", 0o644);
    mkdir(t.path(), "a/x-dir", 0o755);
    write(t.path(), "a/x-dir/y", b"y", 0o644);
    write(t.path(), "a-b", b"", 0o644);
    write(t.path(), "a.c", b"", 0o644);
    write(t.path(), "a0", b"", 0o644);
    std::fs::write(raw(t.path(), b"\xff\x01name"), b"").unwrap();
    let listed: Vec<Vec<u8>> = walk(t.path(), &Ctx::new()).unwrap().into_iter().map(|e| e.path).collect();
    let mut streamed = Vec::new();
    jvs_core::walk::walk_sorted(t.path(), &[], &Ctx::new(), &mut |e| {
        streamed.push(e.path);
        Ok(())
    })
    .unwrap();
    assert_eq!(streamed, listed);
}

/// A focused scan given the paths that changed finds what a whole scan finds, and looks
/// nowhere else: an unlisted path whose content changed behind its back goes unnoticed.
#[test]
fn a_focused_scan_finds_what_a_whole_scan_finds_where_it_is_told_to_look() {
    use jvs_core::scan::{scan_focused, Look};
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    write(t.path(), "keep/k.txt", b"k", 0o644);
    write(t.path(), "moved/m1", b"m1", 0o644);
    write(t.path(), "moved/deep/m2", b"m2", 0o644);
    write(t.path(), "gone/g", b"g", 0o644);
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let idx = index_of(&records, t.path(), true);
    // Changes: a file edited, one added to the root, a directory removed with its content, a
    // directory replaced by another one moved there, a file that became a directory.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write(t.path(), "sub/b.txt", b"y", 0o644);
    write(t.path(), "new.txt", b"n", 0o644);
    fs::remove_dir_all(t.path().join("gone")).unwrap();
    write(t.path(), "elsewhere/m1", b"other", 0o644);
    fs::remove_dir_all(t.path().join("moved")).unwrap();
    fs::rename(t.path().join("elsewhere"), t.path().join("moved")).unwrap();
    fs::remove_file(t.path().join("a.txt")).unwrap();
    write(t.path(), "a.txt/inside", b"i", 0o644);
    // Not in the focus: this edit is the index's to trust.
    write(t.path(), "keep/k.txt", b"K", 0o644);
    let focus: Vec<(Vec<u8>, Look)> = vec![
        (b"".to_vec(), Look::Entry),
        (b"a.txt".to_vec(), Look::Entry),
        (b"moved".to_vec(), Look::Whole),
        (b"new.txt".to_vec(), Look::Entry),
        (b"sub/b.txt".to_vec(), Look::Entry),
    ];
    let focused = scan_focused(t.path(), &idx, &focus, TRUST_ALL, &Ctx::new()).unwrap().expect("no .READY, no other device");
    let whole = scan(t.path(), idx.iter().cloned(), TRUST_ALL, &Ctx::new()).unwrap();
    let summary = |ds: &[Difference]| -> Vec<String> {
        let named = paths(ds, &records);
        ds.iter().zip(named).map(|(d, p)| format!("{p} {:?} {} {}", d.hash.map(|h| h[0]), d.same, d.entry.is_some())).collect()
    };
    let want: Vec<String> = summary(&whole).into_iter().filter(|s| !s.starts_with("keep/")).collect();
    assert_eq!(summary(&focused), want);
    assert!(paths(&focused, &records).contains(&"gone/g".to_string()));
    assert!(paths(&focused, &records).contains(&"moved/deep/m2".to_string()));

    // A `.READY` directory below the root (met in a listing, or in the index): no answer.
    write(t.path(), "sub/.READY/in", b"r", 0o644);
    let mut with_sub = focus.clone();
    with_sub.push((b"sub".to_vec(), Look::Entry));
    with_sub.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(scan_focused(t.path(), &idx, &with_sub, TRUST_ALL, &Ctx::new()).unwrap().is_none());
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let idx = index_of(&records, t.path(), true);
    assert!(scan_focused(t.path(), &idx, &focus, TRUST_ALL, &Ctx::new()).unwrap().is_none());
}

/// The root hash of an index is the payload root hash of its records (CONTRACT §4: lines
/// sorted byte-wise), also where path order and line order part: names followed in longer
/// names by bytes below `:` (`-`, `.`, `/`, digits), and names holding `:` themselves.
#[test]
fn an_index_summary_hashes_its_records_in_line_order() {
    use jvs_core::hash::{assemble, RecordKind};
    use jvs_core::scan::summarize_index;
    let names = ["a", "a-b", "a.c", "a/x", "a/x/y", "a/x-z", "a0", "a;", "a:", "a:b", "a:mode", "a:z", "b", "b/\x01", "b/\x7f"];
    for with_colons in [false, true] {
        let mut records: Vec<Record> = Vec::new();
        for (i, n) in names.iter().filter(|n| with_colons || !n.contains(':')).enumerate() {
            for (k, kind) in [RecordKind::Dir, RecordKind::File, RecordKind::Symlink].into_iter().enumerate() {
                // Each kind takes a different subset, so that kinds interleave in path order.
                if (i + k) % 3 == 2 {
                    continue;
                }
                let path = format!("{n}{}", ["", "", "/s"][k]).into_bytes();
                records.push(Record { kind, path, perm: 0o644, size: i as u64, hash: [i as u8; 32], target: None });
            }
        }
        records.sort_by(|a, b| a.path.cmp(&b.path));
        records.dedup_by(|a, b| a.path == b.path);
        let idx: Vec<IndexEntry> = records
            .iter()
            .enumerate()
            .map(|(at, r)| IndexEntry { at, kind: r.kind, path: &r.path, perm: r.perm, size: r.size, hash: r.hash, stat: None })
            .collect();
        let s = summarize_index(|| idx.iter().cloned());
        assert_eq!(s.root_hash, assemble(records.clone()).root_hash, "colons: {with_colons}");
        assert_eq!((s.dirs + s.files + s.symlinks) as usize, records.len());
    }
}

/// The streaming hash gives the records of the whole-tree hash, in path order.
#[test]
fn hashing_in_path_order_gives_the_whole_hash_records() {
    use jvs_core::hash::hash_sorted;
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    for n in ["a-b", "a.c", "a0", "sub/x/.READY/in", "sub/.READY"] {
        write(t.path(), n, n.as_bytes(), 0o600);
    }
    let whole = hash_tree(t.path(), &Ctx::new()).unwrap();
    let mut seen: Vec<Record> = Vec::new();
    let bytes = hash_sorted(t.path(), &Ctx::new(), &mut |r| seen.push(r)).unwrap();
    let mut want = whole.records.clone();
    want.sort_by(|a, b| a.path.cmp(&b.path));
    let key = |r: &Record| (r.path.clone(), r.kind, r.perm, r.size, r.hash, r.target.clone());
    assert_eq!(seen.iter().map(key).collect::<Vec<_>>(), want.iter().map(key).collect::<Vec<_>>());
    assert_eq!(bytes, whole.bytes);
}

/// Vouching remembers the identity of every entry that holds its record and was not touched
/// since the copy began; nothing else.
#[test]
fn vouching_keeps_entries_untouched_since_the_copy_and_holding_their_record() {
    use jvs_core::scan::vouch;
    let t = tempfile::tempdir().unwrap();
    contract_tree(t.path());
    write(t.path(), "later.txt", b"l", 0o644);
    write(t.path(), "chmod.txt", b"c", 0o644);
    let records = hash_tree(t.path(), &Ctx::new()).unwrap().records;
    let mut idx = index_of(&records, t.path(), false);
    // A record of other permission bits than the untouched file's: it does not hold the file.
    idx.iter_mut().filter(|x| x.path == b"chmod.txt").for_each(|x| x.perm = 0o600);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let before = walk(t.path(), &Ctx::new()).unwrap().iter().map(|e| e.ctime_ns.max(e.mtime_ns)).max().unwrap() + 1;
    std::thread::sleep(std::time::Duration::from_millis(20));
    // Touched after the copy began: not vouched, whatever it holds.
    write(t.path(), "later.txt", b"l", 0o644);
    let v = vouch(t.path(), idx.iter().cloned(), before, &Ctx::new()).unwrap();
    let mut got: Vec<String> = v.ids.iter().map(|(at, _)| String::from_utf8(records[*at].path.clone()).unwrap()).collect();
    got.sort();
    assert_eq!(got, vec!["a.txt", "link", "sub", "sub/b.txt", "sub/empty"]);
    let walked = walk(t.path(), &Ctx::new()).unwrap();
    for (at, id) in &v.ids {
        assert_eq!(*id, stat_id(walked.iter().find(|e| e.path == records[*at].path).unwrap()));
    }
    assert_eq!(v.foreign, None);
}
