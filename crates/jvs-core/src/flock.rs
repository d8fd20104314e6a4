//! Exclusive `flock(2)` locks on a file, held until dropped. The audit log is appended under
//! such a lock on the log file itself — the lock jvs v8.2 takes — so both tools can append
//! concurrently without forking the hash chain (CONTRACT §3.11).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

use crate::error::{path_bytes, Error, Result};

#[derive(Debug)]
pub struct FileLock {
    // Closing the descriptor releases the lock.
    _file: File,
}

impl FileLock {
    /// Blocks until an exclusive lock on the existing file at `path` is held.
    pub fn exclusive(path: &Path) -> Result<FileLock> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| Error::io("open", path_bytes(path), &e))?;
        loop {
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(FileLock { _file: file });
            }
            let err = std::io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EINTR) {
                return Err(Error::io("flock", path_bytes(path), &err));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn second_lock_waits_for_the_first() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("log");
        std::fs::write(&p, b"").unwrap();
        let first = FileLock::exclusive(&p).unwrap();
        let (tx, rx) = mpsc::channel();
        let p2 = p.clone();
        let waiter = std::thread::spawn(move || {
            let _second = FileLock::exclusive(&p2).unwrap();
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err(), "second lock must wait");
        drop(first);
        rx.recv_timeout(Duration::from_secs(5)).expect("second lock acquired after release");
        waiter.join().unwrap();
    }

    #[test]
    fn missing_file_is_not_found() {
        let t = tempfile::tempdir().unwrap();
        let err = FileLock::exclusive(&t.path().join("nope")).unwrap_err();
        assert_eq!(err.code, crate::Code::NotFound);
    }
}
