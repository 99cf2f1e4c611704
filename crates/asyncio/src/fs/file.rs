//! [`File`]'s engine: one userspace buffer, and at most one job on the thread pool at a
//! time. Every operation is a `poll_*` function here; the async methods (`methods.rs`), the
//! `futures-io` traits and the line streams (`io_traits.rs`) are thin layers over them.
//!
//! The buffer is either read-ahead (bytes the OS gave past the caller's position) or
//! pending writes (bytes the caller wrote that the OS has not seen), never both, as in
//! CPython's `BufferedRandom`. A one-byte read or write is served by the buffer; the pool
//! is reached only to refill it, to flush it when it is full, for `flush`, `seek` and
//! `close`, or when switching between reading and writing. While a job runs the buffer
//! travels with it (so nothing is shared across threads but the file descriptor) and the
//! file is busy: the next operation first waits for that job. A job is never abandoned: if
//! the future that started it is dropped, the job finishes and the next operation collects
//! its outcome (a write error is then reported by that operation, as CPython reports a
//! failed write of buffered data at the next flush).

use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::mem;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use asyncio_loop::get_running_loop;

use super::error::FileError;
use super::mode::Mode;
use crate::executor::{EventLoopExt, Executor};

/// The buffer's size and the least a refill asks the OS for. Larger than CPython's 8 KiB
/// `DEFAULT_BUFFER_SIZE` because each refill here is a thread hop, not just a syscall.
pub(super) const BUFFER_SIZE: usize = 64 * 1024;

/// The most one refill asks for, whatever the caller's `read(n)`: a huge `n` must not
/// allocate a huge buffer before the file has shown it has that much.
const MAX_FILL: usize = 16 << 20;

/// A refill hint meaning "read to the end of the file".
pub(super) const TO_END: usize = usize::MAX;

/// An open file whose operations run on the loop's thread pool, with a userspace buffer so
/// that small reads and writes do not each cost a pool hop. Made by
/// [`open`](super::open); see the [module documentation](super) for the model.
pub struct File {
    /// The descriptor, shared with the running job; `None` once closed.
    pub(super) raw: Option<Arc<std::fs::File>>,
    pub(super) path: PathBuf,
    pub(super) mode: Mode,
    /// A regular file (not a FIFO or a device): see `start_fill`.
    regular: bool,
    state: State,
    /// The outcome of a finished job that failed, for the next operation to report.
    error: Option<FileError>,
    /// The OS's file position, when known (an append-mode write makes it unknown).
    raw_pos: Option<u64>,
    /// The last refill read nothing: the next `poll_fill_buf` reports end of file once.
    eof: bool,
    /// The user seek started or finished, and where it ended: see `poll_seek`.
    seek_target: Option<SeekFrom>,
    seek_done: Option<u64>,
    hops: u64,
}

enum State {
    Idle(Buffer),
    Busy(Executor<(Buffer, Outcome)>),
}

/// Read-ahead (`data[start..]`) or pending writes (`data`, with `writing` set).
#[derive(Default)]
struct Buffer {
    data: Vec<u8>,
    start: usize,
    writing: bool,
}

impl Buffer {
    fn ahead(&self) -> usize {
        if self.writing {
            0
        } else {
            self.data.len() - self.start
        }
    }

    fn pending(&self) -> usize {
        if self.writing { self.data.len() } else { 0 }
    }
}

/// What a pool job did.
enum Outcome {
    /// A refill read this many bytes; `true` if it read to the end of the file.
    Filled(io::Result<usize>, bool),
    /// Pending writes were written (or not), the position moving to the `Option` if known.
    Wrote(io::Result<()>, Option<u64>),
    /// A seek the user asked for.
    Sought(io::Result<u64>),
    /// A seek of our own (dropping read-ahead, or learning the position for `tell`).
    Positioned(io::Result<u64>),
    /// The descriptor was closed (after writing what was pending).
    Closed(io::Result<()>),
}

impl File {
    pub(super) fn new(
        raw: std::fs::File,
        path: PathBuf,
        mode: Mode,
        pos: u64,
        regular: bool,
    ) -> File {
        File {
            raw: Some(Arc::new(raw)),
            path,
            mode,
            regular,
            state: State::Idle(Buffer::default()),
            error: None,
            raw_pos: Some(pos),
            eof: false,
            seek_target: None,
            seek_done: None,
            hops: 0,
        }
    }

    /// How many times this file has gone to the thread pool (open not counted). The
    /// buffer's whole point is to keep this small: a test hook, and a tuning aid.
    pub fn pool_hops(&self) -> u64 {
        self.hops
    }

    /// The path the file was opened with (Python's `name`).
    pub fn name(&self) -> &Path {
        &self.path
    }

    /// The mode the file was opened with.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether [`close`](File::close) has run (Python's `closed`).
    pub fn closed(&self) -> bool {
        self.raw.is_none()
    }

    fn os_error(&self, error: io::Error) -> FileError {
        FileError::os(error, Some(&self.path), None)
    }

    fn buffer(&mut self) -> &mut Buffer {
        match &mut self.state {
            State::Idle(buffer) => buffer,
            State::Busy(_) => unreachable!("the buffer is used only when no job runs"),
        }
    }

    /// Sends `job` to the loop's default executor with the buffer and the descriptor.
    fn submit<F>(&mut self, raw: Arc<std::fs::File>, job: F)
    where
        F: FnOnce(Arc<std::fs::File>, Buffer) -> (Buffer, Outcome) + Send + 'static,
    {
        let buffer = mem::take(self.buffer());
        let event_loop = get_running_loop().expect("asyncio::fs: no running event loop");
        self.hops += 1;
        self.state = State::Busy(event_loop.run_in_executor(None, move || job(raw, buffer)));
    }

    fn raw(&self) -> Arc<std::fs::File> {
        Arc::clone(self.raw.as_ref().expect("checked open by the caller"))
    }

    /// Waits for the running job, if any, and takes in its outcome.
    fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(());
        };
        let (buffer, outcome) = match ready!(Pin::new(job).poll(cx)) {
            Ok(done) => done,
            Err(e) => {
                // The job panicked or the pool refused it: its buffer is gone.
                self.state = State::Idle(Buffer::default());
                self.error = Some(FileError::Pool(e));
                self.raw_pos = None;
                return Poll::Ready(());
            }
        };
        self.state = State::Idle(buffer);
        let failed = match outcome {
            Outcome::Filled(Ok(n), to_end) => {
                self.raw_pos = self.raw_pos.map(|p| p + n as u64);
                // A read to the end has seen the end: reporting it needs no second read.
                self.eof = n == 0 || to_end;
                None
            }
            Outcome::Wrote(Ok(()), pos) => {
                self.raw_pos = pos;
                None
            }
            Outcome::Sought(Ok(pos)) => {
                self.raw_pos = Some(pos);
                self.seek_done = Some(pos);
                None
            }
            Outcome::Positioned(Ok(pos)) => {
                self.raw_pos = Some(pos);
                None
            }
            Outcome::Closed(result) => result.err(),
            Outcome::Filled(Err(e), _)
            | Outcome::Wrote(Err(e), _)
            | Outcome::Sought(Err(e))
            | Outcome::Positioned(Err(e)) => {
                self.raw_pos = None;
                Some(e)
            }
        };
        if let Some(e) = failed {
            self.error = Some(self.os_error(e));
        }
        Poll::Ready(())
    }

    /// Waits until no job runs, then reports a closed file or a failure left by a job.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), FileError>> {
        ready!(self.poll_complete(cx));
        if let Some(error) = self.error.take() {
            return Poll::Ready(Err(error));
        }
        if self.raw.is_none() {
            return Poll::Ready(Err(FileError::Closed));
        }
        Poll::Ready(Ok(()))
    }

    /// Starts writing the pending bytes.
    fn start_flush(&mut self) {
        let len = self.buffer().data.len() as u64;
        let pos = match self.mode.appending() {
            true => None,
            false => self.raw_pos.map(|p| p + len),
        };
        self.submit(self.raw(), move |raw, mut buffer| {
            let result = (&*raw).write_all(&buffer.data);
            buffer.data.clear();
            (buffer, Outcome::Wrote(result, pos))
        });
    }

    /// Starts an `lseek` on the pool; `user` says whose: a user's seek reports where it
    /// ended through `seek_done`.
    fn start_seek(&mut self, to: SeekFrom, user: bool) {
        self.submit(self.raw(), move |raw, buffer| {
            let result = (&*raw).seek(to);
            let outcome = match user {
                true => Outcome::Sought(result),
                false => Outcome::Positioned(result),
            };
            (buffer, outcome)
        });
    }

    /// Starts a refill of the read-ahead: at least `hint` bytes asked for in one read
    /// (never less than [`BUFFER_SIZE`], never more than [`MAX_FILL`]), or everything to
    /// the end for [`TO_END`].
    fn start_fill(&mut self, hint: usize) {
        let regular = self.regular;
        self.submit(self.raw(), move |raw, mut buffer| {
            buffer.data.clear();
            buffer.start = 0;
            buffer.writing = false;
            let want = hint.clamp(BUFFER_SIZE, MAX_FILL);
            let result = match hint {
                TO_END => (&*raw).read_to_end(&mut buffer.data),
                // A regular file gives all it has up to the limit, so reading to the limit is
                // one `read` (plus one at the end of the file), into spare capacity without
                // zeroing it first.
                _ if regular => {
                    buffer.data.reserve(want);
                    (&*raw).take(want as u64).read_to_end(&mut buffer.data)
                }
                // A FIFO or a device: one `read`, which returns what is there now, as
                // CPython's raw read does (reading to the limit could wait forever).
                _ => {
                    buffer.data.resize(want, 0);
                    let result = loop {
                        match (&*raw).read(&mut buffer.data) {
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                            result => break result,
                        }
                    };
                    buffer.data.truncate(*result.as_ref().unwrap_or(&0));
                    result
                }
            };
            (buffer, Outcome::Filled(result, hint == TO_END))
        });
    }

    /// Forgets a user seek's result: any other operation ends its story.
    fn forget_seek(&mut self) {
        self.seek_target = None;
        self.seek_done = None;
    }

    /// Makes the buffer a read-ahead buffer: flushes pending writes first.
    fn poll_reading(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), FileError>> {
        if self.raw.is_some() && !self.mode.readable() {
            // CPython's words: the text layer's, or the buffered writer's missing method.
            let what = if self.mode.binary() {
                "read"
            } else {
                "not readable"
            };
            return Poll::Ready(Err(FileError::Unsupported(what)));
        }
        loop {
            ready!(self.poll_ready(cx))?;
            self.forget_seek();
            if self.buffer().pending() > 0 {
                self.start_flush();
                continue;
            }
            self.buffer().writing = false;
            return Poll::Ready(Ok(()));
        }
    }

    /// Makes the buffer a write buffer: moves the OS position back over read-ahead first,
    /// so the write lands where the caller's position is (CPython's `BufferedRandom`).
    fn poll_writing(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), FileError>> {
        if self.raw.is_some() && !self.mode.writable() {
            let what = if self.mode.binary() {
                "write"
            } else {
                "not writable"
            };
            return Poll::Ready(Err(FileError::Unsupported(what)));
        }
        loop {
            ready!(self.poll_ready(cx))?;
            self.forget_seek();
            self.eof = false;
            let ahead = self.buffer().ahead();
            if ahead > 0 {
                let buffer = self.buffer();
                buffer.data.clear();
                buffer.start = 0;
                self.start_seek(SeekFrom::Current(-(ahead as i64)), false);
                continue;
            }
            let buffer = self.buffer();
            if !buffer.writing {
                buffer.data.clear();
                buffer.start = 0;
                buffer.writing = true;
            }
            return Poll::Ready(Ok(()));
        }
    }

    /// The read-ahead, refilled (a pool hop) when empty with at least `hint` bytes asked
    /// for ([`TO_END`]: the rest of the file). Empty means end of file. Take bytes with
    /// [`consume`](File::consume).
    pub(super) fn poll_fill_buf(
        &mut self,
        cx: &mut Context<'_>,
        hint: usize,
    ) -> Poll<Result<&[u8], FileError>> {
        loop {
            ready!(self.poll_reading(cx))?;
            if self.buffer().ahead() > 0 {
                break;
            }
            if mem::take(&mut self.eof) {
                return Poll::Ready(Ok(&[]));
            }
            self.start_fill(hint);
        }
        let buffer = self.buffer();
        Poll::Ready(Ok(&buffer.data[buffer.start..]))
    }

    /// Marks `n` bytes of the read-ahead as read.
    pub(super) fn consume(&mut self, n: usize) {
        if let State::Idle(buffer) = &mut self.state
            && !buffer.writing
        {
            buffer.start = (buffer.start + n).min(buffer.data.len());
        }
    }

    /// Copies `data` into the write buffer (waiting first for a running job), and starts a
    /// flush if the buffer is full. Ready means the bytes are in the buffer; nothing is
    /// copied before that.
    pub(super) fn poll_write_buf(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<Result<usize, FileError>> {
        ready!(self.poll_writing(cx))?;
        let buffer = self.buffer();
        buffer.data.extend_from_slice(data);
        if buffer.data.len() >= BUFFER_SIZE {
            self.start_flush();
        }
        Poll::Ready(Ok(data.len()))
    }

    /// Writes every pending byte (Python's `flush()`: to the OS, not to the disk).
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), FileError>> {
        loop {
            ready!(self.poll_ready(cx))?;
            self.forget_seek();
            if self.buffer().pending() > 0 {
                self.start_flush();
                continue;
            }
            return Poll::Ready(Ok(()));
        }
    }

    /// Moves to `to` (flushing pending writes, dropping read-ahead) and gives the new
    /// position. A relative seek counts from the caller's position, not the OS's.
    ///
    /// If the future polling this is dropped, the seek may still happen; a seek to the same
    /// `to` right after is then answered by it rather than seeking again.
    pub(super) fn poll_seek(
        &mut self,
        cx: &mut Context<'_>,
        to: SeekFrom,
    ) -> Poll<Result<u64, FileError>> {
        loop {
            ready!(self.poll_complete(cx));
            if self.seek_target == Some(to)
                && let Some(pos) = self.seek_done.take()
            {
                self.seek_target = None;
                return Poll::Ready(Ok(pos));
            }
            self.seek_target = None;
            ready!(self.poll_ready(cx))?;
            if self.buffer().pending() > 0 {
                self.start_flush();
                continue;
            }
            let ahead = self.buffer().ahead() as i64;
            let buffer = self.buffer();
            buffer.data.clear();
            buffer.start = 0;
            self.eof = false;
            let target = match to {
                SeekFrom::Current(offset) => SeekFrom::Current(offset - ahead),
                other => other,
            };
            self.seek_target = Some(to);
            self.seek_done = None;
            self.start_seek(target, true);
        }
    }

    /// The caller's position: the OS's, less the read-ahead, plus the pending writes. A
    /// pool hop only when the OS position is unknown (after an append-mode write).
    pub(super) fn poll_tell(&mut self, cx: &mut Context<'_>) -> Poll<Result<u64, FileError>> {
        loop {
            ready!(self.poll_ready(cx))?;
            if let Some(pos) = self.raw_pos {
                let buffer = self.buffer();
                let pos = pos + buffer.pending() as u64 - buffer.ahead() as u64;
                return Poll::Ready(Ok(pos));
            }
            self.start_seek(SeekFrom::Current(0), false);
        }
    }

    /// Python's `close()`: writes what is pending and closes the descriptor, on the pool.
    /// Closing a closed file does nothing. A failure writing is reported, the descriptor
    /// being closed all the same.
    pub(super) fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), FileError>> {
        loop {
            ready!(self.poll_complete(cx));
            let Some(raw) = self.raw.take() else {
                return Poll::Ready(self.error.take().map_or(Ok(()), Err));
            };
            self.forget_seek();
            self.submit(raw, move |raw, mut buffer| {
                let result = match buffer.writing {
                    true => (&*raw).write_all(&buffer.data),
                    false => Ok(()),
                };
                buffer.data.clear();
                drop(raw);
                (buffer, Outcome::Closed(result))
            });
        }
    }
}

impl Drop for File {
    /// As CPython's file finaliser does, writes what is still pending (and closes the
    /// descriptor) if the file was not closed: on the pool when a loop runs, without
    /// waiting; here otherwise. Errors have nobody to go to and are dropped.
    fn drop(&mut self) {
        let Some(raw) = self.raw.take() else { return };
        let State::Idle(buffer) = &mut self.state else {
            return; // The running job keeps its own handle and finishes on its own.
        };
        if buffer.pending() == 0 {
            return;
        }
        let data = mem::take(&mut buffer.data);
        let write = move || {
            let _ = (&*raw).write_all(&data);
        };
        match get_running_loop() {
            Ok(event_loop) => drop(event_loop.run_in_executor(None, write)),
            Err(_) => write(),
        }
    }
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("name", &self.path)
            .field("mode", &self.mode)
            .field("closed", &self.closed())
            .field("pool_hops", &self.hops)
            .finish()
    }
}
