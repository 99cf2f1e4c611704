//! [`FileError`]: what a file operation raises, one variant per Python exception class a
//! Python programmer would catch (`FileNotFoundError`, `PermissionError`, `ValueError`...),
//! each displayed with Python's wording; the `std::io::Error` underneath is kept.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use asyncio_pool::JobError;

/// An operating-system error with the path(s) it concerns: Python's `OSError` with its
/// `errno`, `strerror`, `filename` and `filename2`. Displays as Python does:
/// `[Errno 2] No such file or directory: 'missing.txt'`.
#[derive(Debug)]
pub struct OsError {
    source: io::Error,
    path: Option<PathBuf>,
    path2: Option<PathBuf>,
}

impl OsError {
    /// The error as `std::io` gave it.
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// Python's `errno`, when the OS gave one.
    pub fn errno(&self) -> Option<i32> {
        self.source.raw_os_error()
    }

    /// Python's `filename`: the path the operation was on.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Python's `filename2`: the second path of a two-path operation (`rename`).
    pub fn path2(&self) -> Option<&Path> {
        self.path2.as_deref()
    }

    /// Gives the `std::io::Error` back.
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // std writes "No such file or directory (os error 2)"; Python writes
        // "[Errno 2] No such file or directory".
        let text = self.source.to_string();
        match self.errno() {
            Some(errno) => {
                let suffix = format!(" (os error {errno})");
                let strerror = text.strip_suffix(&suffix).unwrap_or(&text);
                write!(f, "[Errno {errno}] {strerror}")?;
            }
            None => f.write_str(&text)?,
        }
        if let Some(path) = &self.path {
            write!(f, ": '{}'", path.display())?;
        }
        if let Some(path2) = &self.path2 {
            write!(f, " -> '{}'", path2.display())?;
        }
        Ok(())
    }
}

/// What a file or `os` operation raises. OS errors are split as Python's `OSError`
/// subclasses are, each carrying the [`OsError`] (and through it the `std::io::Error`).
#[derive(Debug)]
#[non_exhaustive]
pub enum FileError {
    /// Python's `FileNotFoundError`.
    NotFound(OsError),
    /// Python's `PermissionError`.
    PermissionDenied(OsError),
    /// Python's `IsADirectoryError`.
    IsADirectory(OsError),
    /// Python's `NotADirectoryError`.
    NotADirectory(OsError),
    /// Python's `FileExistsError`.
    FileExists(OsError),
    /// Any other `OSError`.
    Os(OsError),
    /// `ValueError` from `open()`: a mode string Python would refuse (its message).
    InvalidMode(String),
    /// `ValueError: I/O operation on closed file.`
    Closed,
    /// `io.UnsupportedOperation`: reading a write-only file or writing a read-only one, with
    /// CPython's words ("not readable"/"not writable" in text mode, "read"/"write" in binary).
    Unsupported(&'static str),
    /// A text method (`read_str`, `write_str`, `lines`...) on a file opened with `b`:
    /// Python's `TypeError` of mixing `str` and `bytes`.
    Binary,
    /// `UnicodeDecodeError`: a text read met bytes that are not UTF-8.
    Decode(std::string::FromUtf8Error),
    /// The thread pool refused the work (its loop is closing) or the work panicked.
    Pool(JobError),
}

impl FileError {
    /// Classifies an `io::Error` as Python classifies an `OSError` by `errno`.
    pub(crate) fn os(source: io::Error, path: Option<&Path>, path2: Option<&Path>) -> FileError {
        let kind = source.kind();
        let errno = source.raw_os_error();
        let error = OsError {
            source,
            path: path.map(Path::to_path_buf),
            path2: path2.map(Path::to_path_buf),
        };
        match (kind, errno) {
            (io::ErrorKind::NotFound, _) => FileError::NotFound(error),
            (io::ErrorKind::PermissionDenied, _) => FileError::PermissionDenied(error),
            (io::ErrorKind::AlreadyExists, _) => FileError::FileExists(error),
            (_, Some(libc::EISDIR)) => FileError::IsADirectory(error),
            (_, Some(libc::ENOTDIR)) => FileError::NotADirectory(error),
            _ => FileError::Os(error),
        }
    }

    /// The OS error, for the variants that have one.
    pub fn os_error(&self) -> Option<&OsError> {
        match self {
            FileError::NotFound(e)
            | FileError::PermissionDenied(e)
            | FileError::IsADirectory(e)
            | FileError::NotADirectory(e)
            | FileError::FileExists(e)
            | FileError::Os(e) => Some(e),
            _ => None,
        }
    }

    /// The `std::io::Error` underneath, for the OS variants.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.os_error().map(OsError::io_error)
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::InvalidMode(message) => f.write_str(message),
            FileError::Closed => f.write_str("I/O operation on closed file."),
            FileError::Unsupported(what) => f.write_str(what),
            FileError::Binary => f.write_str("a text method on a binary file (opened with 'b')"),
            FileError::Decode(e) => write!(f, "'utf-8' codec can't decode: {}", e.utf8_error()),
            FileError::Pool(e) => fmt::Display::fmt(e, f),
            _ => match self.os_error() {
                Some(e) => fmt::Display::fmt(e, f),
                None => Ok(()),
            },
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FileError::Decode(e) => Some(e),
            FileError::Pool(e) => Some(e),
            _ => self.io_error().map(|e| e as _),
        }
    }
}

impl From<FileError> for io::Error {
    /// For the `futures-io` traits: an OS error gives its own `io::Error` back; the others
    /// are wrapped, with the kind closest to Python's class.
    fn from(error: FileError) -> io::Error {
        let kind = match &error {
            FileError::InvalidMode(_) | FileError::Binary => io::ErrorKind::InvalidInput,
            FileError::Decode(_) => io::ErrorKind::InvalidData,
            FileError::Unsupported(_) | FileError::Closed => io::ErrorKind::Unsupported,
            FileError::Pool(_) => io::ErrorKind::Other,
            _ => match error {
                FileError::NotFound(e)
                | FileError::PermissionDenied(e)
                | FileError::IsADirectory(e)
                | FileError::NotADirectory(e)
                | FileError::FileExists(e)
                | FileError::Os(e) => return e.source,
                _ => unreachable!("every other variant is matched above"),
            },
        };
        io::Error::new(kind, error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_python() {
        let missing = FileError::os(
            io::Error::from_raw_os_error(libc::ENOENT),
            Some(Path::new("/nonexist/x")),
            None,
        );
        assert!(matches!(missing, FileError::NotFound(_)));
        assert_eq!(
            missing.to_string(),
            "[Errno 2] No such file or directory: '/nonexist/x'"
        );
        let rename = FileError::os(
            io::Error::from_raw_os_error(libc::ENOENT),
            Some(Path::new("a")),
            Some(Path::new("b")),
        );
        assert_eq!(
            rename.to_string(),
            "[Errno 2] No such file or directory: 'a' -> 'b'"
        );
        let dir = FileError::os(
            io::Error::from_raw_os_error(libc::EISDIR),
            Some(Path::new("/tmp")),
            None,
        );
        assert!(matches!(dir, FileError::IsADirectory(_)));
        assert_eq!(dir.to_string(), "[Errno 21] Is a directory: '/tmp'");
        assert_eq!(
            FileError::Closed.to_string(),
            "I/O operation on closed file."
        );
        let back: io::Error = missing.into();
        assert_eq!(back.raw_os_error(), Some(libc::ENOENT));
    }
}
