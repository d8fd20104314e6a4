//! What a clone will create, decided from the walk before anything is written: the entries
//! left after exclusion, special files rejected, hard-link groups found, totals.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::walk::{Entry, Kind};

pub(crate) struct Plan {
    /// Kept entries, in walk order (sorted by path bytes, parents first).
    pub entries: Vec<Entry>,
    pub dirs: usize,
    pub files: usize,
    pub symlinks: usize,
    /// Sum of the walked sizes of the files.
    pub bytes: u64,
    /// Files sharing an inode with another kept file: each becomes an independent copy.
    pub hardlinks: Vec<Vec<u8>>,
    /// Walked entries named exactly by an exclusion (each the top of what it leaves out).
    pub excluded: Vec<Vec<u8>>,
}

impl Plan {
    pub fn new(mut entries: Vec<Entry>, exclude: &[Vec<u8>]) -> Result<Plan> {
        // Filtered in place: at a million entries a second vector would be over 100 MB.
        let excluded = entries.iter().filter(|e| exclude.contains(&e.path)).map(|e| e.path.clone()).collect();
        entries.retain(|e| !excluded_by(&e.path, exclude));
        entries.shrink_to_fit();
        if let Some(e) = entries.iter().find(|e| e.kind.is_special()) {
            return Err(Error::unsupported(e.kind.contract_word(), &e.path));
        }
        let count = |k: Kind| entries.iter().filter(|e| e.kind == k).count();
        let (dirs, files, symlinks) = (count(Kind::Dir), count(Kind::File), count(Kind::Symlink));
        let bytes = entries.iter().filter(|e| e.kind == Kind::File).map(|e| e.size).sum();
        let hardlinks = hardlinked(&entries);
        Ok(Plan { entries, dirs, files, symlinks, bytes, hardlinks, excluded })
    }

    pub fn total_entries(&self) -> u64 {
        self.entries.len() as u64
    }
}

/// Exact match, or inside an excluded directory.
fn excluded_by(path: &[u8], exclude: &[Vec<u8>]) -> bool {
    exclude.iter().any(|x| path == x.as_slice() || (path.starts_with(x) && path.get(x.len()) == Some(&b'/')))
}

/// Paths of files whose inode appears more than once among the entries, in path order. A file
/// whose other links are outside the tree is an ordinary file for the clone.
fn hardlinked(entries: &[Entry]) -> Vec<Vec<u8>> {
    let linked = || entries.iter().filter(|e| e.kind == Kind::File && e.nlink > 1);
    let mut seen: HashMap<(u64, u64), u32> = HashMap::new();
    for e in linked() {
        *seen.entry((e.dev, e.ino)).or_default() += 1;
    }
    linked().filter(|e| seen[&(e.dev, e.ino)] > 1).map(|e| e.path.clone()).collect()
}
