//! Errors with a stable class (CONTRACT §1.6 names), the errno name of the failing system
//! call, and the path it concerned. The binding turns these into JS `Error`s with `code`,
//! `errno` and `path`; the TypeScript fallback produces the same shape.

use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// File-system or I/O failure.
    Io,
    /// A FIFO, socket or device where content is needed.
    UnsupportedFile,
    /// The source does not exist.
    NotFound,
    /// The destination already exists.
    Exists,
    /// The caller cancelled the operation.
    Cancelled,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "E_IO",
            Code::UnsupportedFile => "E_UNSUPPORTED_FILE",
            Code::NotFound => "E_NOT_FOUND",
            Code::Exists => "E_EXISTS",
            Code::Cancelled => "E_CANCELLED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Error {
    pub code: Code,
    /// errno name (`EACCES`, …) when a system call failed.
    pub errno: Option<&'static str>,
    /// Raw bytes of the path concerned (relative to the operation's root where one exists).
    pub path: Option<Vec<u8>>,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, errno: None, path: None, message: message.into() }
    }

    /// An I/O error from `op` on `path`; the class follows the errno where that is meaningful.
    pub fn io(op: &str, path: &[u8], err: &io::Error) -> Self {
        let errno = err.raw_os_error().and_then(errno_name);
        let code = match err.raw_os_error() {
            Some(libc::ENOENT) => Code::NotFound,
            Some(libc::EEXIST) => Code::Exists,
            _ => Code::Io,
        };
        Error {
            code,
            errno,
            path: Some(path.to_vec()),
            message: format!("{op} {}: {}", String::from_utf8_lossy(path), strip_os_suffix(err)),
        }
    }

    /// A special file found where content is needed (CONTRACT §2.3 wording).
    pub fn unsupported(kind_word: &str, path: &[u8]) -> Self {
        Error {
            code: Code::UnsupportedFile,
            errno: None,
            path: Some(path.to_vec()),
            message: format!("unsupported file type ({kind_word}): {}", String::from_utf8_lossy(path)),
        }
    }

    pub fn cancelled() -> Self {
        Error::new(Code::Cancelled, "operation cancelled")
    }

    pub fn with_path(mut self, path: &[u8]) -> Self {
        self.path = Some(path.to_vec());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

/// Bytes of a path, for messages and error records.
pub fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_bytes()
}

/// `io::Error`'s Display ends in " (os error N)"; the errno name is reported separately.
fn strip_os_suffix(err: &io::Error) -> String {
    let s = err.to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Names of the errnos file-system code meets; others are reported by message only.
pub fn errno_name(n: i32) -> Option<&'static str> {
    Some(match n {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EINTR => "EINTR",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::EXDEV => "EXDEV",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENFILE => "ENFILE",
        libc::EMFILE => "EMFILE",
        libc::ENOTTY => "ENOTTY",
        libc::ETXTBSY => "ETXTBSY",
        libc::EFBIG => "EFBIG",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::EMLINK => "EMLINK",
        libc::ERANGE => "ERANGE",
        libc::ENAMETOOLONG => "ENAMETOOLONG",
        libc::ENOSYS => "ENOSYS",
        libc::ENOTEMPTY => "ENOTEMPTY",
        libc::ELOOP => "ELOOP",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EDQUOT => "EDQUOT",
        libc::ECANCELED => "ECANCELED",
        #[cfg(target_os = "linux")]
        libc::ENODATA => "ENODATA",
        _ => return None,
    })
}
