//! Layer 4 (the public surface): the two ends of a pipe on the loop, [`PipeReader`] and
//! [`PipeWriter`] (asyncio's `_UnixReadPipeTransport` / `_UnixWritePipeTransport` as
//! `futures-io` objects), each an [`IoSource`] of the pipe's descriptor. A child process's
//! standard streams are made of them.

use std::fmt;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::source::IoSource;

/// Puts the open file description behind `fd` in non-blocking mode.
///
/// Only for a pipe end this process alone holds (a child's end is another description),
/// so the flag changes no one else's descriptor.
fn set_nonblocking(fd: &OwnedFd) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `raw` is open for the duration of the call (`fd` is borrowed); F_GETFL takes
    // no argument.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    if flags & libc::O_NONBLOCK == 0 {
        // SAFETY: as above; F_SETFL takes an int of flags.
        if unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// A new pipe, `(read end, write end)`, both close-on-exec and blocking (Python's
/// `os.pipe()`): hand an end to a child process, or to [`PipeReader::new`] /
/// [`PipeWriter::new`].
///
/// ```
/// use std::io::{Read, Write};
///
/// let (read, write) = asyncio_loop::pipe()?;
/// std::fs::File::from(write).write_all(b"x")?; // closed here: the reader sees EOF next
/// let mut got = Vec::new();
/// std::fs::File::from(read).read_to_end(&mut got)?;
/// assert_eq!(got, b"x");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded: both are new descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The read end of a pipe, registered with the running loop: reads wait for data instead
/// of blocking; a read of 0 bytes is the end of the stream (the writer closed it).
///
/// ```
/// use futures_lite::AsyncReadExt;
/// use asyncio_loop::{EventLoop, PipeReader};
///
/// let out = EventLoop::new().run_until_complete(async {
///     let mut child = std::process::Command::new("echo")
///         .arg("hi")
///         .stdout(std::process::Stdio::piped())
///         .spawn()?;
///     let mut reader = PipeReader::new(child.stdout.take().unwrap().into())?;
///     let mut out = String::new();
///     reader.read_to_string(&mut out).await?;
///     child.wait()?;
///     Ok::<_, std::io::Error>(out)
/// });
/// assert_eq!(out.unwrap().unwrap(), "hi\n");
/// ```
pub struct PipeReader {
    source: IoSource<File>,
}

impl PipeReader {
    /// Registers the read end `fd` with the running loop (made non-blocking here).
    ///
    /// Errors: `NotConnected` without a running loop; the poller's error if `fd` cannot
    /// be watched (a regular file).
    pub fn new(fd: OwnedFd) -> io::Result<PipeReader> {
        set_nonblocking(&fd)?;
        Ok(PipeReader {
            source: IoSource::new(File::from(fd))?,
        })
    }
}

impl futures_io::AsyncRead for PipeReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.source.poll_read_with(cx, |mut file| file.read(buf))
    }
}

impl fmt::Debug for PipeReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PipeReader")
            .field(&self.source.get_ref().as_fd())
            .finish()
    }
}

/// The write end of a pipe, registered with the running loop: writes wait for room
/// instead of blocking. Closing it (`poll_close`, or [`close`](Self::close)) closes the
/// descriptor, which is how a pipe's reader sees the end of the stream; writing after
/// that fails with `BrokenPipe`. A reader that went away makes writes fail with
/// `BrokenPipe` too (the process ignores `SIGPIPE`, as Rust programs do).
pub struct PipeWriter {
    source: Option<IoSource<File>>,
}

impl PipeWriter {
    /// Registers the write end `fd` with the running loop (made non-blocking here).
    ///
    /// Errors: as [`PipeReader::new`].
    pub fn new(fd: OwnedFd) -> io::Result<PipeWriter> {
        set_nonblocking(&fd)?;
        Ok(PipeWriter {
            source: Some(IoSource::new(File::from(fd))?),
        })
    }

    /// Closes the descriptor now (the reader sees EOF). Closing twice does nothing.
    pub fn close(&mut self) {
        drop(self.source.take());
    }

    /// Whether [`close`](Self::close) (or `poll_close`) has run.
    pub fn is_closed(&self) -> bool {
        self.source.is_none()
    }

    fn closed() -> io::Error {
        io::Error::new(io::ErrorKind::BrokenPipe, "the pipe is closed")
    }
}

impl futures_io::AsyncWrite for PipeWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &self.source {
            Some(source) => source.poll_write_with(cx, |mut file| file.write(buf)),
            None => Poll::Ready(Err(PipeWriter::closed())),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &self.source {
            Some(source) => source.poll_write_with(cx, |mut file| file.write_vectored(bufs)),
            None => Poll::Ready(Err(PipeWriter::closed())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A pipe has no user-space buffer to flush.
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close();
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for PipeWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fd = self.source.as_ref().map(|source| source.get_ref().as_fd());
        f.debug_tuple("PipeWriter").field(&fd).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventLoop;
    use futures_lite::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn more_than_a_pipe_buffer_goes_through_and_close_is_eof() {
        let out = EventLoop::new().run_until_complete(async {
            let (r, w) = pipe()?;
            let mut reader = PipeReader::new(r)?;
            let mut writer = PipeWriter::new(w)?;
            // Under Miri (an interpreter, slow) a few KiB: the path is the same.
            let data = vec![7u8; if cfg!(miri) { 4 << 10 } else { 1 << 20 }];
            let expected = data.clone();
            let task = crate::create_task(async move {
                writer.write_all(&data).await?;
                AsyncWriteExt::close(&mut writer).await?;
                assert!(writer.is_closed());
                assert_eq!(
                    writer.write(b"x").await.unwrap_err().kind(),
                    io::ErrorKind::BrokenPipe
                );
                Ok::<_, io::Error>(())
            });
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await?;
            task.await.unwrap()?;
            assert_eq!(got, expected);
            Ok::<_, io::Error>(())
        });
        out.unwrap().unwrap();
    }
}
