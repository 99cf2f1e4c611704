//! asyncio's `asyncio.subprocess.Process`: a started child with its pipes as streams, its
//! exit noticed by the loop (`asyncio_loop::ChildWatch`: a pidfd watched like a reader),
//! and `communicate`, which feeds stdin while it reads stdout and stderr so that a child
//! writing more than a pipe holds never deadlocks against us.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use asyncio_loop::{ChildWatch, PipeReader, PipeWriter, create_task};
use asyncio_streams::{StreamError, StreamReader, StreamWriter, WriteEof};
use futures_io::AsyncWrite;

/// The stdout or stderr of a [`Process`] (asyncio's `StreamReader` over a read pipe).
pub type ProcessReader = StreamReader<PipeReader>;
/// The stdin of a [`Process`] (asyncio's `StreamWriter` over a write pipe).
pub type ProcessWriter = StreamWriter<PipeSink>;

/// A child's stdin pipe as a stream's sink: `write_eof` and `close` both close the pipe,
/// which is how the child sees the end of its input (asyncio's write pipe transport).
#[derive(Debug)]
pub struct PipeSink {
    pipe: PipeWriter,
}

impl PipeSink {
    pub(crate) fn new(pipe: PipeWriter) -> PipeSink {
        PipeSink { pipe }
    }
}

impl AsyncWrite for PipeSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.pipe).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.pipe).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.pipe).poll_close(cx)
    }
}

impl WriteEof for PipeSink {
    fn poll_write_eof(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.pipe).poll_close(cx)
    }
}

/// A started child process (asyncio's `Process`), from
/// [`create_subprocess_exec`](crate::create_subprocess_exec) or
/// [`create_subprocess_shell`](crate::create_subprocess_shell).
///
/// Its exit is noticed by the loop whether or not anyone waits, and the child is reaped
/// there: dropping a `Process` whose child still runs leaves no zombie (the loop keeps
/// watching it, as asyncio does). Dropping it closes its pipes.
///
/// ```
/// use asyncio::subprocess::PIPE;
///
/// let out = asyncio::run(async {
///     let mut process = asyncio::create_subprocess_exec("sleep", ["30"]).await?;
///     assert_eq!(process.returncode(), None);
///     process.kill()?;
///     Ok::<_, std::io::Error>(process.wait().await)
/// });
/// assert_eq!(out.unwrap().unwrap(), -9); // -SIGKILL, as asyncio reports it
/// ```
pub struct Process {
    watch: ChildWatch,
    /// The child's standard input when it was [`PIPE`](crate::subprocess::PIPE)d.
    pub stdin: Option<ProcessWriter>,
    /// The child's standard output when it was `PIPE`d.
    pub stdout: Option<ProcessReader>,
    /// The child's standard error when it was `PIPE`d.
    pub stderr: Option<ProcessReader>,
}

impl Process {
    pub(crate) fn new(
        watch: ChildWatch,
        stdin: Option<ProcessWriter>,
        stdout: Option<ProcessReader>,
        stderr: Option<ProcessReader>,
    ) -> Process {
        if let Some(stdin) = &stdin {
            // The writer's transport: writes the buffer out in the background (asyncio's
            // write pipe transport); it ends when the writer is closed. Nobody awaits it.
            drop(create_task(stdin.transport()));
        }
        Process {
            watch,
            stdin,
            stdout,
            stderr,
        }
    }

    /// The child's process id (asyncio's `pid`).
    pub fn pid(&self) -> u32 {
        self.watch.pid()
    }

    /// asyncio's `returncode`: `None` while the child runs (until the loop noticed its
    /// exit), then its exit status, or `-N` when signal `N` killed it.
    pub fn returncode(&self) -> Option<i32> {
        self.watch.returncode()
    }

    /// Waits for the child to exit and gives its return code (asyncio's `wait()`).
    ///
    /// As asyncio warns, a child writing to a `PIPE` nobody reads can block forever once
    /// the pipe is full: read its output, or use [`communicate`](Self::communicate). (Unlike
    /// asyncio, whose transport reads pipes in the background, the streams here read when
    /// asked, so the child blocks at the pipe's 64 KiB rather than at the reader's limit.)
    ///
    /// Cancel safety: cancel-safe; the loop keeps watching the child.
    pub async fn wait(&self) -> i32 {
        self.watch.wait().await
    }

    /// Sends `signal` to the child (asyncio's `send_signal`).
    ///
    /// Errors: `ESRCH` ("No such process", asyncio's `ProcessLookupError`) once the child
    /// has exited and been reaped.
    pub fn send_signal(&self, signal: i32) -> io::Result<()> {
        self.watch.send_signal(signal)
    }

    /// Sends `SIGTERM` (asyncio's `terminate()`).
    pub fn terminate(&self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Sends `SIGKILL` (asyncio's `kill()`).
    pub fn kill(&self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// asyncio's `communicate(input)`: writes `input` to stdin and closes it, reads stdout
    /// and stderr to their ends, all at once (so a child that writes a lot before reading
    /// all its input cannot deadlock against us), then waits for the child to exit.
    /// Gives `(stdout, stderr)`, each `None` unless that stream was `PIPE`d.
    ///
    /// With `input` `None`, stdin is left as it is (open, if it was piped), as asyncio
    /// does. A child that exits without reading its input is not an error: the broken pipe
    /// is ignored, as asyncio ignores `BrokenPipeError` here.
    ///
    /// Errors: `InvalidInput` for `input` when stdin was not piped (asyncio fails there
    /// too); a read error of stdout or stderr.
    ///
    /// Cancel safety: not cancel-safe: output read before the cancellation is lost (and
    /// stdin may already be closed). The child goes on and is still reaped by the loop.
    pub async fn communicate(
        &mut self,
        input: Option<&[u8]>,
    ) -> io::Result<(Option<Vec<u8>>, Option<Vec<u8>>)> {
        if let Some(input) = input {
            let Some(stdin) = &self.stdin else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "communicate: input given but stdin is not PIPE",
                ));
            };
            // The transport writes it out in the background while we read below, and
            // closes the pipe after the last byte.
            match stdin.write(input) {
                Ok(()) | Err(StreamError::ConnectionLost(_)) => {}
                Err(StreamError::Io(error)) if ignored(&error) => {}
                Err(error) => return Err(error.into()),
            }
            stdin.close();
        }
        let (stdout, stderr) = join(
            read_all(self.stdout.as_mut()),
            read_all(self.stderr.as_mut()),
        )
        .await;
        let (stdout, stderr) = (stdout?, stderr?);
        self.wait().await;
        Ok((stdout, stderr))
    }
}

/// The stdin errors `communicate` ignores, as asyncio's `_feed_stdin` does.
fn ignored(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    )
}

async fn read_all(stream: Option<&mut ProcessReader>) -> io::Result<Option<Vec<u8>>> {
    match stream {
        Some(stream) => Ok(Some(stream.read_to_end().await?)),
        None => Ok(None),
    }
}

/// Both futures polled in turn until both are done (asyncio's `gather` of the two reads,
/// without a task each: they only read pipes).
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(out) = a.as_mut().poll(cx) {
                out_a = Some(out);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(out) = b.as_mut().poll(cx) {
                out_b = Some(out);
            }
        }
        if out_a.is_some() && out_b.is_some() {
            Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            Poll::Pending
        }
    })
    .await
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // asyncio's repr: <Process 1234>.
        f.debug_struct("Process")
            .field("pid", &self.pid())
            .field("returncode", &self.returncode())
            .finish_non_exhaustive()
    }
}
