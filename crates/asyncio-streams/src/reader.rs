//! [`StreamReader`]: asyncio's buffered reader over any `futures-io` source.
//!
//! asyncio's reader is fed by a protocol (`feed_data`, `feed_eof`) and its methods wait for
//! the buffer to hold what they need. Here nobody feeds it: a method that needs more bytes
//! reads once from the source into the buffer and looks again. The methods keep asyncio's
//! algorithms line for line (`readuntil`'s scan offset and its two limit checks, `readline`'s
//! clean-up), so they return what CPython 3.11 returns for the same arrival of bytes.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncBufRead, AsyncRead};

use crate::error::{IncompleteReadError, LimitOverrunError, StreamError};
use crate::read_buffer::{MIN_READ, ReadBuffer};

/// asyncio's `_DEFAULT_LIMIT` (2**16): the longest line or separator search a reader accepts.
pub const DEFAULT_LIMIT: usize = 1 << 16;

/// A buffered reader with asyncio's `StreamReader` methods: [`read`](Self::read),
/// [`read_to_end`](Self::read_to_end), [`readline`](Self::readline),
/// [`readuntil`](Self::readuntil), [`readexactly`](Self::readexactly),
/// [`at_eof`](Self::at_eof).
///
/// It wraps any [`futures_io::AsyncRead`] (a socket, a pipe, `&[u8]`...) and is one itself,
/// and an [`AsyncBufRead`](futures_io::AsyncBufRead), so it composes with the ecosystem's
/// combinators too.
///
/// # Cancel safety
///
/// Every read method is cancel-safe: the bytes read from the source go into the reader's
/// buffer at once, and leave it only when the method returns. Dropping a pending call (a
/// timeout, a `select`) loses nothing; the next call sees every byte.
///
/// # Errors
///
/// An I/O error of the source is returned by the call that met it, and the bytes buffered
/// before it stay in the buffer; the next call asks the source again. (asyncio instead keeps
/// the exception and raises it from every later call, buffered data or not; a Rust
/// `io::Error` cannot be cloned, and keeping the bytes reachable loses less.)
/// `ErrorKind::Interrupted` is retried, as `std`'s readers do.
///
/// Its inherent [`read(n)`](Self::read) takes precedence over `AsyncReadExt::read(&mut buf)`
/// of the extension traits; call that one as `AsyncReadExt::read(&mut reader, &mut buf)`.
///
/// # End of stream
///
/// The first time the source reports the end (a read of 0 bytes), the reader remembers it and
/// never reads again, as asyncio's `feed_eof` is final.
///
/// ```
/// use asyncio_streams::StreamReader;
/// # futures_lite::future::block_on(async {
/// let mut reader = StreamReader::new(&b"GET / HTTP/1.0\r\nHost: x\r\n\r\nbody"[..]);
/// assert_eq!(reader.readline().await?, b"GET / HTTP/1.0\r\n");
/// assert_eq!(reader.readuntil(b"\r\n\r\n").await?, b"Host: x\r\n\r\n");
/// assert_eq!(reader.readexactly(4).await?, b"body");
/// assert_eq!(reader.read(100).await?, b""); // the end of the stream
/// assert!(reader.at_eof());
/// # Ok::<(), asyncio_streams::StreamError>(())
/// # }).unwrap();
/// ```
pub struct StreamReader<R> {
    source: R,
    buffer: ReadBuffer,
    eof: bool,
    limit: usize,
}

impl<R> StreamReader<R> {
    /// A reader over `source` with asyncio's default limit of 64 KiB ([`DEFAULT_LIMIT`]).
    ///
    /// ```
    /// use asyncio_streams::{DEFAULT_LIMIT, StreamReader};
    /// let reader = StreamReader::new(&b"data"[..]);
    /// assert_eq!(reader.limit(), DEFAULT_LIMIT);
    /// ```
    pub fn new(source: R) -> Self {
        Self {
            source,
            buffer: ReadBuffer::default(),
            eof: false,
            limit: DEFAULT_LIMIT,
        }
    }

    /// A reader over `source` whose [`readline`](Self::readline) and
    /// [`readuntil`](Self::readuntil) accept at most `limit` bytes before the separator
    /// (asyncio's `StreamReader(limit=...)`).
    ///
    /// # Errors
    ///
    /// [`StreamError::InvalidLimit`] for a limit of 0 (asyncio's
    /// `ValueError('Limit cannot be <= 0')`).
    ///
    /// ```
    /// use asyncio_streams::{StreamError, StreamReader};
    /// let reader = StreamReader::with_limit(&b"data"[..], 1024)?;
    /// assert_eq!(reader.limit(), 1024);
    /// assert!(matches!(
    ///     StreamReader::with_limit(&b""[..], 0),
    ///     Err(StreamError::InvalidLimit)
    /// ));
    /// # Ok::<(), StreamError>(())
    /// ```
    pub fn with_limit(source: R, limit: usize) -> Result<Self, StreamError> {
        if limit == 0 {
            return Err(StreamError::InvalidLimit);
        }
        Ok(Self {
            limit,
            ..Self::new(source)
        })
    }

    /// The longest line, or data before a separator, that
    /// [`readline`](Self::readline)/[`readuntil`](Self::readuntil) accept.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether the source has ended and every byte was returned (asyncio's `at_eof()`).
    ///
    /// ```
    /// use asyncio_streams::StreamReader;
    /// # futures_lite::future::block_on(async {
    /// let mut reader = StreamReader::new(&b"x"[..]);
    /// assert!(!reader.at_eof()); // the end is not known until a read meets it
    /// assert_eq!(reader.read(10).await.unwrap(), b"x");
    /// assert_eq!(reader.read(10).await.unwrap(), b"");
    /// assert!(reader.at_eof());
    /// # });
    /// ```
    pub fn at_eof(&self) -> bool {
        self.eof && self.buffer.is_empty()
    }

    /// The bytes read from the source and not yet returned (asyncio's `_buffer`, to peek at).
    pub fn buffer(&self) -> &[u8] {
        self.buffer.as_slice()
    }

    /// The source.
    pub fn get_ref(&self) -> &R {
        &self.source
    }

    /// The source, mutably. Reading from it directly skips the bytes already buffered.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.source
    }

    /// The source; the buffered bytes are dropped (see [`into_parts`](Self::into_parts)).
    pub fn into_inner(self) -> R {
        self.source
    }

    /// The source and the bytes read from it that were not returned yet.
    pub fn into_parts(self) -> (R, Vec<u8>) {
        let mut buffer = self.buffer;
        (self.source, buffer.take_all())
    }
}

impl<R: AsyncRead + Unpin> StreamReader<R> {
    /// Reads up to `n` bytes (asyncio's `read(n)`): waits until at least one byte is buffered
    /// or the stream ends, then returns at most `n` of them; an empty vector means the end of
    /// the stream (or `n == 0`).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: bytes read from the source before the future is dropped stay buffered.
    ///
    /// # Errors
    ///
    /// [`StreamError::Io`] from the source.
    ///
    /// ```
    /// use asyncio_streams::StreamReader;
    /// # futures_lite::future::block_on(async {
    /// let mut reader = StreamReader::new(&b"hello"[..]);
    /// assert_eq!(reader.read(3).await?, b"hel");
    /// assert_eq!(reader.read(0).await?, b"");
    /// assert_eq!(reader.read(100).await?, b"lo");
    /// assert_eq!(reader.read(100).await?, b""); // EOF
    /// # Ok::<(), asyncio_streams::StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn read(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        poll_fn(|cx| self.poll_read_up_to(cx, n)).await
    }

    /// Reads everything until the end of the stream (asyncio's `read()` / `read(-1)`).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: until the end is reached, every byte read stays in the reader's buffer
    /// (not in the future), so a dropped call loses nothing. The price is that the whole
    /// stream is buffered before it is returned, as it would be anyway.
    ///
    /// # Errors
    ///
    /// [`StreamError::Io`] from the source; the bytes read before it stay buffered.
    ///
    /// ```
    /// use asyncio_streams::StreamReader;
    /// # futures_lite::future::block_on(async {
    /// let mut reader = StreamReader::new(&b"line\nrest of it"[..]);
    /// reader.readline().await?;
    /// assert_eq!(reader.read_to_end().await?, b"rest of it");
    /// assert_eq!(reader.read_to_end().await?, b"");
    /// # Ok::<(), asyncio_streams::StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn read_to_end(&mut self) -> Result<Vec<u8>, StreamError> {
        poll_fn(|cx| self.poll_read_to_end(cx)).await
    }

    /// Reads one line, up to and including `b"\n"` (asyncio's `readline()`). At the end of
    /// the stream it returns what is left, without a newline, and then empty vectors.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped call leaves every byte it read in the buffer.
    ///
    /// # Errors
    ///
    /// - [`StreamError::LineTooLong`] when the line exceeds the [limit](Self::limit). As in
    ///   CPython 3.11, the reader then drops the line: if the newline was found (beyond the
    ///   limit) the bytes up to and including it are removed; if it was not found the whole
    ///   buffer is cleared, and the rest of that line will come out of the next read. (asyncio
    ///   raises `ValueError` with the `LimitOverrunError`'s message.)
    /// - [`StreamError::Io`] from the source; buffered bytes stay.
    ///
    /// ```
    /// use asyncio_streams::{StreamError, StreamReader};
    /// # futures_lite::future::block_on(async {
    /// let mut reader = StreamReader::with_limit(&b"short\nmuch too long\nok\nend"[..], 8)?;
    /// assert_eq!(reader.readline().await?, b"short\n");
    /// assert!(matches!(reader.readline().await, Err(StreamError::LineTooLong(_))));
    /// assert_eq!(reader.readline().await?, b"ok\n"); // the long line was dropped
    /// assert_eq!(reader.readline().await?, b"end");
    /// assert_eq!(reader.readline().await?, b"");
    /// # Ok::<(), StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn readline(&mut self) -> Result<Vec<u8>, StreamError> {
        let mut offset = 0;
        poll_fn(|cx| self.poll_readline(cx, &mut offset)).await
    }

    /// Reads up to and including `separator` (asyncio's `readuntil(separator)`).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped call leaves every byte it read in the buffer, and the next call
    /// searches it again from the start.
    ///
    /// # Errors
    ///
    /// - [`StreamError::EmptySeparator`] for `b""`.
    /// - [`StreamError::LimitOverrun`] when the separator is not found within the
    ///   [limit](Self::limit) ("Separator is not found, and chunk exceed the limit") or is
    ///   found beyond it ("Separator is found, but chunk is longer than limit"). The data
    ///   stays in the buffer, as asyncio keeps it: read it with [`read`](Self::read), or skip
    ///   it.
    /// - [`StreamError::IncompleteRead`] when the stream ends before the separator: the bytes
    ///   left are taken out of the reader and carried in its `partial`, `expected` is `None`.
    /// - [`StreamError::Io`] from the source; buffered bytes stay.
    ///
    /// ```
    /// use asyncio_streams::{StreamError, StreamReader};
    /// # futures_lite::future::block_on(async {
    /// let mut reader = StreamReader::new(&b"key=value;tail"[..]);
    /// assert_eq!(reader.readuntil(b"=").await?, b"key=");
    /// assert_eq!(reader.readuntil(b";").await?, b"value;");
    /// match reader.readuntil(b";").await {
    ///     Err(StreamError::IncompleteRead(e)) => assert_eq!(e.partial, b"tail"),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn readuntil(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
        let mut offset = 0;
        poll_fn(|cx| self.poll_readuntil(cx, separator, &mut offset)).await
    }

    /// Reads exactly `n` bytes (asyncio's `readexactly(n)`); `n == 0` gives an empty vector.
    /// `n` is not bounded by the limit.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a dropped call leaves every byte it read in the buffer.
    ///
    /// # Errors
    ///
    /// - [`StreamError::IncompleteRead`] when the stream ends first: the bytes left are taken
    ///   out of the reader and carried in its `partial`, with `expected: Some(n)`.
    /// - [`StreamError::Io`] from the source; buffered bytes stay.
    ///
    /// ```
    /// use asyncio_streams::{StreamError, StreamReader};
    /// # futures_lite::future::block_on(async {
    /// let mut reader = StreamReader::new(&b"\x00\x03abcd"[..]);
    /// let header = reader.readexactly(2).await?;
    /// let len = u16::from_be_bytes([header[0], header[1]]) as usize;
    /// assert_eq!(reader.readexactly(len).await?, b"abc");
    /// let Err(StreamError::IncompleteRead(e)) = reader.readexactly(4).await else { panic!() };
    /// assert_eq!((e.partial, e.expected), (b"d".to_vec(), Some(4)));
    /// # Ok::<(), StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn readexactly(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        poll_fn(|cx| self.poll_readexactly(cx, n)).await
    }

    /// Reads once from the source into the buffer; a read of 0 bytes marks the end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        debug_assert!(!self.eof, "the source is not read after its end");
        loop {
            let room = self.buffer.spare();
            match ready!(Pin::new(&mut self.source).poll_read(cx, room)) {
                Ok(0) => self.eof = true,
                Ok(n) => self.buffer.commit(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
            return Poll::Ready(Ok(()));
        }
    }

    /// Waits until a byte is buffered or the stream has ended; returns the buffered bytes.
    fn poll_buffered(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        while self.buffer.is_empty() && !self.eof {
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(self.buffer.as_slice()))
    }

    /// Reads directly into `out` (not empty), bypassing the empty buffer: a large
    /// `AsyncRead::poll_read` need not be copied through it.
    fn poll_read_direct(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        debug_assert!(self.buffer.is_empty() && !out.is_empty());
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        loop {
            return match ready!(Pin::new(&mut self.source).poll_read(cx, out)) {
                Ok(0) => {
                    self.eof = true;
                    Poll::Ready(Ok(0))
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                result => Poll::Ready(result),
            };
        }
    }

    fn poll_read_up_to(
        &mut self,
        cx: &mut Context<'_>,
        n: usize,
    ) -> Poll<Result<Vec<u8>, StreamError>> {
        if n == 0 {
            return Poll::Ready(Ok(Vec::new()));
        }
        ready!(self.poll_buffered(cx))?;
        Poll::Ready(Ok(self.buffer.take(n)))
    }

    fn poll_read_to_end(&mut self, cx: &mut Context<'_>) -> Poll<Result<Vec<u8>, StreamError>> {
        while !self.eof {
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(self.buffer.take_all()))
    }

    fn poll_readexactly(
        &mut self,
        cx: &mut Context<'_>,
        n: usize,
    ) -> Poll<Result<Vec<u8>, StreamError>> {
        while self.buffer.len() < n {
            if self.eof {
                let partial = self.buffer.take_all();
                let expected = Some(n);
                return Poll::Ready(Err(IncompleteReadError { partial, expected }.into()));
            }
            ready!(self.poll_fill(cx))?;
        }
        Poll::Ready(Ok(self.buffer.take(n)))
    }

    /// CPython 3.11's `readuntil`. `offset` is where the next search starts (the bytes before
    /// it hold no separator); it lives in the caller's future, which is harmless to lose: a
    /// new call searches from 0 and reaches the same verdict.
    fn poll_readuntil(
        &mut self,
        cx: &mut Context<'_>,
        separator: &[u8],
        offset: &mut usize,
    ) -> Poll<Result<Vec<u8>, StreamError>> {
        let seplen = separator.len();
        if seplen == 0 {
            return Poll::Ready(Err(StreamError::EmptySeparator));
        }
        let isep = loop {
            let buffered = self.buffer.as_slice();
            let buflen = buffered.len();
            if buflen.saturating_sub(*offset) >= seplen {
                if let Some(at) = find(&buffered[*offset..], separator) {
                    break *offset + at;
                }
                *offset = buflen + 1 - seplen;
                if *offset > self.limit {
                    let consumed = *offset;
                    let separator_found = false;
                    return Poll::Ready(Err(LimitOverrunError {
                        consumed,
                        separator_found,
                    }
                    .into()));
                }
            }
            // A last chunk may have completed the separator, hence the end is checked only
            // after the search (as CPython does).
            if self.eof {
                let partial = self.buffer.take_all();
                let expected = None;
                return Poll::Ready(Err(IncompleteReadError { partial, expected }.into()));
            }
            ready!(self.poll_fill(cx))?;
        };
        if isep > self.limit {
            let consumed = isep;
            let separator_found = true;
            return Poll::Ready(Err(LimitOverrunError {
                consumed,
                separator_found,
            }
            .into()));
        }
        Poll::Ready(Ok(self.buffer.take(isep + seplen)))
    }

    /// CPython 3.11's `readline`: `readuntil(b"\n")`, the partial line at the end of the
    /// stream, and the over-long line dropped on a limit overrun.
    fn poll_readline(
        &mut self,
        cx: &mut Context<'_>,
        offset: &mut usize,
    ) -> Poll<Result<Vec<u8>, StreamError>> {
        const SEPARATOR: &[u8] = b"\n";
        match ready!(self.poll_readuntil(cx, SEPARATOR, offset)) {
            Err(StreamError::IncompleteRead(error)) => Poll::Ready(Ok(error.partial)),
            Err(StreamError::LimitOverrun(error)) => {
                let buffered = self.buffer.as_slice();
                let at_separator = buffered
                    .get(error.consumed..)
                    .is_some_and(|rest| rest.starts_with(SEPARATOR));
                if at_separator {
                    self.buffer.consume(error.consumed + SEPARATOR.len());
                } else {
                    self.buffer.consume(buffered.len());
                }
                Poll::Ready(Err(StreamError::LineTooLong(error)))
            }
            other => Poll::Ready(other),
        }
    }
}

/// The reader is a source itself: reads are served from the buffer first.
impl<R: AsyncRead + Unpin> AsyncRead for StreamReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.buffer.is_empty() && out.len() >= MIN_READ {
            return this.poll_read_direct(cx, out);
        }
        let buffered = ready!(this.poll_buffered(cx))?;
        let n = buffered.len().min(out.len());
        out[..n].copy_from_slice(&buffered[..n]);
        this.buffer.consume(n);
        Poll::Ready(Ok(n))
    }
}

/// `fill_buf` shows the reader's buffer (reading once if it is empty); `consume` drops from it.
impl<R: AsyncRead + Unpin> AsyncBufRead for StreamReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_buffered(cx)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().buffer.consume(amt);
    }
}

/// Where `needle` (not empty) first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [byte] => haystack.iter().position(|b| b == byte),
        _ => haystack
            .windows(needle.len())
            .position(|window| window == needle),
    }
}

impl<R: fmt::Debug> fmt::Debug for StreamReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("source", &self.source)
            .field("buffered", &self.buffer.len())
            .field("eof", &self.eof)
            .field("limit", &self.limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_single_and_multi_byte() {
        assert_eq!(find(b"abc\n", b"\n"), Some(3));
        assert_eq!(find(b"abc", b"\n"), None);
        assert_eq!(find(b"a\r\nb\r\n", b"\r\n"), Some(1));
        assert_eq!(find(b"a\r", b"\r\n"), None);
    }
}
