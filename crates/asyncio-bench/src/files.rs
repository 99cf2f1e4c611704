//! The `files` group: `asyncio::fs` (aiofiles' model: blocking calls on the loop's pool,
//! plus a 64 KiB userspace buffer) against `tokio::fs` and smol's `async-fs`, each used as
//! its documentation shows, on a file in the temporary directory (the page cache: these
//! measure the runtimes, not the disk).
//!
//! Cases and units:
//! - `one_byte`: seed 003's `aiofiles01.py` pattern: write a file one byte per `write`
//!   call, close, read it back one byte per `read` call; nanoseconds per byte moved (each
//!   byte written once and read once counts as two). 1 MiB for ours and async-fs; 128 KiB
//!   for tokio, whose `File` makes a `spawn_blocking` hop per call (a full run at 1 MiB
//!   would take minutes; the figure is per byte either way).
//! - `bulk`: 64 MiB written in 64 KiB `write`s and read back in 64 KiB `read`s; `MiB/s`.
//!
//! tokio's and async-fs's files must be flushed before they are dropped (their docs say
//! so); ours is closed, which flushes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::harness::Bench;
use crate::loop_::{on_ours, time_async};

/// One bulk write, and the bulk reader's request.
const CHUNK: usize = 64 * 1024;
const MIB: usize = 1024 * 1024;

/// Runs every case of the group.
pub fn run(bench: &Bench) {
    let dir = std::env::temp_dir().join(format!("asyncio-bench-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temporary directory is writable");
    let path = dir.join("bench.bin");
    one_byte(bench, &path);
    bulk(bench, &path);
    let _ = std::fs::remove_dir_all(&dir);
}

fn one_byte(bench: &Bench, path: &Path) {
    let size = bench.size(MIB, 16 * 1024);
    let tokio_size = bench.size(128 * 1024, 16 * 1024);
    bench.ns_per_op("one_byte", "asyncio-fs", 2 * size, || {
        on_ours(time_async(ours_one_byte(path.to_path_buf(), size)))
    });
    bench.ns_per_op("one_byte", "tokio", 2 * tokio_size, || {
        on_tokio(time_async(tokio_one_byte(path.to_path_buf(), tokio_size)))
    });
    bench.ns_per_op("one_byte", "async-fs", 2 * size, || {
        futures_lite::future::block_on(time_async(smol_one_byte(path.to_path_buf(), size)))
    });
}

fn bulk(bench: &Bench, path: &Path) {
    let total = bench.size(64 * MIB, 2 * MIB);
    let mib = (2 * total / MIB) as f64;
    bench.per_second("bulk", "asyncio-fs", mib, "MiB/s", || {
        on_ours(time_async(ours_bulk(path.to_path_buf(), total)))
    });
    bench.per_second("bulk", "tokio", mib, "MiB/s", || {
        on_tokio(time_async(tokio_bulk(path.to_path_buf(), total)))
    });
    bench.per_second("bulk", "async-fs", mib, "MiB/s", || {
        futures_lite::future::block_on(time_async(smol_bulk(path.to_path_buf(), total)))
    });
}

/// tokio's multi-thread runtime, whose blocking pool serves `tokio::fs`.
fn on_tokio(main: impl Future<Output = Duration>) -> Duration {
    tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("a tokio runtime builds")
        .block_on(main)
}

/// Checks a file read back has the size written (so no case can skip its work).
fn check(read: usize, written: usize) {
    assert_eq!(read, written, "read back what was written");
}

async fn ours_one_byte(path: PathBuf, size: usize) {
    let mut f = asyncio::fs::open(&path, "wb")
        .await
        .expect("open for writing");
    for n in 0..size {
        f.write(&[n as u8]).await.expect("write");
    }
    f.close().await.expect("close");
    let mut f = asyncio::fs::open(&path, "rb")
        .await
        .expect("open for reading");
    let mut read = 0;
    while !f.read(1).await.expect("read").is_empty() {
        read += 1;
    }
    f.close().await.expect("close");
    check(read, size);
}

async fn tokio_one_byte(path: PathBuf, size: usize) {
    let mut f = tokio::fs::File::create(&path).await.expect("create");
    for n in 0..size {
        f.write_all(&[n as u8]).await.expect("write");
    }
    f.flush().await.expect("flush");
    drop(f);
    let mut f = tokio::fs::File::open(&path).await.expect("open");
    let (mut byte, mut read) = ([0u8; 1], 0);
    while f.read(&mut byte).await.expect("read") == 1 {
        read += 1;
    }
    check(read, size);
}

async fn smol_one_byte(path: PathBuf, size: usize) {
    let mut f = async_fs::File::create(&path).await.expect("create");
    for n in 0..size {
        f.write_all(&[n as u8]).await.expect("write");
    }
    f.flush().await.expect("flush");
    drop(f);
    let mut f = async_fs::File::open(&path).await.expect("open");
    let (mut byte, mut read) = ([0u8; 1], 0);
    while f.read(&mut byte).await.expect("read") == 1 {
        read += 1;
    }
    check(read, size);
}

async fn ours_bulk(path: PathBuf, total: usize) {
    let chunk = vec![7u8; CHUNK];
    let mut f = asyncio::fs::open(&path, "wb")
        .await
        .expect("open for writing");
    for _ in 0..total / CHUNK {
        f.write(&chunk).await.expect("write");
    }
    f.close().await.expect("close");
    let mut f = asyncio::fs::open(&path, "rb")
        .await
        .expect("open for reading");
    let mut read = 0;
    loop {
        let got = f.read(CHUNK).await.expect("read").len();
        if got == 0 {
            break;
        }
        read += got;
    }
    f.close().await.expect("close");
    check(read, total);
}

async fn tokio_bulk(path: PathBuf, total: usize) {
    let chunk = vec![7u8; CHUNK];
    let mut f = tokio::fs::File::create(&path).await.expect("create");
    for _ in 0..total / CHUNK {
        f.write_all(&chunk).await.expect("write");
    }
    f.flush().await.expect("flush");
    drop(f);
    let mut f = tokio::fs::File::open(&path).await.expect("open");
    let (mut buf, mut read) = (vec![0u8; CHUNK], 0);
    loop {
        let got = f.read(&mut buf).await.expect("read");
        if got == 0 {
            break;
        }
        read += got;
    }
    check(read, total);
}

async fn smol_bulk(path: PathBuf, total: usize) {
    let chunk = vec![7u8; CHUNK];
    let mut f = async_fs::File::create(&path).await.expect("create");
    for _ in 0..total / CHUNK {
        f.write_all(&chunk).await.expect("write");
    }
    f.flush().await.expect("flush");
    drop(f);
    let mut f = async_fs::File::open(&path).await.expect("open");
    let (mut buf, mut read) = (vec![0u8; CHUNK], 0);
    loop {
        let got = f.read(&mut buf).await.expect("read");
        if got == 0 {
            break;
        }
        read += got;
    }
    check(read, total);
}
