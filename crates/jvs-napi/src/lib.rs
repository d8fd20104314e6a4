//! Thin napi-rs binding over jvs-core. Nothing here decides anything: it converts types,
//! runs the core off Node's threads, streams progress, and reports failures as data.
//!
//! Every asynchronous function returns a Promise that resolves to either its result or a
//! `CoreFailure` record (`failed: true`). The TypeScript facade (src/native/native.ts) turns
//! the record into an `Error` with `code`, `errno` and `path`, created on the JS thread so its
//! stack shows the caller. Bulk results (walk entries, hash records) cross the boundary as one
//! packed Buffer (format: src/codec.rs, decoder: src/native/codec.ts): one allocation instead
//! of a JS object per entry.

#![deny(clippy::all)]

mod codec;
mod run;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use jvs_core::btrfs;
use jvs_core::clone::{self, CloneOptions, Engine, LinkFrom};
use jvs_core::flock::FileLock;
use jvs_core::Ctx;

use run::{spawn_op, ProgressFn};

/// CRC-32 of buffers as if joined (jvs_core::checksum): the stat cache's body check.
#[napi]
pub fn crc32(pieces: Vec<Buffer>) -> u32 {
    jvs_core::checksum::crc32(&pieces)
}

/// Crate version; the loader refuses a module whose version differs from the package's.
#[napi]
pub fn core_version() -> &'static str {
    jvs_core::VERSION
}

/// Cancels the operations it was passed to. The facade creates one per call and wires an
/// AbortSignal to `cancel()`.
#[napi]
pub struct CancelToken {
    ctx: Arc<Ctx>,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken { ctx: Arc::new(Ctx::new()) }
    }

    #[napi]
    pub fn cancel(&self) {
        self.ctx.cancel();
    }
}

#[napi(object)]
pub struct HashOutput {
    /// Lower-case hex root hash.
    pub root_hash: String,
    pub count: u32,
    pub bytes: f64,
    /// Packed records (src/codec.rs) when requested.
    pub records: Option<Buffer>,
}

#[napi(object)]
pub struct CloneFallbackJs {
    pub path: Buffer,
    pub from: String,
    pub to: String,
    pub reason: String,
}

#[napi(object)]
pub struct CloneOutput {
    pub requested: String,
    pub engine: String,
    pub files: f64,
    pub dirs: f64,
    pub symlinks: f64,
    pub bytes: f64,
    pub linked: f64,
    pub fallbacks: Vec<CloneFallbackJs>,
    pub hardlinks_split: Vec<Buffer>,
    pub xattrs_skipped: Vec<Buffer>,
    pub degraded: Vec<String>,
}

#[napi(object)]
pub struct EngineProbeJs {
    pub engine: String,
    pub ok: bool,
    pub reason: Option<String>,
}

/// Walks `root`; resolves to the packed entries.
#[napi(ts_return_type = "Promise<Buffer | CoreFailure>")]
pub fn walk<'env>(env: &'env Env, root: String, token: &CancelToken, on_progress: Option<ProgressFn>) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        jvs_core::walk::walk(&root, ctx).map(|entries| Buffer::from(codec::encode_entries(&entries)))
    })
}

/// The payload root hash of `root` (CONTRACT §4); `known` (packed, src/codec.rs) gives content
/// hashes to take instead of reading those files.
#[napi(ts_return_type = "Promise<HashOutput | CoreFailure>")]
pub fn hash_tree<'env>(
    env: &'env Env,
    root: String,
    want_records: bool,
    known: Option<Buffer>,
    token: &CancelToken,
    on_progress: Option<ProgressFn>,
) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    let known = known.map(|b| codec::decode_known(&b)).unwrap_or_default();
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        jvs_core::hash::hash_tree_known(&root, &known, ctx).map(|r| HashOutput {
            root_hash: jvs_core::hash::hex(&r.root_hash),
            count: r.records.len() as u32,
            bytes: r.bytes as f64,
            records: want_records.then(|| Buffer::from(codec::encode_records(&r.records))),
        })
    })
}

#[napi(object)]
pub struct IndexedTree {
    pub root_hash: String,
    pub dirs: f64,
    pub files: f64,
    pub symlinks: f64,
    /// Bytes of file content read.
    pub bytes: f64,
    /// The tree's records as an index (packed, src/codec.rs), no identity remembered.
    pub index: Buffer,
}

/// Hashes `root` (CONTRACT §4) into an index of its records instead of records: the tree is
/// streamed (jvs_core::hash::hash_sorted), so memory is the index's bytes, not a record per entry.
#[napi(ts_return_type = "Promise<IndexedTree | CoreFailure>")]
pub fn hash_tree_index<'env>(env: &'env Env, root: String, token: &CancelToken, on_progress: Option<ProgressFn>) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        let mut body = Vec::new();
        let bytes = jvs_core::hash::hash_sorted(&root, ctx, &mut |r| codec::put_index_entry(&mut body, &r))?;
        let s = jvs_core::scan::summarize_index(|| codec::index_entries(&body));
        Ok(IndexedTree {
            root_hash: jvs_core::hash::hex(&s.root_hash),
            dirs: s.dirs as f64,
            files: s.files as f64,
            symlinks: s.symlinks as f64,
            bytes: bytes as f64,
            index: Buffer::from(body),
        })
    })
}

#[napi(object)]
pub struct VouchOutput {
    pub vouched: f64,
    pub foreign: Option<Buffer>,
}

/// Remembers in `index` (packed, written in place) the identities under which the entries of
/// `root` hold its records, for entries untouched since `before` (ns; jvs_core::scan::vouch).
/// The caller must not read or change the index until the promise settles.
#[napi(ts_return_type = "Promise<VouchOutput | CoreFailure>")]
pub fn vouch_index<'env>(env: &'env Env, root: String, mut index: Buffer, before: BigInt, token: &CancelToken) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    let before = before.get_i64().0;
    spawn_op(env, token.ctx.clone(), None, move |ctx| {
        if !codec::check_index(&index) {
            return Err(jvs_core::Error::new(jvs_core::Code::Io, "malformed worktree index"));
        }
        let found = jvs_core::scan::vouch(&root, codec::index_entries(&index), before, ctx)?;
        let body: &mut [u8] = &mut index;
        for (at, id) in &found.ids {
            body[codec::index_stat_at(*at)].copy_from_slice(id);
        }
        Ok(VouchOutput { vouched: found.ids.len() as f64, foreign: found.foreign.map(Buffer::from) })
    })
}

/// Records for just the given entries of `root`, packed like hashTree's records.
#[napi(ts_return_type = "Promise<Buffer | CoreFailure>")]
pub fn hash_paths<'env>(
    env: &'env Env,
    root: String,
    paths: Vec<Buffer>,
    token: &CancelToken,
    on_progress: Option<ProgressFn>,
) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    let rels: Vec<Vec<u8>> = paths.iter().map(|b| b.to_vec()).collect();
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        jvs_core::hash::hash_paths(&root, &rels, ctx).map(|r| Buffer::from(codec::encode_records(&r)))
    })
}

/// Walks `root` and compares it with `index` (packed, src/codec.rs), trusting remembered stat
/// identities of entries modified before `trust_before` (ns), with or without their device
/// (`ignore_dev`: `root` is a btrfs snapshot of the tree they were taken in); resolves to the packed
/// differences. The index is read in place on the worker (at 1M entries a copy would be over
/// 100 MB): the caller must not change it until the promise settles (NativeCore contract).
#[napi(ts_return_type = "Promise<Buffer | CoreFailure>")]
pub fn scan_worktree<'env>(
    env: &'env Env,
    root: String,
    index: Buffer,
    trust_before: BigInt,
    ignore_dev: bool,
    read: bool,
    token: &CancelToken,
    on_progress: Option<ProgressFn>,
) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    let trust = jvs_core::scan::Trust { before: trust_before.get_i64().0, ignore_dev };
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        if !codec::check_index(&index) {
            return Err(jvs_core::Error::new(jvs_core::Code::Io, "malformed worktree index"));
        }
        jvs_core::scan::scan_reading(&root, codec::index_entries(&index), trust, read, ctx).map(|ds| Buffer::from(codec::encode_differences(&ds)))
    })
}

/// `scan_worktree` for `snap`, a btrfs snapshot of the subvolume whose earlier snapshot
/// `parent` the index describes, looking only where btrfs says the two may differ
/// (jvs_core::since). Resolves to null when btrfs cannot say (another subvolume's snapshot,
/// most of the tree changed, no CAP_SYS_ADMIN): the caller scans whole.
#[napi(ts_return_type = "Promise<Buffer | null | CoreFailure>")]
pub fn scan_snapshot_since<'env>(
    env: &'env Env,
    snap: String,
    parent: String,
    index: Buffer,
    trust_before: BigInt,
    token: &CancelToken,
) -> Result<Object<'env>> {
    let (snap, parent) = (PathBuf::from(snap), PathBuf::from(parent));
    let trust = jvs_core::scan::Trust { before: trust_before.get_i64().0, ignore_dev: true };
    spawn_op(env, token.ctx.clone(), None, move |ctx| {
        let Some(seekable) = codec::SeekableIndex::new(&index) else {
            return Err(jvs_core::Error::new(jvs_core::Code::Io, "malformed worktree index"));
        };
        // Beyond a quarter of the tree, looking path by path costs more than one walk.
        let limit = seekable.len() / 4 + 1024;
        let Some(focus) = jvs_core::since::btrfs_focus(&snap, &parent, limit)? else { return Ok(None) };
        let found = jvs_core::scan::scan_focused(&snap, &seekable, &focus, trust, ctx)?;
        Ok(found.map(|ds| Buffer::from(codec::encode_differences(&ds))))
    })
}

#[napi(object)]
pub struct IndexSummaryJs {
    pub root_hash: String,
    pub dirs: f64,
    pub files: f64,
    pub symlinks: f64,
}

/// The payload root hash of the records an index (packed, src/codec.rs) holds, and its counts.
/// The index may come in pieces, each of whole entries (a patched index, not joined).
#[napi(ts_return_type = "Promise<IndexSummaryJs | CoreFailure>")]
pub fn summarize_index<'env>(env: &'env Env, pieces: Vec<Buffer>, token: &CancelToken) -> Result<Object<'env>> {
    // Read in place, as scan_worktree's.
    spawn_op(env, token.ctx.clone(), None, move |_| {
        if !codec::check_pieces(&pieces) {
            return Err(jvs_core::Error::new(jvs_core::Code::Io, "malformed worktree index"));
        }
        let s = jvs_core::scan::summarize_index(|| pieces.iter().flat_map(|p| codec::index_entries(p)));
        Ok(IndexSummaryJs { root_hash: jvs_core::hash::hex(&s.root_hash), dirs: s.dirs as f64, files: s.files as f64, symlinks: s.symlinks as f64 })
    })
}

/// Clones `src` into `dst` (which must not exist) with `engine` (`reflink|copy|juicefs`);
/// `link_paths` (all files when null) are hard-linked from `link_root` when that copy matches (a
/// parent snapshot).
#[napi(ts_return_type = "Promise<CloneOutput | CoreFailure>")]
pub fn clone_tree<'env>(
    env: &'env Env,
    src: String,
    dst: String,
    engine: String,
    exclude: Vec<Buffer>,
    link_root: Option<String>,
    link_paths: Option<Vec<Buffer>>,
    token: &CancelToken,
    on_progress: Option<ProgressFn>,
) -> Result<Object<'env>> {
    let engine: Engine = engine.parse().map_err(|_| Error::new(Status::InvalidArg, format!("unknown engine: {engine}")))?;
    let paths = link_paths.map(|ps| ps.iter().map(|b| b.to_vec()).collect());
    let link_from = link_root.map(|root| LinkFrom { root: PathBuf::from(root), paths });
    let opts = CloneOptions { engine, exclude: exclude.iter().map(|b| b.to_vec()).collect(), link_from };
    let (src, dst) = (PathBuf::from(src), PathBuf::from(dst));
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        clone::clone_tree(&src, &dst, &opts, ctx).map(clone_output)
    })
}

/// fsyncs every file and directory under `root` (before publishing it); resolves to the count.
#[napi(ts_return_type = "Promise<number | CoreFailure>")]
pub fn sync_tree<'env>(env: &'env Env, root: String, token: &CancelToken) -> Result<Object<'env>> {
    let root = PathBuf::from(root);
    spawn_op(env, token.ctx.clone(), None, move |ctx| jvs_core::sync::sync_tree(&root, ctx).map(|n| n as f64))
}

fn clone_output(r: clone::CloneReport) -> CloneOutput {
    CloneOutput {
        requested: r.requested.as_str().to_string(),
        engine: r.engine.as_str().to_string(),
        files: r.files as f64,
        dirs: r.dirs as f64,
        symlinks: r.symlinks as f64,
        bytes: r.bytes as f64,
        linked: r.linked as f64,
        fallbacks: r
            .fallbacks
            .into_iter()
            .map(|f| CloneFallbackJs {
                path: f.path.into(),
                from: f.from.as_str().to_string(),
                to: f.to.as_str().to_string(),
                reason: f.reason,
            })
            .collect(),
        hardlinks_split: r.hardlinks_split.into_iter().map(Buffer::from).collect(),
        xattrs_skipped: r.xattrs_skipped.into_iter().map(Buffer::from).collect(),
        degraded: r.degraded.iter().map(|d| d.as_str().to_string()).collect(),
    }
}

/// Materializes files and symlinks `paths` of `src_root` as `<dst_dir>/<index>` (restore's
/// staging), with `engine`.
#[napi(ts_return_type = "Promise<CloneOutput | CoreFailure>")]
pub fn materialize_entries<'env>(
    env: &'env Env,
    src_root: String,
    paths: Vec<Buffer>,
    dst_dir: String,
    engine: String,
    token: &CancelToken,
    on_progress: Option<ProgressFn>,
) -> Result<Object<'env>> {
    let engine: Engine = engine.parse().map_err(|_| Error::new(Status::InvalidArg, format!("unknown engine: {engine}")))?;
    let rels: Vec<Vec<u8>> = paths.iter().map(|b| b.to_vec()).collect();
    let (src_root, dst_dir) = (PathBuf::from(src_root), PathBuf::from(dst_dir));
    spawn_op(env, token.ctx.clone(), on_progress, move |ctx| {
        clone::materialize_entries(&src_root, &rels, &dst_dir, engine, ctx).map(clone_output)
    })
}

/// Which engines work inside `dir`.
#[napi(ts_return_type = "Promise<EngineProbeJs[] | CoreFailure>")]
pub fn probe<'env>(env: &'env Env, dir: String, token: &CancelToken) -> Result<Object<'env>> {
    let dir = PathBuf::from(dir);
    spawn_op(env, token.ctx.clone(), None, move |ctx| {
        jvs_core::probe::probe(&dir, ctx).map(|list| {
            list.into_iter()
                .map(|p| EngineProbeJs { engine: p.engine.as_str().to_string(), ok: p.ok, reason: p.reason })
                .collect::<Vec<_>>()
        })
    })
}

/// Whether `path` is the root of a btrfs subvolume (false off Linux).
#[napi(ts_return_type = "Promise<boolean | CoreFailure>")]
pub fn is_subvolume<'env>(env: &'env Env, path: String, token: &CancelToken) -> Result<Object<'env>> {
    let path = PathBuf::from(path);
    spawn_op(env, token.ctx.clone(), None, move |_| btrfs::is_subvolume(&path))
}

/// Creates an empty btrfs subvolume at `path`.
#[napi(ts_return_type = "Promise<undefined | CoreFailure>")]
pub fn create_subvolume<'env>(env: &'env Env, path: String, token: &CancelToken) -> Result<Object<'env>> {
    let path = PathBuf::from(path);
    spawn_op(env, token.ctx.clone(), None, move |_| btrfs::create_subvolume(&path))
}

/// Snapshots the subvolume `src` as `dst`, read-only when asked.
#[napi(ts_return_type = "Promise<undefined | CoreFailure>")]
pub fn snapshot_subvolume<'env>(env: &'env Env, src: String, dst: String, readonly: bool, token: &CancelToken) -> Result<Object<'env>> {
    let (src, dst) = (PathBuf::from(src), PathBuf::from(dst));
    spawn_op(env, token.ctx.clone(), None, move |_| btrfs::snapshot_subvolume(&src, &dst, readonly))
}

/// Sets or clears the read-only flag of the subvolume at `path`.
#[napi(ts_return_type = "Promise<undefined | CoreFailure>")]
pub fn set_subvolume_readonly<'env>(env: &'env Env, path: String, readonly: bool, token: &CancelToken) -> Result<Object<'env>> {
    let path = PathBuf::from(path);
    spawn_op(env, token.ctx.clone(), None, move |_| btrfs::set_readonly(&path, readonly))
}

/// Deletes the subvolume at `path` (see jvs_core::btrfs::delete_subvolume).
#[napi(ts_return_type = "Promise<undefined | CoreFailure>")]
pub fn delete_subvolume<'env>(env: &'env Env, path: String, token: &CancelToken) -> Result<Object<'env>> {
    let path = PathBuf::from(path);
    spawn_op(env, token.ctx.clone(), None, move |_| btrfs::delete_subvolume(&path))
}

/// An exclusive flock(2) on a file, released by `unlock()` (or when collected).
#[napi]
pub struct FileLockHandle {
    lock: Mutex<Option<FileLock>>,
}

#[napi]
impl FileLockHandle {
    #[napi]
    pub fn unlock(&self) {
        self.lock.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}

/// Waits (on a thread of its own, never the event loop) for an exclusive lock on `path`.
#[napi(ts_return_type = "Promise<FileLockHandle | CoreFailure>")]
pub fn lock_exclusive<'env>(env: &'env Env, path: String, token: &CancelToken) -> Result<Object<'env>> {
    let path = PathBuf::from(path);
    spawn_op(env, token.ctx.clone(), None, move |_| {
        FileLock::exclusive(&path).map(|l| FileLockHandle { lock: Mutex::new(Some(l)) })
    })
}
