//! aiofiles' `aiofiles.os` and `aiofiles.os.path`: the `os` functions Python programs
//! await, each one call on the loop's thread pool, failing with [`FileError`]'s OS
//! variants (`FileNotFoundError`, `PermissionError`, ...) as `os` raises them.
//!
//! Cancel safety, for all of them: a cancelled call may still happen (the thread runs it to
//! the end); only its result is lost.

use std::ffi::OsString;
use std::fs::Metadata;
use std::io;
use std::path::{Path, PathBuf};

use super::error::FileError;
use crate::executor::to_thread;

/// Runs `f` on the pool and names `path` (and `path2`) in its error.
async fn on_pool<T, F>(path: &Path, path2: Option<&Path>, f: F) -> Result<T, FileError>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let result = to_thread(f).await.map_err(FileError::Pool)?;
    result.map_err(|e| FileError::os(e, Some(path), path2))
}

/// `os.stat(path)`: the metadata of `path`, following symbolic links (Python's
/// `stat_result` is Rust's [`Metadata`]).
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
///
/// ```
/// asyncio::run(async {
///     let dir = std::env::temp_dir();
///     assert!(asyncio::fs::stat(&dir).await.unwrap().is_dir());
///     let missing = asyncio::fs::stat("/no/such/path").await.unwrap_err();
///     assert_eq!(missing.to_string(), "[Errno 2] No such file or directory: '/no/such/path'");
/// })
/// .unwrap();
/// ```
pub async fn stat(path: impl AsRef<Path>) -> Result<Metadata, FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || std::fs::metadata(p)).await
}

/// `os.remove(path)` (also `os.unlink`): removes a file.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn remove(path: impl AsRef<Path>) -> Result<(), FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || std::fs::remove_file(p)).await
}

/// `os.unlink(path)`: the same as [`remove`].
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn unlink(path: impl AsRef<Path>) -> Result<(), FileError> {
    remove(path).await
}

/// `os.rename(src, dst)` (on Linux also `os.replace`: an existing `dst` file is replaced).
/// An error names both paths, as Python's does: `... : 'src' -> 'dst'`.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn rename(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> Result<(), FileError> {
    let (src, dst) = (src.as_ref().to_path_buf(), dst.as_ref().to_path_buf());
    let (s, d) = (src.clone(), dst.clone());
    on_pool(&src, Some(&dst), move || std::fs::rename(s, d)).await
}

/// `os.replace(src, dst)`: the same as [`rename`] on the platforms this crate supports.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn replace(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> Result<(), FileError> {
    rename(src, dst).await
}

/// `os.mkdir(path)`: makes one directory (its parent must exist).
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn mkdir(path: impl AsRef<Path>) -> Result<(), FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || std::fs::create_dir(p)).await
}

/// `os.makedirs(path, exist_ok=...)`: makes `path` and any missing parents. Without
/// `exist_ok`, an existing `path` is `FileExistsError`, as in Python.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
///
/// ```
/// let base = std::env::temp_dir().join(format!("asyncio-doc-makedirs-{}", std::process::id()));
/// let deep = base.join("a/b/c");
/// asyncio::run(async move {
///     asyncio::fs::makedirs(&deep, false).await.unwrap();
///     assert!(asyncio::fs::isdir(&deep).await);
///     let again = asyncio::fs::makedirs(&deep, false).await.unwrap_err();
///     assert!(matches!(again, asyncio::fs::FileError::FileExists(_)));
///     asyncio::fs::makedirs(&deep, true).await.unwrap();
/// })
/// .unwrap();
/// # std::fs::remove_dir_all(&base).unwrap();
/// ```
pub async fn makedirs(path: impl AsRef<Path>, exist_ok: bool) -> Result<(), FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || {
        if let Some(parent) = p.parent().filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::create_dir(&p) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && exist_ok && p.is_dir() => Ok(()),
            result => result,
        }
    })
    .await
}

/// `os.rmdir(path)`: removes an empty directory.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn rmdir(path: impl AsRef<Path>) -> Result<(), FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || std::fs::remove_dir(p)).await
}

/// `os.listdir(path)`: the names in directory `path`, in the OS's order, without `.` and
/// `..` (Python's `str` names are `OsString`s: a Linux name need not be UTF-8).
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn listdir(path: impl AsRef<Path>) -> Result<Vec<OsString>, FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || {
        std::fs::read_dir(p)?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect()
    })
    .await
}

/// `os.symlink(src, dst)`: makes `dst` a symbolic link to `src`.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn symlink(src: impl AsRef<Path>, dst: impl AsRef<Path>) -> Result<(), FileError> {
    let (src, dst) = (src.as_ref().to_path_buf(), dst.as_ref().to_path_buf());
    let (s, d) = (src.clone(), dst.clone());
    on_pool(&src, Some(&dst), move || std::os::unix::fs::symlink(s, d)).await
}

/// `os.readlink(path)`: where symbolic link `path` points.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn readlink(path: impl AsRef<Path>) -> Result<PathBuf, FileError> {
    let path = path.as_ref().to_path_buf();
    let p = path.clone();
    on_pool(&path, None, move || std::fs::read_link(p)).await
}

/// `os.path.getsize(path)`: the size of `path` in bytes.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// result is lost.
pub async fn getsize(path: impl AsRef<Path>) -> Result<u64, FileError> {
    Ok(stat(path).await?.len())
}

/// Runs a `stat` on the pool and answers `test` of it; `false` on any failure, as
/// `os.path`'s predicates do.
async fn stat_is(path: &Path, follow: bool, test: fn(&Metadata) -> bool) -> bool {
    let p = path.to_path_buf();
    let metadata = to_thread(move || match follow {
        true => std::fs::metadata(p),
        false => std::fs::symlink_metadata(p),
    })
    .await;
    matches!(metadata, Ok(Ok(m)) if test(&m))
}

/// `os.path.exists(path)`: whether `path` exists (a broken symbolic link does not);
/// `false` on any error, as in Python.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// answer is lost.
pub async fn exists(path: impl AsRef<Path>) -> bool {
    stat_is(path.as_ref(), true, |_| true).await
}

/// `os.path.isfile(path)`: whether `path` is a regular file (following links).
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// answer is lost.
pub async fn isfile(path: impl AsRef<Path>) -> bool {
    stat_is(path.as_ref(), true, Metadata::is_file).await
}

/// `os.path.isdir(path)`: whether `path` is a directory (following links).
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// answer is lost.
pub async fn isdir(path: impl AsRef<Path>) -> bool {
    stat_is(path.as_ref(), true, Metadata::is_dir).await
}

/// `os.path.islink(path)`: whether `path` is a symbolic link.
///
/// Cancel safety: a cancelled call may still run to its end on the pool; only its
/// answer is lost.
pub async fn islink(path: impl AsRef<Path>) -> bool {
    stat_is(path.as_ref(), false, |m| m.file_type().is_symlink()).await
}
