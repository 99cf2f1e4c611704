//! Files the aiofiles way: `aiofiles.open(path, mode)` is [`open`], `aiofiles.os` and
//! `aiofiles.os.path` are the functions beside it ([`stat`], [`remove`], [`rename`],
//! [`mkdir`], [`makedirs`], [`listdir`], [`exists`], ...).
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("asyncio-doc-fs-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("notes.txt");
//! use asyncio::fs;
//!
//! asyncio::run(async move {
//!     let mut f = fs::open(&path, "w").await?; // f = await aiofiles.open(path, 'w')
//!     f.write_str("hello\n").await?; //            await f.write('hello\n')
//!     f.close().await?; //                         await f.close()
//!     let mut f = fs::open(&path, "r").await?;
//!     assert_eq!(f.read_all_str().await?, "hello\n"); // await f.read()
//!     f.close().await?;
//!     fs::remove(&path).await // await aiofiles.os.remove(path)
//! })
//! .unwrap()
//! .unwrap();
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # The model
//!
//! As in aiofiles, the blocking calls run on the loop's default executor (the pool behind
//! [`to_thread`](crate::to_thread())) and the loop keeps running other tasks meanwhile. Unlike
//! aiofiles, a [`File`] keeps a 64 KiB userspace buffer on the loop side, as CPython's
//! `BufferedReader`/`BufferedWriter` do under `open()`: a one-byte `write` is a copy into
//! it and a one-byte `read` is served from it, so the pool is reached once per 64 KiB
//! ([`File::pool_hops`] counts the trips), not once per call. Python's semantics stay
//! visible: [`tell`](File::tell) counts buffered bytes, [`seek`](File::seek) flushes
//! pending writes and drops read-ahead, switching between reading and writing does what
//! `BufferedRandom` does, and [`close`](File::close) flushes.
//!
//! # Text and bytes
//!
//! Python's text mode ("r", "w") gives and takes `str`; binary mode ("rb", "wb") `bytes`.
//! Here one [`File`] type serves both: the bytes methods ([`read`](File::read),
//! [`read_all`](File::read_all), [`readline`](File::readline), [`write`](File::write),
//! [`byte_lines`](File::byte_lines)) take and give `&[u8]`/`Vec<u8>` in any mode (as
//! Python's `f.buffer` would); the text methods ([`read_str`](File::read_str) counting
//! characters, [`read_all_str`](File::read_all_str), [`readline_str`](File::readline_str),
//! [`write_str`](File::write_str), [`lines`](File::lines)) take and give `&str`/`String`,
//! UTF-8 (Python's default encoding on Linux) without newline translation (none happens on
//! Linux), and refuse a file opened with `b` ([`FileError::Binary`]).
//!
//! # Errors
//!
//! Every failure is a [`FileError`], one variant per Python exception a program would
//! catch: [`NotFound`](FileError::NotFound) for `FileNotFoundError`,
//! [`PermissionDenied`](FileError::PermissionDenied), [`IsADirectory`](FileError::IsADirectory),
//! ..., each with the `std::io::Error` inside ([`FileError::io_error`]) and Python's
//! wording: `[Errno 2] No such file or directory: 'missing.txt'`.
//!
//! # Cancel safety
//!
//! Each method states its own. The rule underneath: a job sent to the pool is never
//! abandoned (the next operation waits for it and reports its failure), a `write` that
//! completed has its bytes in the buffer and a cancelled one wrote nothing, and a read
//! cancelled while waiting for a refill loses the bytes it had already taken, as a
//! cancelled aiofiles read loses what its thread read.
//!
//! # Panics
//!
//! The operations reach the pool through the running loop: called with no loop running
//! they panic with "no running event loop", as asyncio raises `RuntimeError`.

mod error;
mod file;
mod io_traits;
mod jobs;
mod methods;
mod mode;
mod os;

use std::io::{Seek, SeekFrom};
use std::path::Path;

pub use error::{FileError, OsError};
pub use file::File;
pub use io_traits::{ByteLines, Lines};
pub use mode::Mode;
pub use os::{
    exists, getsize, isdir, isfile, islink, listdir, makedirs, mkdir, readlink, remove, rename,
    replace, rmdir, stat, symlink, unlink,
};

use crate::executor::to_thread;

/// aiofiles' `open(path, mode)`: opens `path` on the pool with Python's mode string ("r",
/// "w", "a", "x", each with an optional "+" and "b" or "t").
///
/// # Errors
///
/// [`FileError::InvalidMode`] (Python's `ValueError`) for a mode Python refuses, before
/// anything is opened; the OS's failure otherwise ([`FileError::NotFound`],
/// [`FileError::PermissionDenied`], [`FileError::IsADirectory`],
/// [`FileError::FileExists`] for "x"...).
///
/// Cancel safety: a cancelled open may still happen on the pool (so "w" may still create
/// or truncate the file); the file it opened is then closed.
///
/// ```
/// use asyncio::fs::{FileError, open};
///
/// asyncio::run(async {
///     let missing = open("/no/such/file.txt", "r").await.unwrap_err();
///     assert!(matches!(missing, FileError::NotFound(_)));
///     assert_eq!(missing.io_error().unwrap().kind(), std::io::ErrorKind::NotFound);
///     let bad = open("/tmp", "rw").await.unwrap_err();
///     assert_eq!(bad.to_string(), "must have exactly one of create/read/write/append mode");
///     let dir = open("/tmp", "r").await.unwrap_err();
///     assert_eq!(dir.to_string(), "[Errno 21] Is a directory: '/tmp'");
/// })
/// .unwrap();
/// ```
pub async fn open(path: impl AsRef<Path>, mode: &str) -> Result<File, FileError> {
    let mode = Mode::parse(mode)?;
    let path = path.as_ref().to_path_buf();
    let options = mode.options();
    let target = path.clone();
    let opened = to_thread(move || {
        let file = options.open(&target)?;
        // Opening a directory read-only succeeds on Linux; CPython's FileIO refuses it.
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(std::io::Error::from_raw_os_error(libc::EISDIR));
        }
        // CPython's "a" starts at the end, so `tell()` is right before the first write.
        let pos = match mode.appending() {
            true => (&file).seek(SeekFrom::End(0))?,
            false => 0,
        };
        Ok((file, pos, metadata.is_file()))
    })
    .await
    .map_err(FileError::Pool)?;
    let (raw, pos, regular) = opened.map_err(|e| FileError::os(e, Some(&path), None))?;
    Ok(File::new(raw, path, mode, pos, regular))
}
