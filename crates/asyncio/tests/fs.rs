//! `asyncio::fs`: aiofiles' files and `os` functions on the loop's pool. Normal paths, the
//! typed errors Python raises (checked against CPython 3.11's messages, pasted), seek/tell
//! over buffered data as CPython's `BufferedRandom` does, line streams, concurrent files,
//! cancellation, and the point of the buffer: one-byte loops make few pool hops.

use std::io::SeekFrom;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use asyncio::anext;
use asyncio::fs::{self, FileError, open};

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("asyncio-fs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run<T>(f: impl Future<Output = T> + 'static) -> T {
    asyncio::run(f).unwrap()
}

#[test]
fn text_and_binary_round_trips() {
    let dir = TempDir::new("round-trip");
    let text = dir.join("t.txt");
    let bin = dir.join("b.bin");
    run(async move {
        let mut f = open(&text, "w").await?;
        assert_eq!(f.write_str("première\nligne 2\n").await?, 17);
        f.close().await?;
        let mut f = open(&text, "r").await?;
        assert_eq!(f.readline_str().await?, "première\n");
        assert_eq!(f.read_str(5).await?, "ligne");
        assert_eq!(f.read_all_str().await?, " 2\n");
        assert_eq!(f.read_all_str().await?, "", "read() at the end");
        f.close().await?;

        let mut f = open(&bin, "wb").await?;
        assert_eq!(f.write(&[0, 1, 2, b'\n', 255]).await?, 5);
        f.close().await?;
        let mut f = open(&bin, "rb").await?;
        assert_eq!(f.readline().await?, [0, 1, 2, b'\n']);
        assert_eq!(f.read(10).await?, [255]);
        assert_eq!(f.read(10).await?, b"");
        f.close().await?;
        assert!(f.closed());
        f.close().await?; // closing twice does nothing, as in Python
        Ok::<(), FileError>(())
    })
    .unwrap();
}

/// CPython 3.11, for the same operations (`tests/python/fs_buffered.py`):
/// `FileNotFoundError [Errno 2] No such file or directory: '/nonexist/x'`,
/// `IsADirectoryError [Errno 21] Is a directory: '/tmp'`,
/// `FileExistsError [Errno 17] File exists: 'DIR/a.txt'`,
/// `PermissionError [Errno 13] Permission denied: '/proc/sys/kernel/osrelease'`,
/// `FileNotFoundError [Errno 2] No such file or directory: '/nonexist/a' -> '/nonexist/b'`.
#[test]
fn os_failures_are_typed_with_pythons_wording() {
    let dir = TempDir::new("errors");
    let locked = dir.join("locked.txt");
    std::fs::write(&locked, "secret").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let root = std::fs::metadata(&locked).unwrap().uid() == 0;
    let existing = dir.join("existing.txt");
    std::fs::write(&existing, "").unwrap();
    run(async move {
        let missing = open("/nonexist/x", "r").await.unwrap_err();
        assert!(matches!(missing, FileError::NotFound(_)), "{missing:?}");
        assert_eq!(
            missing.to_string(),
            "[Errno 2] No such file or directory: '/nonexist/x'"
        );
        let io = missing.io_error().unwrap();
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(
            missing.os_error().unwrap().path(),
            Some(Path::new("/nonexist/x"))
        );

        let dir_error = open("/tmp", "r").await.unwrap_err();
        assert!(matches!(dir_error, FileError::IsADirectory(_)));
        assert_eq!(dir_error.to_string(), "[Errno 21] Is a directory: '/tmp'");

        // Root may open anything by its mode bits; a read-only sysctl it may not write.
        let denied = open("/proc/sys/kernel/osrelease", "w").await.unwrap_err();
        assert!(
            matches!(denied, FileError::PermissionDenied(_)),
            "{denied:?}"
        );
        assert_eq!(
            denied.to_string(),
            "[Errno 13] Permission denied: '/proc/sys/kernel/osrelease'"
        );
        if !root {
            let denied = open(&locked, "r").await.unwrap_err();
            assert!(
                matches!(denied, FileError::PermissionDenied(_)),
                "{denied:?}"
            );
        }

        let exists = open(&existing, "x").await.unwrap_err();
        assert!(matches!(exists, FileError::FileExists(_)), "{exists:?}");
        let shown = exists.to_string();
        assert!(shown.starts_with("[Errno 17] File exists: '") && shown.ends_with("existing.txt'"));

        let rename = fs::rename("/nonexist/a", "/nonexist/b").await.unwrap_err();
        assert!(matches!(rename, FileError::NotFound(_)));
        assert_eq!(
            rename.to_string(),
            "[Errno 2] No such file or directory: '/nonexist/a' -> '/nonexist/b'"
        );
        let not_dir = fs::listdir(&existing).await.unwrap_err();
        assert!(
            matches!(not_dir, FileError::NotADirectory(_)),
            "{not_dir:?}"
        );
    });
}

/// CPython (`tests/python/fs_buffered.py`): `ValueError I/O operation on closed file.`,
/// `UnsupportedOperation not writable` on "r", `UnsupportedOperation read` on "ab".
#[test]
fn closed_and_wrong_direction_and_wrong_kind() {
    let dir = TempDir::new("misuse");
    let path = dir.join("f.txt");
    std::fs::write(&path, b"ok\xff").unwrap();
    run(async move {
        let mut f = open(&path, "r").await.unwrap();
        let err = f.write_str("x").await.unwrap_err();
        assert_eq!(err.to_string(), "not writable");
        let err = f.read_all_str().await.unwrap_err();
        assert!(matches!(err, FileError::Decode(_)), "not UTF-8: {err:?}");
        f.close().await.unwrap();
        let err = f.read(1).await.unwrap_err();
        assert!(matches!(err, FileError::Closed));
        assert_eq!(err.to_string(), "I/O operation on closed file.");

        let mut f = open(&path, "ab").await.unwrap();
        assert_eq!(
            f.read(1).await.unwrap_err().to_string(),
            "read",
            "CPython's binary word"
        );
        assert!(matches!(f.write_str("x").await, Err(FileError::Binary)));
        let mut lines = f.lines();
        assert!(matches!(
            anext(&mut lines).await,
            Some(Err(FileError::Binary))
        ));
        assert!(anext(&mut lines).await.is_none());
        f.close().await.unwrap();
    });
}

/// The buffer's point: the seed's pattern (1 MB, one byte per call) reaches the pool once
/// per 64 KiB, not once per byte.
#[test]
fn one_byte_loops_make_few_pool_hops() {
    const SIZE: usize = 1_000_000;
    let dir = TempDir::new("one-byte");
    let path = dir.join("big.bin");
    let check = path.clone();
    let (write_hops, read_hops) = run(async move {
        let mut f = open(&path, "wb").await.unwrap();
        for n in 0..SIZE {
            f.write(&[(n % 251) as u8]).await.unwrap();
        }
        f.close().await.unwrap();
        let write_hops = f.pool_hops();
        let mut f = open(&path, "rb").await.unwrap();
        let mut n = 0;
        loop {
            let byte = f.read(1).await.unwrap();
            if byte.is_empty() {
                break;
            }
            assert_eq!(byte[0], (n % 251) as u8, "byte {n}");
            n += 1;
        }
        assert_eq!(n, SIZE);
        f.close().await.unwrap();
        (write_hops, f.pool_hops())
    });
    // 15 full buffers and the close's; 16 refills, the one that finds the end, the close.
    assert!(write_hops <= 17, "{write_hops} hops to write 1 MB");
    assert!(read_hops <= 19, "{read_hops} hops to read 1 MB");
    assert_eq!(std::fs::metadata(check).unwrap().len(), SIZE as u64);
}

/// A bulk reader (8 MiB in 64 KiB reads) reaches the pool about once per MiB, not once per
/// 64 KiB: read-ahead doubles while refills come back full, up to 1 MiB. (Each hop wakes a
/// pool thread and then the loop; at 64 KiB a hop each, that was half the time.)
#[test]
fn bulk_reads_read_ahead_in_growing_steps() {
    const SIZE: usize = 8 << 20;
    let dir = TempDir::new("bulk-read");
    let path = dir.join("big.bin");
    let content: Vec<u8> = (0..SIZE).map(|n| (n % 251) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let (read, hops) = run(async move {
        let mut f = open(&path, "rb").await.unwrap();
        let mut read = Vec::new();
        loop {
            let chunk = f.read(64 * 1024).await.unwrap();
            if chunk.is_empty() {
                break;
            }
            read.extend_from_slice(&chunk);
        }
        (read, f.pool_hops())
    });
    assert!(read == content, "read back what was written");
    // 64 KiB, then read-ahead of 64, 128, 256, 512 KiB and 1 MiB steps: about 13, and the
    // one that finds the end (128 at one hop per 64 KiB).
    assert!(hops <= 16, "{hops} hops to read 8 MiB");
}

/// A bulk writer's bytes pile up beside a running flush (up to 1 MiB), and the first write
/// to find that flush done starts the next one, with all of them, in the same poll: one
/// hop for the lot, and no wait.
#[test]
fn writes_beside_a_flush_go_in_one_flush_when_it_is_done() {
    use asyncio::EventLoopExt;
    use futures_lite::future::poll_once;

    let dir = TempDir::new("bulk-write");
    let path = dir.join("f.bin");
    let check = path.clone();
    run(async move {
        let event_loop = asyncio::get_running_loop().unwrap();
        event_loop.set_default_executor(asyncio::ThreadPool::new(1).unwrap());
        let mut f = open(&path, "wb").await.unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = asyncio::to_thread(move || held.recv().ok());
        f.write(&vec![b'a'; 64 * 1024]).await.unwrap(); // full: a flush, queued
        for _ in 0..8 {
            let beside = poll_once(f.write(&vec![b'b'; 64 * 1024])).await;
            assert!(beside.is_some(), "copied beside the flush, no wait");
        }
        assert_eq!(f.pool_hops(), 1);
        drop(release);
        holder.await.unwrap();
        // One thread, jobs in order: the flush has run by the time this one has.
        asyncio::to_thread(|| ()).await.unwrap();
        let write = poll_once(f.write(b"c")).await;
        assert_eq!(write.unwrap().unwrap(), 1, "no wait");
        assert_eq!(
            f.pool_hops(),
            2,
            "the next flush started, with all 512 KiB + 1"
        );
        f.close().await.unwrap();
        assert_eq!(
            f.pool_hops(),
            3,
            "the close had nothing left to write but itself"
        );
    });
    let written = std::fs::read(check).unwrap();
    assert_eq!(written.len(), 9 * 64 * 1024 + 1);
    assert!(written[..64 * 1024].iter().all(|&b| b == b'a'));
    assert!(written[64 * 1024..9 * 64 * 1024].iter().all(|&b| b == b'b'));
    assert!(written.ends_with(b"bc"));
}

/// CPython's `BufferedRandom`, for the same steps (`tests/python/fs_buffered.py`):
/// ```text
/// tell 11
/// seek 6 -> 6
/// tell 11
/// seek 0 -> 0
/// read b'hello' tell 5
/// seek cur+1 -> 6
/// rest b'WORLD'
/// seek end-5 -> 6
/// r+b tell 4
/// r+b gives b'abXYef'
/// a tell 3
/// a tell 5
/// a gives abcde
/// ```
#[test]
fn seek_and_tell_see_buffered_data() {
    let dir = TempDir::new("seek");
    let path = dir.join("f.bin");
    let random = dir.join("r.bin");
    let append = dir.join("a.txt");
    std::fs::write(&random, b"abcdef").unwrap();
    std::fs::write(&append, b"abc").unwrap();
    let (r, a) = (random.clone(), append.clone());
    run(async move {
        let mut f = open(&path, "w+b").await.unwrap();
        f.write(b"hello world").await.unwrap();
        assert_eq!(f.tell().await.unwrap(), 11);
        assert_eq!(f.pool_hops(), 0, "buffered writes and tell need no pool");
        assert_eq!(f.seek(SeekFrom::Start(6)).await.unwrap(), 6);
        f.write(b"WORLD").await.unwrap();
        assert_eq!(f.tell().await.unwrap(), 11);
        assert_eq!(f.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        assert_eq!(f.read(5).await.unwrap(), b"hello");
        assert_eq!(f.tell().await.unwrap(), 5, "the read-ahead is not counted");
        assert_eq!(
            f.seek(SeekFrom::Current(1)).await.unwrap(),
            6,
            "from the caller's 5"
        );
        assert_eq!(f.read_all().await.unwrap(), b"WORLD");
        assert_eq!(f.seek(SeekFrom::End(-5)).await.unwrap(), 6);
        f.close().await.unwrap();

        let mut f = open(&r, "r+b").await.unwrap();
        assert_eq!(f.read(2).await.unwrap(), b"ab");
        f.write(b"XY").await.unwrap();
        assert_eq!(f.tell().await.unwrap(), 4);
        f.close().await.unwrap();

        let mut f = open(&a, "a").await.unwrap();
        assert_eq!(f.tell().await.unwrap(), 3);
        f.write_str("de").await.unwrap();
        assert_eq!(f.tell().await.unwrap(), 5);
        f.close().await.unwrap();
    });
    assert_eq!(std::fs::read(random).unwrap(), b"abXYef");
    assert_eq!(std::fs::read(append).unwrap(), b"abcde");
}

#[test]
fn lines_stream_including_lines_longer_than_the_buffer() {
    let dir = TempDir::new("lines");
    let path = dir.join("lines.txt");
    let long = "x".repeat(200_000);
    let content = format!("one\n{long}\n\nlast");
    std::fs::write(&path, &content).unwrap();
    run(async move {
        let mut f = open(&path, "r").await.unwrap();
        let mut lines = f.lines();
        let mut seen = Vec::new();
        while let Some(line) = anext(&mut lines).await {
            seen.push(line.unwrap());
        }
        assert_eq!(
            seen,
            [
                "one\n".to_string(),
                format!("{long}\n"),
                "\n".into(),
                "last".into()
            ]
        );
        f.seek(SeekFrom::Start(0)).await.unwrap();
        let mut lines = f.byte_lines();
        assert_eq!(anext(&mut lines).await.unwrap().unwrap(), b"one\n");
        f.close().await.unwrap();
    });
}

/// Several files written and read by concurrent tasks, each in small pieces, while a
/// ticker runs: every file ends up with its own content.
#[test]
fn concurrent_reads_and_writes_of_different_files() {
    let dir = TempDir::new("concurrent");
    let paths: Vec<PathBuf> = (0..6).map(|i| dir.join(&format!("f{i}.txt"))).collect();
    let ticks = run(async move {
        let ticker = asyncio::create_task(async {
            let mut ticks = 0u32;
            for _ in 0..20 {
                asyncio::sleep(std::time::Duration::ZERO).await;
                ticks += 1;
            }
            ticks
        });
        let workers = paths.into_iter().enumerate().map(|(i, path)| {
            asyncio::create_task(async move {
                let piece = format!("{i}").repeat(i + 1);
                let mut f = open(&path, "w").await?;
                for _ in 0..30_000 {
                    f.write_str(&piece).await?;
                }
                f.close().await?;
                let mut f = open(&path, "r").await?;
                let all = f.read_all_str().await?;
                f.close().await?;
                assert_eq!(all, piece.repeat(30_000), "file {i}");
                Ok::<usize, FileError>(all.len())
            })
        });
        let sizes = asyncio::gather(workers.collect::<Vec<_>>()).await.unwrap();
        for (i, size) in sizes.into_iter().enumerate() {
            assert_eq!(size.unwrap().unwrap(), 30_000 * (i + 1));
        }
        ticker.await.unwrap()
    });
    assert_eq!(ticks, 20);
}

/// A read cancelled while its refill is on the pool took nothing: the next read gets the
/// bytes. A write is copied beside a running flush until the buffer holds 1 MiB (the most
/// a stream gets ahead of the OS); one cancelled while waiting for that flush wrote nothing. The loop's pool is one thread,
/// held by a job the test releases, so "the job is still on the pool" is certain.
#[test]
fn cancelled_reads_and_writes_lose_nothing_they_did_not_return() {
    use asyncio::EventLoopExt;
    use futures_lite::future::poll_once;

    /// Holds the pool's only thread until the sender is dropped.
    fn hold_pool() -> std::sync::mpsc::Sender<()> {
        let (release, held) = std::sync::mpsc::channel::<()>();
        drop(asyncio::to_thread(move || held.recv().ok()));
        release
    }

    let dir = TempDir::new("cancel");
    let path = dir.join("f.bin");
    let out = dir.join("out.bin");
    std::fs::write(&path, b"abcdef").unwrap();
    let check = out.clone();
    run(async move {
        let event_loop = asyncio::get_running_loop().unwrap();
        event_loop.set_default_executor(asyncio::ThreadPool::new(1).unwrap());
        let mut reader = open(&path, "rb").await.unwrap();
        let mut f = open(&out, "wb").await.unwrap();

        let release = hold_pool();
        assert!(
            poll_once(reader.read(3)).await.is_none(),
            "waits for the refill"
        );
        drop(release);
        assert_eq!(reader.read(3).await.unwrap(), b"abc");
        reader.close().await.unwrap();

        let release = hold_pool();
        f.write(&vec![b'a'; 64 * 1024]).await.unwrap(); // full: a flush starts
        for _ in 0..16 {
            let beside = poll_once(f.write(&vec![b'b'; 64 * 1024])).await;
            assert_eq!(
                beside.unwrap().unwrap(),
                64 * 1024,
                "copied beside the flush"
            );
        }
        assert!(
            poll_once(f.write(b"lost")).await.is_none(),
            "full: waits for the flush"
        );
        drop(release);
        f.write(b"kept").await.unwrap();
        f.close().await.unwrap();
    });
    let written = std::fs::read(check).unwrap();
    assert_eq!(written.len(), 64 * 1024 + 1024 * 1024 + 4);
    assert!(written[..64 * 1024].iter().all(|&b| b == b'a'));
    assert!(written.ends_with(b"bkept"));
}

/// As CPython's finaliser does, a file dropped unclosed still writes what it buffered
/// (`run` waits for the default executor at the end).
#[test]
fn dropping_an_unclosed_file_flushes_it() {
    let dir = TempDir::new("drop");
    let path = dir.join("f.txt");
    let check = path.clone();
    run(async move {
        let mut f = open(&path, "w").await.unwrap();
        f.write_str("buffered").await.unwrap();
        assert_eq!(f.pool_hops(), 0);
    });
    assert_eq!(std::fs::read_to_string(check).unwrap(), "buffered");
}

/// A file dropped while a flush is still on the pool, with bytes written beside it: those
/// bytes end up after the flush's. On two threads the two jobs may run at once; the tail
/// is written by position, so either order is safe. (The test cannot force the unlucky
/// order, in which a write at the descriptor's position would land first: it checks the
/// content, not that the race was met.)
#[test]
fn dropping_a_file_beside_a_running_flush_keeps_the_order() {
    use asyncio::EventLoopExt;

    let dir = TempDir::new("drop-beside");
    let path = dir.join("f.bin");
    let check = path.clone();
    run(async move {
        let event_loop = asyncio::get_running_loop().unwrap();
        event_loop.set_default_executor(asyncio::ThreadPool::new(2).unwrap());
        let mut f = open(&path, "wb").await.unwrap();
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = asyncio::to_thread(move || held.recv().ok());
        let (release2, held2) = std::sync::mpsc::channel::<()>();
        let holder2 = asyncio::to_thread(move || held2.recv().ok());
        f.write(&vec![b'a'; 64 * 1024]).await.unwrap(); // a flush, queued
        f.write(b"tail").await.unwrap(); // beside it
        drop(f); // the tail's write is queued after the flush; both threads are held
        drop(release2); // one thread: whichever job it takes first
        holder2.await.unwrap();
        drop(release);
        holder.await.unwrap();
    });
    let written = std::fs::read(check).unwrap();
    assert_eq!(written.len(), 64 * 1024 + 4);
    assert!(written.ends_with(b"atail"));
}

#[test]
fn futures_io_traits() {
    use futures_lite::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

    let dir = TempDir::new("traits");
    let path = dir.join("f.txt");
    run(async move {
        let mut f = open(&path, "w+").await.unwrap();
        f.write_all(b"line one\nline two\n").await.unwrap();
        assert_eq!(
            AsyncSeekExt::seek(&mut f, SeekFrom::Start(5))
                .await
                .unwrap(),
            5
        );
        let mut line = String::new();
        f.read_line(&mut line).await.unwrap();
        assert_eq!(line, "one\n");
        let mut rest = Vec::new();
        f.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"line two\n");
        AsyncWriteExt::close(&mut f).await.unwrap();
        assert!(f.closed());
        let err = f.write_all(b"x").await.unwrap_err();
        assert_eq!(err.to_string(), "I/O operation on closed file.");
    });
}

#[test]
fn os_functions() {
    let dir = TempDir::new("os");
    let base = dir.join("base");
    run(async move {
        fs::makedirs(base.join("a/b"), false).await.unwrap();
        fs::mkdir(base.join("c")).await.unwrap();
        let mut f = open(base.join("file.txt"), "w").await.unwrap();
        f.write_str("12345").await.unwrap();
        f.close().await.unwrap();
        let mut names = fs::listdir(&base).await.unwrap();
        names.sort();
        assert_eq!(names, ["a", "c", "file.txt"]);
        assert_eq!(fs::getsize(base.join("file.txt")).await.unwrap(), 5);
        assert!(fs::isfile(base.join("file.txt")).await);
        assert!(fs::isdir(base.join("a/b")).await);
        assert!(!fs::exists(base.join("nothing")).await);
        fs::rename(base.join("file.txt"), base.join("moved.txt"))
            .await
            .unwrap();
        assert!(!fs::exists(base.join("file.txt")).await);
        fs::symlink("moved.txt", base.join("link")).await.unwrap();
        assert!(fs::islink(base.join("link")).await);
        assert_eq!(
            fs::readlink(base.join("link")).await.unwrap(),
            Path::new("moved.txt")
        );
        assert!(fs::stat(base.join("link")).await.unwrap().is_file());
        fs::remove(base.join("link")).await.unwrap();
        fs::unlink(base.join("moved.txt")).await.unwrap();
        let not_empty = fs::rmdir(base.join("a")).await.unwrap_err();
        assert!(
            matches!(not_empty, FileError::Os(_)),
            "ENOTEMPTY: {not_empty:?}"
        );
        fs::rmdir(base.join("a/b")).await.unwrap();
        fs::rmdir(base.join("a")).await.unwrap();
        fs::rmdir(base.join("c")).await.unwrap();
        assert!(fs::listdir(&base).await.unwrap().is_empty());
    });
}

/// A FIFO is read as CPython's raw read reads it: what is there now, not a full buffer.
/// (A refill that read to the buffer's size would wait for the writer forever: the
/// timeout turns that hang into a failure.)
#[test]
fn a_fifo_gives_what_is_there_without_waiting_for_a_full_buffer() {
    use std::io::Write;
    use std::os::fd::AsRawFd;

    let (reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all(b"first line\nsecond").unwrap();
    let fifo = format!("/proc/self/fd/{}", reader.as_raw_fd());
    let line = run(async move {
        let mut f = open(&fifo, "rb").await.unwrap();
        let line = asyncio::wait_for(std::time::Duration::from_secs(5), f.readline()).await;
        drop(writer); // still open while the read ran
        let line = line.expect("the read did not wait for more").unwrap();
        assert_eq!(
            f.read_all().await.unwrap(),
            b"second",
            "then the rest, to EOF"
        );
        f.close().await.unwrap();
        line
    });
    assert_eq!(line, b"first line\n");
    drop(reader);
}

/// Reading ahead (the next 64 KiB read while the caller consumes these) is invisible:
/// `tell`, relative seeks and a write after reads all see the caller's position, as on a
/// file that only ever read what was asked.
#[test]
fn read_ahead_is_invisible_to_tell_seek_and_writes() {
    let dir = TempDir::new("read-ahead");
    let path = dir.join("f.bin");
    let content: Vec<u8> = (0..300_000u32).map(|n| (n % 253) as u8).collect();
    std::fs::write(&path, &content).unwrap();
    let check = path.clone();
    run(async move {
        let mut f = open(&path, "r+b").await.unwrap();
        assert_eq!(f.read(10).await.unwrap(), content[..10]);
        assert_eq!(f.tell().await.unwrap(), 10);
        assert_eq!(f.read(100_000).await.unwrap(), content[10..100_010]);
        assert_eq!(f.tell().await.unwrap(), 100_010);
        assert_eq!(f.seek(SeekFrom::Current(-10)).await.unwrap(), 100_000);
        assert_eq!(f.read(5).await.unwrap(), content[100_000..100_005]);
        f.write(b"HERE").await.unwrap();
        assert_eq!(f.tell().await.unwrap(), 100_009);
        assert_eq!(f.read(3).await.unwrap(), content[100_009..100_012]);
        f.seek(SeekFrom::Start(0)).await.unwrap();
        assert_eq!(f.read(10).await.unwrap(), content[..10]);
        let hops = f.pool_hops();
        let rest = f.read_all().await.unwrap();
        assert!(
            f.pool_hops() - hops <= 2,
            "the read-ahead, then one read to the end"
        );
        let all = [&content[..10], &rest[..]].concat();
        assert_eq!(all.len(), 300_000);
        assert_eq!(&all[100_005..100_009], b"HERE");
        f.close().await.unwrap();
    });
    let mut expected: Vec<u8> = (0..300_000u32).map(|n| (n % 253) as u8).collect();
    expected[100_005..100_009].copy_from_slice(b"HERE");
    assert_eq!(std::fs::read(check).unwrap(), expected);
}
