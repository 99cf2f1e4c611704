//! [`File`] for code written against the `futures-io` traits (`AsyncRead`, `AsyncBufRead`,
//! `AsyncWrite`, `AsyncSeek`), and its lines as a `futures-core` [`Stream`] (Python's
//! `async for line in f`). All go through the same buffer as the async methods, so they can
//! be mixed freely.

use std::io::{self, IoSlice, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

use super::error::FileError;
use super::file::File;

impl AsyncRead for File {
    /// Reads from the read-ahead buffer, refilling it (asking for at least `buf.len()`)
    /// when empty.
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let file = self.get_mut();
        let available = ready!(file.poll_fill_buf(cx, buf.len()))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        file.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl AsyncBufRead for File {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let file = self.get_mut();
        Poll::Ready(Ok(ready!(file.poll_fill_buf(cx, 0))?))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume(amt);
    }
}

impl AsyncWrite for File {
    /// Copies into the write buffer; Ready means copied (see [`File::write`]).
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(ready!(self.get_mut().poll_write_buf(cx, buf))?))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let first = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &**b);
        self.poll_write(cx, first)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(ready!(self.get_mut().poll_flush(cx))?))
    }

    /// [`File::close`]: flushes and closes the descriptor.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(ready!(self.get_mut().poll_close(cx))?))
    }
}

impl AsyncSeek for File {
    /// [`File::seek`]; poll again with the same `pos` until ready.
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        Poll::Ready(Ok(ready!(self.get_mut().poll_seek(cx, pos))?))
    }
}

impl File {
    /// The file's lines as a [`Stream`] of `String`s, each with its `\n` (the last one
    /// without, if the file does not end in one): Python's `async for line in f` on a text
    /// file. On a file opened with `b` the stream gives [`FileError::Binary`] once and
    /// ends; use [`byte_lines`](File::byte_lines) there.
    ///
    /// Cancel safety: dropping a `next()` future loses nothing; a line read in part stays
    /// in the stream for the next `next()`. (Dropping the stream drops that part.)
    ///
    /// ```
    /// use asyncio::anext;
    ///
    /// # let dir = std::env::temp_dir().join(format!("asyncio-doc-lines-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("lines.txt");
    /// asyncio::run(async move {
    ///     let mut f = asyncio::fs::open(&path, "w").await?;
    ///     f.write_str("one\ntwo\nthree").await?;
    ///     f.close().await?;
    ///     let mut f = asyncio::fs::open(&path, "r").await?;
    ///     let mut lines = f.lines();
    ///     let mut seen = Vec::new();
    ///     while let Some(line) = anext(&mut lines).await {
    ///         seen.push(line?);
    ///     }
    ///     assert_eq!(seen, ["one\n", "two\n", "three"]);
    ///     f.close().await
    /// })
    /// .unwrap()
    /// .unwrap();
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn lines(&mut self) -> Lines<'_> {
        Lines {
            inner: ByteLines::new(self),
        }
    }

    /// The file's lines as a [`Stream`] of byte vectors, each with its `\n`: Python's
    /// `async for line in f` on a binary file.
    ///
    /// Cancel safety: as [`lines`](File::lines).
    pub fn byte_lines(&mut self) -> ByteLines<'_> {
        ByteLines::new(self)
    }
}

/// The [`Stream`] of [`File::byte_lines`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct ByteLines<'a> {
    file: &'a mut File,
    line: Vec<u8>,
    done: bool,
}

impl<'a> ByteLines<'a> {
    fn new(file: &'a mut File) -> Self {
        ByteLines {
            file,
            line: Vec::new(),
            done: false,
        }
    }
}

impl Stream for ByteLines<'_> {
    type Item = Result<Vec<u8>, FileError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let result = ready!(this.file.poll_line(cx, &mut this.line));
        Poll::Ready(match result {
            Err(e) => {
                this.done = true;
                Some(Err(e))
            }
            Ok(()) if this.line.is_empty() => {
                this.done = true;
                None
            }
            Ok(()) => Some(Ok(std::mem::take(&mut this.line))),
        })
    }
}

/// The [`Stream`] of [`File::lines`].
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Lines<'a> {
    inner: ByteLines<'a>,
}

impl Stream for Lines<'_> {
    type Item = Result<String, FileError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let inner = &mut self.get_mut().inner;
        if !inner.done
            && let Err(e) = inner.file.text()
        {
            inner.done = true;
            return Poll::Ready(Some(Err(e)));
        }
        let line = ready!(Pin::new(inner).poll_next(cx));
        Poll::Ready(
            line.map(|line| line.and_then(|l| String::from_utf8(l).map_err(FileError::Decode))),
        )
    }
}
