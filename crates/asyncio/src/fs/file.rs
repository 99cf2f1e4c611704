//! [`File`]'s engine: one userspace buffer on the loop's side, and at most one job on the
//! thread pool at a time. Every operation is a `poll_*` function here; the async methods
//! (`methods.rs`), the `futures-io` traits and the line streams (`io_traits.rs`) are thin
//! layers over them; what runs on the pool is in `jobs.rs`.
//!
//! The buffer is either read-ahead (bytes the OS gave past the caller's position) or
//! pending writes (bytes the caller wrote that the OS has not seen), never both, as in
//! CPython's `BufferedRandom`. A one-byte read or write is served by the buffer; the pool
//! is reached only to refill it, to flush it when it is full, for `flush`, `seek` and
//! `close`, or when switching between reading and writing.
//!
//! The job runs beside the buffer, not instead of it, in two cases: a flush (the caller
//! keeps writing into the emptied buffer while the previous bytes go to the OS, up to
//! `STREAM_SIZE`, then waits for the flush) and a read-ahead (after a refill that filled
//! the whole buffer, the next bytes, 64 KiB doubling to `STREAM_SIZE`, are read while the
//! caller consumes these, and wait in `next`). Everything else first waits for the job. A job is never abandoned: if the
//! future that started it is dropped, the job finishes and the next operation collects its
//! outcome (a write error is then reported by that operation, as CPython reports a failed
//! write of buffered data at the next flush).

use std::future::Future;
use std::io::SeekFrom;
use std::mem;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use asyncio_loop::get_running_loop;

use super::error::FileError;
use super::jobs::{self, BUFFER_SIZE, Outcome, STREAM_SIZE, TO_END};
use super::mode::Mode;
use crate::executor::{EventLoopExt, Executor};

/// An open file whose operations run on the loop's thread pool, with a userspace buffer so
/// that small reads and writes do not each cost a pool hop. Made by
/// [`open`](super::open); see the [module documentation](super) for the model.
pub struct File {
    /// The descriptor, shared with the running job; `None` once closed.
    raw: Option<Arc<std::fs::File>>,
    path: PathBuf,
    pub(super) mode: Mode,
    /// A regular file (not a FIFO or a device): see `jobs::fill`.
    regular: bool,
    buffer: Buffer,
    job: Option<Job>,
    /// Read-ahead that arrived while the buffer still had some: the bytes after it.
    next: Option<Vec<u8>>,
    /// The last refill filled the buffer: reading ahead is worth it.
    more_likely: bool,
    /// The next read-ahead's size: doubles up to `STREAM_SIZE` while they come back full.
    ahead_size: usize,
    /// An emptied vector for the next job, so buffers are reused, not reallocated.
    spare: Vec<u8>,
    /// The outcome of a finished job that failed, for the next operation to report.
    error: Option<FileError>,
    /// The OS's file position when no job runs, if known (an append-mode write makes it
    /// unknown).
    raw_pos: Option<u64>,
    /// The last refill read nothing: the next `poll_fill_buf` reports end of file once.
    eof: bool,
    /// The user seek started or finished, and where it ended: see `poll_seek`.
    seek_target: Option<SeekFrom>,
    seek_done: Option<u64>,
    hops: u64,
}

/// The job on the pool, and what kind (the kinds the buffer may be used beside).
struct Job {
    executor: Executor<(Vec<u8>, Outcome)>,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Writing earlier bytes; `end` is the OS position after them, if known.
    Flush { end: Option<u64> },
    /// Reading ahead while the buffer still has bytes.
    ReadAhead,
    /// Anything else: the buffer waits for it.
    Other,
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

    fn reset(&mut self, writing: bool) {
        self.data.clear();
        self.start = 0;
        self.writing = writing;
    }
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
            buffer: Buffer::default(),
            job: None,
            next: None,
            more_likely: false,
            ahead_size: BUFFER_SIZE,
            spare: Vec::new(),
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

    fn raw(&self) -> Arc<std::fs::File> {
        Arc::clone(self.raw.as_ref().expect("checked open by the caller"))
    }

    /// Sends `job` to the loop's default executor with `data` and the descriptor.
    fn submit<F>(&mut self, kind: Kind, raw: Arc<std::fs::File>, data: Vec<u8>, job: F)
    where
        F: FnOnce(Arc<std::fs::File>, Vec<u8>) -> (Vec<u8>, Outcome) + Send + 'static,
    {
        debug_assert!(self.job.is_none(), "one job at a time");
        let event_loop = get_running_loop().expect("asyncio::fs: no running event loop");
        self.hops += 1;
        let executor = event_loop.run_in_executor(None, move || job(raw, data));
        self.job = Some(Job { executor, kind });
    }

    /// Waits for the running job, if any, and takes in its outcome.
    fn poll_complete(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(job) = &mut self.job else {
            return Poll::Ready(());
        };
        let done = ready!(Pin::new(&mut job.executor).poll(cx));
        self.job = None;
        let (data, outcome) = match done {
            Ok(done) => done,
            Err(e) => {
                // The job panicked or the pool refused it: its bytes are gone.
                self.error = Some(FileError::Pool(e));
                self.raw_pos = None;
                return Poll::Ready(());
            }
        };
        let failed = match outcome {
            Outcome::Filled {
                result: Ok(n),
                full,
                to_end,
            } => {
                self.raw_pos = self.raw_pos.map(|p| p + n as u64);
                // A read to the end has seen the end: reporting it needs no second read.
                self.eof = n == 0 || to_end;
                self.more_likely = full;
                if self.buffer.ahead() == 0 {
                    let used = mem::replace(&mut self.buffer.data, data);
                    self.recycle(used);
                    self.buffer.start = 0;
                    self.buffer.writing = false;
                } else if n > 0 {
                    self.next = Some(data);
                }
                None
            }
            Outcome::Wrote(result, pos) => {
                self.recycle(data);
                self.raw_pos = if result.is_ok() { pos } else { None };
                result.err()
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
            Outcome::Filled { result: Err(e), .. }
            | Outcome::Sought(Err(e))
            | Outcome::Positioned(Err(e)) => {
                self.raw_pos = None;
                Some(e)
            }
        };
        if let Some(e) = failed {
            self.error = Some(FileError::os(e, Some(&self.path), None));
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

    /// Keeps `data`'s allocation, emptied, for the next job or buffer.
    fn recycle(&mut self, mut data: Vec<u8>) {
        data.clear();
        self.spare = data;
    }

    /// Drops read-ahead (the buffer's and `next`), giving how many bytes that was.
    fn drop_read_ahead(&mut self) -> usize {
        let dropped = self.buffer.ahead() + self.next.take().map_or(0, |next| next.len());
        if !self.buffer.writing {
            self.buffer.reset(false);
        }
        self.more_likely = false;
        self.ahead_size = BUFFER_SIZE;
        dropped
    }

    /// Starts writing the pending bytes; the buffer is empty (and writable) meanwhile.
    fn start_flush(&mut self) {
        let len = self.buffer.data.len() as u64;
        let end = match self.mode.appending() {
            true => None,
            false => self.raw_pos.map(|p| p + len),
        };
        let data = mem::replace(&mut self.buffer.data, mem::take(&mut self.spare));
        self.submit(Kind::Flush { end }, self.raw(), data, move |raw, data| {
            jobs::flush(&raw, data, end)
        });
    }

    /// Starts an `lseek` on the pool; `user` says whose: a user's seek reports where it
    /// ended through `seek_done`.
    fn start_seek(&mut self, to: SeekFrom, user: bool) {
        let data = mem::take(&mut self.spare);
        self.submit(Kind::Other, self.raw(), data, move |raw, data| {
            jobs::seek(&raw, data, to, user)
        });
    }

    /// Starts a refill (see `jobs::fill`); `ahead` when the buffer still has bytes.
    fn start_fill(&mut self, hint: usize, ahead: bool) {
        let regular = self.regular;
        let data = mem::take(&mut self.spare);
        let kind = if ahead { Kind::ReadAhead } else { Kind::Other };
        self.submit(kind, self.raw(), data, move |raw, data| {
            jobs::fill(&raw, data, hint, regular)
        });
    }

    /// Forgets a user seek's result: any other operation ends its story.
    fn forget_seek(&mut self) {
        self.seek_target = None;
        self.seek_done = None;
    }

    /// The read-ahead, refilled (a pool hop) when empty with at least `hint` bytes asked
    /// for ([`jobs::TO_END`]: the rest of the file). Empty means end of file. Take bytes
    /// with [`consume`](File::consume).
    pub(super) fn poll_fill_buf(
        &mut self,
        cx: &mut Context<'_>,
        hint: usize,
    ) -> Poll<Result<&[u8], FileError>> {
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
            let idle_or_reading_ahead = matches!(
                self.job,
                None | Some(Job {
                    kind: Kind::ReadAhead,
                    ..
                })
            );
            if self.raw.is_some() && idle_or_reading_ahead && self.error.is_none() {
                if self.buffer.ahead() > 0 {
                    break;
                }
                if let Some(next) = self.next.take() {
                    let used = mem::replace(&mut self.buffer.data, next);
                    self.recycle(used);
                    self.buffer.start = 0;
                    continue;
                }
            }
            ready!(self.poll_ready(cx))?;
            self.forget_seek();
            if self.buffer.ahead() > 0 || self.next.is_some() {
                continue; // a read-ahead just arrived
            }
            if self.buffer.pending() > 0 {
                self.start_flush();
                continue;
            }
            self.buffer.writing = false;
            if mem::take(&mut self.eof) {
                return Poll::Ready(Ok(&[]));
            }
            self.start_fill(hint, false);
        }
        // Read the next buffer while the caller consumes this one (unless the caller wants
        // the rest of the file: one read to the end serves that better).
        if hint != TO_END && self.job.is_none() && self.next.is_none() && self.more_likely {
            self.more_likely = false;
            let size = self.ahead_size;
            self.ahead_size = (size * 2).min(STREAM_SIZE);
            self.start_fill(size, true);
        }
        Poll::Ready(Ok(&self.buffer.data[self.buffer.start..]))
    }

    /// Marks `n` bytes of the read-ahead as read.
    pub(super) fn consume(&mut self, n: usize) {
        if !self.buffer.writing {
            self.buffer.start = (self.buffer.start + n).min(self.buffer.data.len());
        }
    }

    /// Copies `data` into the write buffer and starts a flush if it is full. Ready means
    /// the bytes are in the buffer; nothing is copied before that. While a flush runs the
    /// buffer takes bytes up to `STREAM_SIZE` (the next flush then carries them all, so a
    /// bulk writer makes one hop per flush, not per 64 KiB), and starts the next flush as
    /// soon as a write finds the running one done; other jobs are waited for first.
    pub(super) fn poll_write_buf(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<Result<usize, FileError>> {
        if self.raw.is_some() && !self.mode.writable() {
            let what = if self.mode.binary() {
                "write"
            } else {
                "not writable"
            };
            return Poll::Ready(Err(FileError::Unsupported(what)));
        }
        loop {
            // Beside a flush only when the flush's end is known: a dropped file can then
            // write these bytes after it by position (see `Drop`).
            let limit = match &self.job {
                None => BUFFER_SIZE,
                Some(job) if matches!(job.kind, Kind::Flush { end: Some(_) }) => STREAM_SIZE,
                Some(_) => 0,
            };
            if self.raw.is_some()
                && self.error.is_none()
                && self.seek_target.is_none()
                && self.buffer.writing
                && self.buffer.data.len() < limit
            {
                self.buffer.data.extend_from_slice(data);
                if self.buffer.data.len() >= BUFFER_SIZE {
                    self.flush_if_idle(cx);
                }
                return Poll::Ready(Ok(data.len()));
            }
            ready!(self.poll_ready(cx))?;
            self.forget_seek();
            self.eof = false;
            let ahead = self.drop_read_ahead();
            if ahead > 0 {
                // CPython's `BufferedRandom`: the write lands at the caller's position.
                self.start_seek(SeekFrom::Current(-(ahead as i64)), false);
                continue;
            }
            if !self.buffer.writing {
                self.buffer.reset(true);
            } else if self.buffer.data.len() >= BUFFER_SIZE {
                self.start_flush();
            }
        }
    }

    /// Starts a flush of the (full) write buffer unless one is running; a finished one is
    /// taken in without waiting (it is done), so the next starts now. A failed one leaves
    /// its error for the next operation, the bytes staying pending. Out of line: the
    /// one-byte write path stays small.
    #[inline(never)]
    fn flush_if_idle(&mut self, cx: &mut Context<'_>) {
        if self.job.as_ref().is_some_and(|job| job.executor.done()) {
            let _ = self.poll_complete(cx);
        }
        if self.job.is_none() && self.error.is_none() {
            self.start_flush();
        }
    }

    /// Writes every pending byte (Python's `flush()`: to the OS, not to the disk).
    pub(super) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), FileError>> {
        loop {
            ready!(self.poll_ready(cx))?;
            self.forget_seek();
            if self.buffer.pending() > 0 {
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
            if self.buffer.pending() > 0 {
                self.start_flush();
                continue;
            }
            let ahead = self.drop_read_ahead() as i64;
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
                let next = self.next.as_ref().map_or(0, Vec::len);
                let ahead = (self.buffer.ahead() + next) as u64;
                return Poll::Ready(Ok(pos + self.buffer.pending() as u64 - ahead));
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
            self.drop_read_ahead();
            let pending = mem::take(&mut self.buffer.data);
            self.submit(Kind::Other, raw, pending, jobs::close);
        }
    }
}

impl Drop for File {
    /// As CPython's file finaliser does, writes what is still pending (and closes the
    /// descriptor) if the file was not closed: on the pool when a loop runs, without
    /// waiting; here otherwise. A running job finishes on its own (it holds the
    /// descriptor); bytes written beside a running flush go after that flush's end by
    /// position. Errors have nobody to go to and are dropped.
    fn drop(&mut self) {
        let Some(raw) = self.raw.take() else { return };
        if self.buffer.pending() == 0 {
            return;
        }
        let at = match &self.job {
            None => None,
            Some(Job {
                kind: Kind::Flush { end: Some(end) },
                ..
            }) => Some(*end),
            // Bytes are pending beside a running job only when it is a flush whose end is
            // known (`poll_write_buf`).
            Some(_) => return,
        };
        let data = mem::take(&mut self.buffer.data);
        let write = move || jobs::final_write(&raw, &data, at);
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
