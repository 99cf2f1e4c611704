//! [`WriteEof`]: the half-close capability a plain `AsyncWrite` does not express.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::AsyncWrite;

/// A sink that can signal the end of its data while staying open for reading, as a TCP or
/// Unix socket's `shutdown(Write)` does (asyncio's `transport.write_eof()`).
///
/// `futures-io`'s `AsyncWrite` has only `poll_close`, which for a socket is the same
/// half-close but for other sinks may release everything; a writer cannot tell which. So
/// [`StreamWriter::new`](crate::StreamWriter::new) takes any `AsyncWrite` and reports
/// [`can_write_eof()`](crate::StreamWriter::can_write_eof) `false`, and
/// [`StreamWriter::with_write_eof`](crate::StreamWriter::with_write_eof) takes a sink that
/// implements this trait and reports `true`. Socket types implement it with their shutdown;
/// a sink whose close *is* its end of data (the write end of a pipe) can implement it by
/// calling its own `poll_close`.
///
/// ```
/// use std::io;
/// use std::pin::Pin;
/// use std::task::{Context, Poll};
/// use asyncio_streams::{StreamWriter, WriteEof};
/// use futures_io::AsyncWrite;
///
/// /// An in-memory pipe end whose close is its EOF.
/// struct PipeEnd(Vec<u8>, bool);
///
/// impl AsyncWrite for PipeEnd {
///     fn poll_write(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
///         self.0.extend_from_slice(buf);
///         Poll::Ready(Ok(buf.len()))
///     }
///     fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
///         Poll::Ready(Ok(()))
///     }
///     fn poll_close(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
///         self.1 = true;
///         Poll::Ready(Ok(()))
///     }
/// }
///
/// impl WriteEof for PipeEnd {
///     fn poll_write_eof(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
///         self.poll_close(cx)
///     }
/// }
///
/// let writer = StreamWriter::with_write_eof(PipeEnd(Vec::new(), false));
/// assert!(writer.can_write_eof());
/// writer.write(b"last words")?;
/// writer.write_eof()?;
/// assert!(writer.get_ref().1, "the sink took every byte and the EOF at once");
/// # Ok::<(), asyncio_streams::StreamError>(())
/// ```
pub trait WriteEof: AsyncWrite {
    /// Shuts the writing half down once everything written so far is out; reading (if the
    /// type reads too) goes on. Called at most once per writer, after its buffer is empty.
    fn poll_write_eof(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
}

impl<T: WriteEof + Unpin + ?Sized> WriteEof for &mut T {
    fn poll_write_eof(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_write_eof(cx)
    }
}

impl<T: WriteEof + Unpin + ?Sized> WriteEof for Box<T> {
    fn poll_write_eof(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut **self).poll_write_eof(cx)
    }
}
