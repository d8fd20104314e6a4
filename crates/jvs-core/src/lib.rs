//! jvs-core: the hot paths of JVS in pure Rust, independent of Node.
//!
//! - [`walk`]: parallel lstat walk, raw byte names, deterministic order.
//! - [`hash`]: the payload root hash of CONTRACT §4 with per-entry records.
//! - [`btrfs`]: subvolumes: test, create, snapshot, read-only flag, delete (Linux).
//! - [`clone`]: clone engines (reflink, copy, juicefs) into a new destination.
//! - [`probe`]: which engines work inside a directory.
//! - [`scan`]: a worktree compared with its index, returning only what differs.
//! - [`flock`]: exclusive file locks (the audit log's append lock).
//! - [`sync`]: fsync a materialized tree before it is published.
//!
//! Every operation takes a [`Ctx`] for cancellation and progress, and fails with an
//! [`Error`] carrying a stable code, the errno name and the path.

pub mod btrfs;
pub mod checksum;
pub mod clone;
pub mod ctx;
pub mod error;
pub mod flock;
pub mod hash;
pub mod pool;
pub mod probe;
pub mod scan;
pub mod since;
pub mod sync;
pub mod walk;

pub use ctx::{Ctx, Phase, ProgressSnapshot};
pub use error::{Code, Error, Result};

/// Version of this crate; the napi binding reports it so the loader can refuse a stale build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
