//! [`HyperIo`]: hyper's `Read` / `Write` over a `futures-io` stream.

use std::cell::Cell;
use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// The most one read asks for. hyper's buffer starts at 8 KiB and grows while reads fill
/// it; 64 KiB lets it grow well past that without a big scratch buffer.
const SCRATCH_LEN: usize = 64 * 1024;

thread_local! {
    /// Where reads land before hyper's buffer (see [`HyperIo`] on the copy). One per thread,
    /// not one per connection: a loop serves many connections but polls one at a time.
    static SCRATCH: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Runs `read` on up to `want` bytes of this thread's scratch buffer. The buffer is taken
/// out of its cell for the call, so a nested call (an adapter over an adapter) gets a
/// fresh one instead of a double borrow.
fn with_scratch<R>(want: usize, read: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut scratch = cell.take();
        if scratch.len() < SCRATCH_LEN {
            scratch = vec![0; SCRATCH_LEN];
        }
        let out = read(&mut scratch[..want.min(SCRATCH_LEN)]);
        cell.set(scratch);
        out
    })
}

/// A `futures-io` stream (anything `AsyncRead + AsyncWrite + Unpin`: our
/// [`TcpStream`](crate::TcpStream), [`UnixStream`](crate::UnixStream), smol's sockets...)
/// as hyper's `hyper::rt::Read` and `hyper::rt::Write`, to hand to
/// `serve_connection`.
///
/// Reads: hyper offers a buffer that may be uninitialized, and filling it in place would
/// take `unsafe` code, which this crate forbids. So each read goes into a zeroed
/// scratch buffer of the thread (up to 64 KiB, allocated once) and is copied into
/// hyper's with `put_slice`: one `memcpy` of the bytes read, next to the system call
/// that read them. Nothing is kept between polls: a read either copied its bytes into
/// hyper's buffer or took none.
///
/// Writes go straight through; hyper's `poll_shutdown` is `poll_close` (for our sockets,
/// `shutdown(Write)`). Whether hyper should use vectored writes depends on the stream,
/// which `futures-io` cannot tell: [`new`](Self::new) says no (hyper then copies a
/// response's body into its head buffer and writes once), [`vectored`](Self::vectored)
/// says yes, for streams whose `poll_write_vectored` writes several buffers in one call,
/// as our sockets' `writev` does.
pub struct HyperIo<T> {
    inner: T,
    vectored: bool,
}

impl<T> HyperIo<T> {
    /// Wraps `inner`; hyper will not use vectored writes on it.
    pub fn new(inner: T) -> Self {
        HyperIo {
            inner,
            vectored: false,
        }
    }

    /// Wraps `inner`, whose `poll_write_vectored` writes several buffers at once (our
    /// sockets do: `writev`), so hyper queues a response's head and body buffers and writes
    /// them in one call instead of copying the body.
    pub fn vectored(inner: T) -> Self {
        HyperIo {
            inner,
            vectored: true,
        }
    }

    /// The stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The stream, mutably. Reading from or writing to it behind hyper's back corrupts the
    /// connection.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// The stream back.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for HyperIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperIo")
            .field("inner", &self.inner)
            .field("vectored", &self.vectored)
            .finish()
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        with_scratch(buf.remaining(), |scratch| {
            let n = ready!(Pin::new(&mut self.inner).poll_read(cx, scratch))?;
            buf.put_slice(&scratch[..n]);
            Poll::Ready(Ok(()))
        })
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.vectored
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
