//! A file's bytes handed to JavaScript as a Buffer backed by a private memory mapping, not by
//! fresh memory: the stat cache (100 MB at a million entries) is read at every snapshot, and
//! faulting in and zeroing 100 MB of new pages cost more than reading the file (~50 ms on a
//! VM). The mapping is private and writable: what JavaScript writes (status remembers
//! identities in place) stays in this process; the file is never changed through it.
//!
//! Only for files replaced by rename, never truncated in place (JVS writes its caches so): a
//! mapped page whose file was cut short faults (SIGBUS) when touched.

use std::os::fd::AsRawFd;

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// The file at `path`, mapped; null for an empty file (nothing to map).
#[napi]
pub fn map_file<'env>(env: &'env Env, path: String) -> Result<Option<BufferSlice<'env>>> {
    let file = std::fs::File::open(&path).map_err(|e| Error::from_reason(format!("open {path}: {e}")))?;
    let len = file.metadata().map_err(|e| Error::from_reason(format!("stat {path}: {e}")))?.len() as usize;
    if len == 0 {
        return Ok(None);
    }
    #[cfg(target_os = "linux")]
    let flags = libc::MAP_PRIVATE | libc::MAP_POPULATE;
    #[cfg(not(target_os = "linux"))]
    let flags = libc::MAP_PRIVATE;
    // SAFETY: a fresh mapping of an open file of `len` bytes; the fd may close after mmap.
    let at = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, flags, file.as_raw_fd(), 0) };
    if at == libc::MAP_FAILED {
        return Err(Error::from_reason(format!("mmap {path}: {}", std::io::Error::last_os_error())));
    }
    // SAFETY: `at` maps `len` bytes until the finalizer unmaps them, when V8 frees the Buffer.
    // Should the Buffer not be made, the mapping is left to the process's end: napi-rs may
    // have run the finalizer already (its copying fallback), and unmapping twice could unmap
    // whatever was mapped there meanwhile.
    let buf = unsafe {
        BufferSlice::from_external(env, at.cast(), len, len, |_, len| {
            libc::munmap(at, len);
        })
    };
    buf.map(Some)
}
