//! What a [`StreamWriter`](crate::StreamWriter) and its [`Transport`](crate::Transport) share:
//! the sink, the write buffer, asyncio's flow-control flags, and who waits for what.
//!
//! asyncio splits this between the transport (buffer, water marks, `_closing`, `_eof`) and
//! the protocol (`_paused`, `_drain_waiters`, `_connection_lost`); here one mutex-guarded
//! [`State`] holds it all, and every way of moving bytes (the opportunistic attempt in
//! `write`, a self-driven `drain`/`flush`/`wait_closed`, the transport future) goes through
//! the same few steps below, so they agree on what happened.
//!
//! Wakers are never woken with the mutex held: they are collected in `to_wake` and woken when
//! the [`Locked`] guard is dropped, since waking may run foreign code that drops a task owning
//! this very writer.

use std::io;
use std::mem;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker, ready};

use futures_io::AsyncWrite;

use crate::error::StreamError;
use crate::fan_out::FanOut;
use crate::write_buffer::WriteBuffer;

/// asyncio's default high-water mark (`_set_write_buffer_limits`): 64 KiB.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

/// How a writer half-closes its sink: [`WriteEof::poll_write_eof`](crate::WriteEof) of the
/// sink's type, captured when the writer was built with one.
pub(crate) type EofFn<W> = fn(Pin<&mut W>, &mut Context<'_>) -> Poll<io::Result<()>>;

/// The sink failed; [`State::report`] or [`State::lost_error`] says how.
pub(crate) struct Lost;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Eof {
    NotAsked,
    /// `write_eof()` was called; the half-close goes out once the buffer is empty.
    Asked,
    Sent,
}

pub(crate) struct State<W> {
    pub(crate) sink: W,
    write_eof: Option<EofFn<W>>,
    buffer: WriteBuffer,
    high: usize,
    low: usize,
    /// asyncio's protocol `_paused`: set when a write takes the buffer above `high`, cleared
    /// when sending brings it down to `low`. `drain` waits while it is set.
    paused: bool,
    /// Bytes went to the sink since its last successful `poll_flush`.
    unflushed: bool,
    closing: bool,
    eof: Eof,
    closed: bool,
    /// The kind of the sink's error, once it failed: the connection is gone.
    lost: Option<io::ErrorKind>,
    /// The sink's error itself, until a user-facing call returns it.
    error: Option<io::Error>,
    transport_attached: bool,
    /// The transport's waker while it has nothing to do (waits for bytes or `close`).
    transport_idle: Option<Waker>,
    /// `drain` and `wait_closed` calls waiting on the transport's progress.
    waiters: Vec<Waker>,
    to_wake: Vec<Waker>,
    fan_out: Arc<FanOut>,
    sink_waker: Waker,
}

/// The shared state behind a writer and its transport.
pub(crate) struct Shared<W> {
    state: Mutex<State<W>>,
}

impl<W> Shared<W> {
    pub(crate) fn new(sink: W, write_eof: Option<EofFn<W>>) -> Self {
        let fan_out = Arc::new(FanOut::default());
        let state = State {
            sink,
            write_eof,
            buffer: WriteBuffer::default(),
            high: DEFAULT_HIGH_WATER,
            low: DEFAULT_HIGH_WATER / 4,
            paused: false,
            unflushed: false,
            closing: false,
            eof: Eof::NotAsked,
            closed: false,
            lost: None,
            error: None,
            transport_attached: false,
            transport_idle: None,
            waiters: Vec::new(),
            to_wake: Vec::new(),
            sink_waker: Waker::from(fan_out.clone()),
            fan_out,
        };
        Self {
            state: Mutex::new(state),
        }
    }

    /// Locks the state. A panic in the sink while it was locked leaves nothing half-updated
    /// that matters more than the sink's own state, so poisoning is ignored rather than
    /// turning every later call into a panic.
    pub(crate) fn lock(&self) -> Locked<'_, W> {
        Locked {
            guard: Some(self.state.lock().unwrap_or_else(PoisonError::into_inner)),
        }
    }
}

/// The locked state; wakes what the operation decided to wake once the lock is released.
pub(crate) struct Locked<'a, W> {
    guard: Option<MutexGuard<'a, State<W>>>,
}

impl<W> Deref for Locked<'_, W> {
    type Target = State<W>;

    fn deref(&self) -> &State<W> {
        self.guard.as_ref().expect("held until dropped")
    }
}

impl<W> DerefMut for Locked<'_, W> {
    fn deref_mut(&mut self) -> &mut State<W> {
        self.guard.as_mut().expect("held until dropped")
    }
}

impl<W> Drop for Locked<'_, W> {
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            let to_wake = mem::take(&mut guard.to_wake);
            drop(guard);
            for waker in to_wake {
                waker.wake();
            }
        }
    }
}

impl<W> State<W> {
    pub(crate) fn buffered(&self) -> usize {
        self.buffer.len()
    }

    pub(crate) fn limits(&self) -> (usize, usize) {
        (self.low, self.high)
    }

    /// asyncio's `set_write_buffer_limits(high, low)`, defaults included.
    pub(crate) fn set_limits(
        &mut self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), StreamError> {
        let high = high.unwrap_or(match low {
            Some(low) => low.saturating_mul(4),
            None => DEFAULT_HIGH_WATER,
        });
        let low = low.unwrap_or(high / 4);
        if high < low {
            return Err(StreamError::BadWaterMarks { high, low });
        }
        self.high = high;
        self.low = low;
        self.maybe_pause();
        // asyncio only pauses here and resumes on the next send; but with nothing left to
        // send (a queue already under the new low mark) that send may never come, and a
        // paused writer with a short queue would hold `drain` forever.
        self.maybe_resume();
        Ok(())
    }

    pub(crate) fn can_write_eof(&self) -> bool {
        self.write_eof.is_some()
    }

    pub(crate) fn paused(&self) -> bool {
        self.paused
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing || self.lost.is_some()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(crate) fn is_lost(&self) -> bool {
        self.lost.is_some()
    }

    pub(crate) fn transport_attached(&self) -> bool {
        self.transport_attached
    }

    /// Attaches a transport; `false` if one is attached already.
    pub(crate) fn attach_transport(&mut self) -> bool {
        !mem::replace(&mut self.transport_attached, true)
    }

    /// The transport is gone: its waiters must now drive the sink themselves.
    pub(crate) fn detach_transport(&mut self) {
        self.transport_attached = false;
        self.transport_idle = None;
        self.wake_waiters();
    }

    /// The transport has nothing to do until bytes arrive or the writer closes.
    pub(crate) fn transport_waits(&mut self, waker: &Waker) {
        self.transport_idle = Some(waker.clone());
    }

    /// Marks the writer closing (asyncio's `close()`); the transport, if idle, must see it.
    pub(crate) fn begin_close(&mut self) {
        if !self.closing {
            self.closing = true;
            self.wake_transport();
        }
    }

    /// Parks a `drain`/`wait_closed` until the transport makes progress.
    pub(crate) fn wait_for_transport(&mut self, waker: &Waker) {
        if !self.waiters.iter().any(|known| known.will_wake(waker)) {
            self.waiters.push(waker.clone());
        }
    }

    /// The sink's error for a user-facing call: the original the first time, then
    /// `ConnectionLost` with its kind.
    pub(crate) fn report(&mut self) -> StreamError {
        match self.error.take() {
            Some(error) => StreamError::Io(error),
            None => self.lost_error(),
        }
    }

    /// The sink's failure without taking its original error (for the transport and `write`).
    pub(crate) fn lost_error(&self) -> StreamError {
        StreamError::ConnectionLost(self.lost.unwrap_or(io::ErrorKind::Other))
    }

    /// Makes the next `poll_flush_sink` flush the sink whatever went through it.
    pub(crate) fn mark_unflushed(&mut self) {
        self.unflushed = true;
    }

    /// asyncio's `_maybe_pause_protocol`.
    pub(crate) fn maybe_pause(&mut self) {
        if self.buffer.len() > self.high {
            self.paused = true;
        }
    }

    /// asyncio's `_maybe_resume_protocol`: the drain waiters go on once the queue is down to
    /// the low-water mark.
    fn maybe_resume(&mut self) {
        if self.paused && self.buffer.len() <= self.low {
            self.paused = false;
            self.wake_waiters();
        }
    }

    fn wake_waiters(&mut self) {
        self.to_wake.append(&mut self.waiters);
    }

    fn wake_transport(&mut self) {
        if let Some(waker) = self.transport_idle.take() {
            self.to_wake.push(waker);
        }
    }

    /// The sink failed: the connection is lost, the unsent bytes with it (as asyncio's
    /// `_force_close` clears the buffer), and everyone waiting must hear of it.
    fn fail(&mut self, error: io::Error) -> Lost {
        self.lost = Some(error.kind());
        self.error = Some(error);
        self.buffer.clear();
        self.paused = false;
        self.wake_waiters();
        self.wake_transport();
        Lost
    }

    /// The sink took `n` buffered bytes.
    fn sent(&mut self, n: usize) {
        self.buffer.consume(n);
        self.unflushed = true;
        self.maybe_resume();
    }
}

impl<W: AsyncWrite + Unpin> State<W> {
    /// asyncio's `write`: checks, then hands the bytes to the sink at once if nothing is
    /// queued before them, and queues what it does not take. Never waits.
    pub(crate) fn write(&mut self, data: &[u8]) -> Result<(), StreamError> {
        self.check_writable()?;
        self.write_unchecked(data);
        self.maybe_pause();
        Ok(())
    }

    pub(crate) fn check_writable(&self) -> Result<(), StreamError> {
        if self.closing {
            Err(StreamError::WriteAfterClose)
        } else if self.eof != Eof::NotAsked {
            Err(StreamError::WriteAfterEof)
        } else if self.lost.is_some() {
            Err(self.lost_error())
        } else {
            Ok(())
        }
    }

    /// The body of `write`, without the checks and the pause (so `writelines` does them once).
    pub(crate) fn write_unchecked(&mut self, mut data: &[u8]) {
        if data.is_empty() || self.lost.is_some() {
            return;
        }
        if self.buffer.is_empty() {
            let waker = self.sink_waker.clone();
            let mut cx = Context::from_waker(&waker);
            while !data.is_empty() {
                match Pin::new(&mut self.sink).poll_write(&mut cx, data) {
                    Poll::Ready(Ok(0)) => {
                        // Reported by the next drain, as asyncio's transport reports a
                        // failed send through the protocol rather than from `write`.
                        self.fail(io::ErrorKind::WriteZero.into());
                        return;
                    }
                    Poll::Ready(Ok(n)) => {
                        data = &data[n.min(data.len())..];
                        self.unflushed = true;
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    Poll::Ready(Err(e)) => {
                        self.fail(e);
                        return;
                    }
                    Poll::Pending => break,
                }
            }
        }
        self.buffer.extend(data);
        if self.buffer.is_empty() && self.poll_flush_sink(None).is_ready() {
            return;
        }
        self.wake_transport();
    }

    /// asyncio's `write_eof`: no more writes; the half-close goes out now if nothing is
    /// queued, else after the queued bytes.
    pub(crate) fn write_eof(&mut self) -> Result<(), StreamError> {
        if self.write_eof.is_none() {
            return Err(StreamError::EofNotSupported);
        }
        if self.closing || self.eof != Eof::NotAsked {
            return Ok(()); // asyncio ignores a second write_eof and one after close()
        }
        if self.lost.is_some() {
            return Err(self.lost_error());
        }
        self.eof = Eof::Asked;
        match self.push_now() {
            Ok(()) if self.eof == Eof::Sent => Ok(()),
            Ok(()) => {
                self.wake_transport();
                Ok(())
            }
            Err(Lost) => Err(self.report()),
        }
    }

    /// Hands the sink whatever it takes without waiting: queued bytes, a flush, the EOF.
    /// Stops at the first step the sink is not ready for.
    pub(crate) fn push_now(&mut self) -> Result<(), Lost> {
        let mut step = self.poll_write_down_to(None, 0);
        if let Poll::Ready(Ok(())) = step {
            step = self.poll_flush_sink(None);
        }
        if let Poll::Ready(Ok(())) = step {
            step = self.poll_send_eof(None);
        }
        match step {
            Poll::Ready(Err(lost)) => Err(lost),
            _ => Ok(()),
        }
    }

    /// Sends queued bytes until at most `target` are left. `waiter`, if any, is woken when
    /// the sink is ready again after a `Pending`.
    pub(crate) fn poll_write_down_to(
        &mut self,
        waiter: Option<&Waker>,
        target: usize,
    ) -> Poll<Result<(), Lost>> {
        if self.lost.is_some() {
            return Poll::Ready(Err(Lost));
        }
        if self.buffer.len() <= target {
            return Poll::Ready(Ok(()));
        }
        if let Some(waker) = waiter {
            self.fan_out.register(waker);
        }
        let waker = self.sink_waker.clone();
        let mut cx = Context::from_waker(&waker);
        while self.buffer.len() > target {
            match Pin::new(&mut self.sink).poll_write(&mut cx, self.buffer.as_slice()) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(self.fail(io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => self.sent(n),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(e))),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Flushes the sink if bytes went to it since the last flush.
    pub(crate) fn poll_flush_sink(&mut self, waiter: Option<&Waker>) -> Poll<Result<(), Lost>> {
        if !self.unflushed {
            return Poll::Ready(Ok(()));
        }
        let flushed = ready!(self.poll_sink(waiter, |sink, cx| Pin::new(sink).poll_flush(cx)));
        if flushed.is_ok() {
            self.unflushed = false;
        }
        Poll::Ready(flushed)
    }

    /// Sends the half-close `write_eof()` asked for, once the queue is empty.
    pub(crate) fn poll_send_eof(&mut self, waiter: Option<&Waker>) -> Poll<Result<(), Lost>> {
        let Some(write_eof) = self.write_eof else {
            return Poll::Ready(Ok(()));
        };
        if self.eof != Eof::Asked || !self.buffer.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let sent = ready!(self.poll_sink(waiter, |sink, cx| write_eof(Pin::new(sink), cx)));
        if sent.is_ok() {
            self.eof = Eof::Sent;
        }
        Poll::Ready(sent)
    }

    /// Closes the sink (which flushes it), once the queue is empty; then the writer is closed.
    pub(crate) fn poll_close_sink(&mut self, waiter: Option<&Waker>) -> Poll<Result<(), Lost>> {
        if self.closed || !self.buffer.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let closed = ready!(self.poll_sink(waiter, |sink, cx| Pin::new(sink).poll_close(cx)));
        if closed.is_ok() {
            self.closed = true;
            self.unflushed = false;
            self.wake_waiters();
        }
        Poll::Ready(closed)
    }

    /// One sink operation other than a write, polled through the fan-out waker.
    fn poll_sink(
        &mut self,
        waiter: Option<&Waker>,
        mut operation: impl FnMut(&mut W, &mut Context<'_>) -> Poll<io::Result<()>>,
    ) -> Poll<Result<(), Lost>> {
        if self.lost.is_some() {
            return Poll::Ready(Err(Lost));
        }
        if let Some(waker) = waiter {
            self.fan_out.register(waker);
        }
        let waker = self.sink_waker.clone();
        let mut cx = Context::from_waker(&waker);
        loop {
            match ready!(operation(&mut self.sink, &mut cx)) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(self.fail(e))),
            }
        }
    }
}
