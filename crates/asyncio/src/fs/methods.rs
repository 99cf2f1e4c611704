//! [`File`]'s async methods, Python's file methods under their names: bytes methods
//! (`read`, `read_all`, `readline`, `write`) and their text twins with a `_str` suffix.
//!
//! Cancel safety, for all of them: a job already sent to the pool is never abandoned (the
//! next operation collects it). A read cancelled while waiting for a refill loses the bytes
//! it had already taken from the buffer (the position has moved past them), as a cancelled
//! aiofiles read loses what its thread read; a read that needs no refill completes in its
//! first poll and cannot be cancelled half way. A cancelled `write` wrote nothing: the
//! bytes are copied into the buffer in the same poll that returns.

use std::future::poll_fn;
use std::io::SeekFrom;
use std::task::{Context, Poll, ready};

use super::error::FileError;
use super::file::File;
use super::jobs::{BUFFER_SIZE, TO_END};

impl File {
    /// Python's `read(n)` on a binary file: up to `n` bytes, fewer only at end of file
    /// (empty at end of file). Served from the read-ahead buffer; a pool hop only to refill
    /// it. Also allowed on a text file (as Python's `f.buffer.read(n)`).
    ///
    /// Cancel safety: see the [module](super#cancel-safety): bytes taken before a refill
    /// that is cancelled are lost.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("asyncio-doc-read-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("data.bin");
    /// asyncio::run(async move {
    ///     let mut f = asyncio::fs::open(&path, "wb").await?;
    ///     f.write(b"abcdef").await?;
    ///     f.close().await?;
    ///     let mut f = asyncio::fs::open(&path, "rb").await?;
    ///     assert_eq!(f.read(4).await?, b"abcd");
    ///     assert_eq!(f.read(4).await?, b"ef");
    ///     assert_eq!(f.read(4).await?, b"");
    ///     f.close().await
    /// })
    /// .unwrap()
    /// .unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn read(&mut self, n: usize) -> Result<Vec<u8>, FileError> {
        let mut out = Vec::new();
        while out.len() < n {
            let want = n - out.len();
            let took = poll_fn(|cx| self.poll_take(cx, want, &mut out)).await?;
            if took == 0 {
                break;
            }
        }
        Ok(out)
    }

    /// Python's `read()` on a binary file: everything from the position to the end, in
    /// one pool hop (plus one if writes were pending).
    ///
    /// Cancel safety: as [`read`](File::read).
    pub async fn read_all(&mut self) -> Result<Vec<u8>, FileError> {
        let mut out = Vec::new();
        // What is buffered, then the rest of the file in one read-to-end, which also knows
        // it has reached the end: the last round needs no hop.
        while poll_fn(|cx| self.poll_take(cx, TO_END, &mut out)).await? > 0 {}
        Ok(out)
    }

    /// Python's `readline()` on a binary file: bytes up to and including the next `\n`
    /// (without one at end of file; empty at end of file).
    ///
    /// Cancel safety: as [`read`](File::read); [`byte_lines`](File::byte_lines) keeps a
    /// partial line in the stream instead.
    pub async fn readline(&mut self) -> Result<Vec<u8>, FileError> {
        let mut line = Vec::new();
        poll_fn(|cx| self.poll_line(cx, &mut line)).await?;
        Ok(line)
    }

    /// Python's `write(b)`: copies `data` into the write buffer and returns its length. A
    /// pool hop only when the buffer fills (then the write to the OS runs while the caller
    /// goes on; a failure is reported by the next operation, `flush` or `close`).
    ///
    /// Cancel safety: a cancelled write wrote nothing; a completed one is in the buffer.
    pub async fn write(&mut self, data: &[u8]) -> Result<usize, FileError> {
        poll_fn(|cx| self.poll_write_buf(cx, data)).await
    }

    /// Python's `read(n)` on a text file: up to `n` characters (UTF-8), fewer only at end
    /// of file.
    ///
    /// # Errors
    ///
    /// [`FileError::Binary`] on a file opened with `b`; [`FileError::Decode`] when the
    /// bytes are not UTF-8.
    ///
    /// Cancel safety: as [`read`](File::read).
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("asyncio-doc-str-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("text.txt");
    /// asyncio::run(async move {
    ///     let mut f = asyncio::fs::open(&path, "w").await?;
    ///     assert_eq!(f.write_str("héllo\n").await?, 6, "characters, as Python counts");
    ///     f.close().await?;
    ///     let mut f = asyncio::fs::open(&path, "r").await?;
    ///     assert_eq!(f.read_str(2).await?, "hé");
    ///     assert_eq!(f.readline_str().await?, "llo\n");
    ///     assert_eq!(f.read_str(1).await?, "", "end of file");
    ///     f.close().await
    /// })
    /// .unwrap()
    /// .unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub async fn read_str(&mut self, n: usize) -> Result<String, FileError> {
        self.text()?;
        let mut out = Vec::new();
        if n == 0 {
            return Ok(String::new());
        }
        let mut chars = 0;
        // Bytes still owed to the character last started (a UTF-8 sequence may straddle
        // two refills).
        let mut owed = 0;
        loop {
            let step = poll_fn(|cx| {
                let available = ready!(self.poll_fill_buf(cx, BUFFER_SIZE))?;
                let mut used = 0;
                for &byte in available {
                    if owed == 0 {
                        if chars == n {
                            break;
                        }
                        chars += 1;
                        owed = utf8_width(byte) - 1;
                    } else {
                        owed -= 1;
                    }
                    used += 1;
                }
                out.extend_from_slice(&available[..used]);
                let at_end = available.is_empty();
                self.consume(used);
                Poll::Ready(Ok::<bool, FileError>(at_end))
            })
            .await?;
            if step || (chars == n && owed == 0) {
                break;
            }
        }
        String::from_utf8(out).map_err(FileError::Decode)
    }

    /// Python's `read()` on a text file: the rest of the file as a `String`.
    ///
    /// Cancel safety: as [`read`](File::read).
    pub async fn read_all_str(&mut self) -> Result<String, FileError> {
        self.text()?;
        let bytes = self.read_all().await?;
        String::from_utf8(bytes).map_err(FileError::Decode)
    }

    /// Python's `readline()` on a text file: up to and including the next `\n`.
    ///
    /// Cancel safety: as [`readline`](File::readline); [`lines`](File::lines) keeps a
    /// partial line in the stream instead.
    pub async fn readline_str(&mut self) -> Result<String, FileError> {
        self.text()?;
        let line = self.readline().await?;
        String::from_utf8(line).map_err(FileError::Decode)
    }

    /// Python's `write(s)` on a text file: writes `s` as UTF-8 and returns its length in
    /// characters, as Python does.
    ///
    /// Cancel safety: as [`write`](File::write).
    pub async fn write_str(&mut self, s: &str) -> Result<usize, FileError> {
        self.text()?;
        self.write(s.as_bytes()).await?;
        Ok(s.chars().count())
    }

    /// Python's `seek(offset, whence)`: `SeekFrom::Start` is `whence=0`, `Current` 1, `End`
    /// 2. Writes pending are flushed and read-ahead is dropped first; a relative seek
    /// counts from the position the caller sees. Gives the new position.
    ///
    /// Cancel safety: a cancelled seek may still happen (the next operation waits for it);
    /// a seek to the same place right after is then answered by it.
    pub async fn seek(&mut self, to: SeekFrom) -> Result<u64, FileError> {
        poll_fn(|cx| self.poll_seek(cx, to)).await
    }

    /// Python's `tell()`: the position the caller sees, counting buffered reads and
    /// writes. Usually no pool hop: the file keeps track of the OS's position.
    ///
    /// Cancel safety: safe (it changes nothing).
    pub async fn tell(&mut self) -> Result<u64, FileError> {
        poll_fn(|cx| self.poll_tell(cx)).await
    }

    /// Python's `flush()`: hands pending writes to the OS (not `fsync`).
    ///
    /// Cancel safety: a cancelled flush's write may still happen; the next operation
    /// waits for it and reports its failure.
    pub async fn flush(&mut self) -> Result<(), FileError> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Python's `close()`: flushes, then closes the descriptor, on the pool. Later
    /// operations fail with [`FileError::Closed`]; closing again does nothing. (Dropping an
    /// unclosed `File` flushes too, without waiting and without reporting errors.)
    ///
    /// Cancel safety: once polled, the file is closed whatever happens to the future.
    pub async fn close(&mut self) -> Result<(), FileError> {
        poll_fn(|cx| self.poll_close(cx)).await
    }

    /// `Err(FileError::Binary)` on a file opened with `b`.
    pub(super) fn text(&self) -> Result<(), FileError> {
        match self.mode.binary() {
            true => Err(FileError::Binary),
            false => Ok(()),
        }
    }

    /// Moves up to `want` buffered bytes (refilling first if the buffer is empty, asking
    /// for `want`) to `out`; gives how many (0 at end of file).
    fn poll_take(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
        out: &mut Vec<u8>,
    ) -> Poll<Result<usize, FileError>> {
        let available = ready!(self.poll_fill_buf(cx, want))?;
        let n = available.len().min(want);
        out.extend_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }

    /// Moves bytes to `line` up to and including a `\n`; ready at the `\n` or at end of
    /// file. `line` keeps what was moved if this is not polled to the end.
    pub(super) fn poll_line(
        &mut self,
        cx: &mut Context<'_>,
        line: &mut Vec<u8>,
    ) -> Poll<Result<(), FileError>> {
        loop {
            let available = ready!(self.poll_fill_buf(cx, BUFFER_SIZE))?;
            if available.is_empty() {
                return Poll::Ready(Ok(()));
            }
            let (n, complete) = match available.iter().position(|&b| b == b'\n') {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            line.extend_from_slice(&available[..n]);
            self.consume(n);
            if complete {
                return Poll::Ready(Ok(()));
            }
        }
    }
}

/// How many bytes the UTF-8 sequence starting with `lead` has (1 for a byte that cannot
/// start one: decoding reports it).
fn utf8_width(lead: u8) -> usize {
    match lead {
        0xF0..=0xF7 => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}
