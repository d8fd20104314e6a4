//! Running core work off Node's threads, with throttled progress and failures as data.

use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;

use jvs_core::Ctx;

/// How often progress is delivered to JS at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

#[napi(object)]
pub struct ProgressEvent {
    pub phase: String,
    pub entries_done: f64,
    pub entries_total: f64,
    pub bytes_done: f64,
    pub bytes_total: f64,
}

/// `(p: ProgressEvent) => void`; not error-first (CalleeHandled = false), weak so that it
/// never keeps Node alive by itself.
pub type ProgressFn = ThreadsafeFunction<ProgressEvent, (), ProgressEvent, Status, false, true>;

/// A failed operation, resolved rather than rejected so the facade can build a proper Error.
#[napi(object)]
pub struct CoreFailure {
    pub failed: bool,
    pub code: String,
    pub errno: Option<String>,
    pub path: Option<Buffer>,
    pub message: String,
}

impl From<jvs_core::Error> for CoreFailure {
    fn from(e: jvs_core::Error) -> Self {
        CoreFailure {
            failed: true,
            code: e.code.as_str().to_string(),
            errno: e.errno.map(str::to_string),
            path: e.path.map(Buffer::from),
            message: e.message,
        }
    }
}

fn event(ctx: &Ctx) -> ProgressEvent {
    let p = ctx.progress();
    ProgressEvent {
        phase: p.phase.as_str().to_string(),
        entries_done: p.entries_done as f64,
        entries_total: p.entries_total as f64,
        bytes_done: p.bytes_done as f64,
        bytes_total: p.bytes_total as f64,
    }
}

/// Runs `work` on a thread of its own (the core fans out on its rayon pool from there) and
/// returns a Promise of its result or a CoreFailure. Node's libuv pool is never used.
pub fn spawn_op<T, F>(env: &Env, ctx: Arc<Ctx>, on_progress: Option<ProgressFn>, work: F) -> Result<Object<'_>>
where
    T: ToNapiValue + Send + 'static,
    F: FnOnce(&Ctx) -> jvs_core::Result<T> + Send + 'static,
{
    let (deferred, promise) = env.create_deferred::<Either<T, CoreFailure>, _>()?;
    let reporter = on_progress.map(|tsfn| start_reporter(ctx.clone(), tsfn));
    thread::Builder::new()
        .name("jvs-op".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&ctx)));
            release_freed_memory();
            if let Some((stop, handle)) = reporter {
                drop(stop);
                let _ = handle.join();
            }
            let value = match outcome {
                Ok(Ok(v)) => Either::A(v),
                Ok(Err(e)) => Either::B(CoreFailure::from(e)),
                Err(_) => Either::B(CoreFailure::from(jvs_core::Error::new(jvs_core::Code::Io, "internal error: native worker panicked"))),
            };
            deferred.resolve(move |_| Ok(value));
        })
        .map_err(|e| Error::from_reason(format!("cannot start worker thread: {e}")))?;
    Ok(promise)
}

/// Hands the memory an operation freed back to the system. glibc keeps freed memory in the
/// arena of the thread that allocated it (each operation's thread and the pool's have their
/// own), so after a walk of a million entries the process would stay that much larger while
/// JavaScript goes on allocating; at 1M files that is the difference between 300 and 400 MB.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's arenas to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Polls the context's counters and delivers them NonBlocking: when JS is slow the call is
/// dropped (the next one carries fresher numbers), so workers never wait for JS.
fn start_reporter(ctx: Arc<Ctx>, tsfn: ProgressFn) -> (mpsc::Sender<()>, thread::JoinHandle<()>) {
    let (stop, stopped) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(PROGRESS_EVERY) {
            tsfn.call(event(&ctx), ThreadsafeFunctionCallMode::NonBlocking);
        }
        // Final numbers, so the last event the caller sees is complete.
        tsfn.call(event(&ctx), ThreadsafeFunctionCallMode::NonBlocking);
    });
    (stop, handle)
}
