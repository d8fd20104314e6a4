//! The core's own thread pool. A dedicated pool (not rayon's global one, not Node's libuv
//! pool) so other addons and Node's own I/O never compete with our workers for threads.

use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Workers for CPU-bound work (hashing, cloning from a warm cache): one per core.
/// Measured (research/perf-anchors §2, §4.2): more threads than cores slow FICLONE and hashing.
pub fn cpu() -> &'static ThreadPool {
    static POOL: OnceLock<ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        let n = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("jvs-core-{i}"))
            .build()
            .expect("cannot start the jvs-core thread pool")
    })
}
