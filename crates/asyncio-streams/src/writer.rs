//! [`StreamWriter`]: asyncio's writer over any `futures-io` sink.
//!
//! asyncio's `write` never blocks because a transport owns a buffer and the event loop
//! writes it out whenever the socket is writable; `drain` is only flow control. A
//! `futures-io` sink has no such helper, so the writer keeps the buffer and two ways to
//! empty it: the [`Transport`] future, which a runtime spawns to play asyncio's transport,
//! or, when none runs, `drain`/`flush`/`wait_closed` writing it out themselves.

use std::fmt;
use std::future::poll_fn;
use std::ops::Deref;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_io::AsyncWrite;

use crate::error::StreamError;
use crate::transport::Transport;
use crate::write_eof::WriteEof;
use crate::write_state::{EofFn, Locked, Shared};

/// asyncio's `StreamWriter` over any [`futures_io::AsyncWrite`].
///
/// [`write`](Self::write) and [`writelines`](Self::writelines) never wait: they hand the
/// bytes to the sink if it takes them at once and queue the rest. [`drain`](Self::drain) is
/// asyncio's flow control: once the queue has gone above the high-water mark (64 KiB by
/// default) it waits until the queue is down to the low-water mark (a quarter of it).
///
/// Who writes the queue out:
///
/// - **With a transport**: spawn [`transport()`](Self::transport) on the runtime and it
///   writes queued bytes whenever the sink takes them, wakes `drain` at the low-water mark,
///   and closes the sink after [`close`](Self::close). `drain` then waits only while the
///   writer is paused, exactly as in asyncio.
/// - **Without one**: `drain` writes the queue itself, down to the low-water mark if it was
///   above the high-water mark, then hands the sink whatever more it takes without waiting.
///   Bytes the sink does not take then (at most the low-water mark's worth, usually none)
///   stay queued until the next `drain`, [`flush`](Self::flush) or
///   [`wait_closed`](Self::wait_closed). `flush` writes everything and flushes the sink.
///
/// The writer is a handle on state shared with its transport (an `Arc` and a `Mutex`, so it
/// is `Send` and `Sync` when the sink is `Send`: it works on multi-threaded executors, and
/// `drain` may be awaited from several tasks). Dropping it marks it closing, so a running
/// transport writes what is queued, closes the sink and ends; without a transport, dropping
/// the writer drops the sink and whatever was still queued.
///
/// ```
/// use asyncio_streams::StreamWriter;
/// # futures_lite::future::block_on(async {
/// let writer = StreamWriter::new(Vec::new());
/// writer.write(b"hello ")?;
/// writer.writelines([&b"wor"[..], b"ld\n"])?;
/// writer.drain().await?;
/// writer.close();
/// writer.wait_closed().await?;
/// assert_eq!(*writer.get_ref(), b"hello world\n");
/// # Ok::<(), asyncio_streams::StreamError>(())
/// # }).unwrap();
/// ```
pub struct StreamWriter<W> {
    shared: Arc<Shared<W>>,
}

impl<W: AsyncWrite + Unpin> StreamWriter<W> {
    /// A writer over `sink`, with asyncio's default water marks (64 KiB high, 16 KiB low).
    /// [`can_write_eof`](Self::can_write_eof) is `false`: see [`with_write_eof`](Self::with_write_eof).
    pub fn new(sink: W) -> Self {
        Self::build(sink, None)
    }

    fn build(sink: W, write_eof: Option<EofFn<W>>) -> Self {
        Self {
            shared: Arc::new(Shared::new(sink, write_eof)),
        }
    }

    /// Queues `data` for the sink (asyncio's `write`): never waits. If nothing is queued
    /// before it, the sink is offered the bytes at once (and a flush), and only what it does
    /// not take is queued.
    ///
    /// # Errors
    ///
    /// [`StreamError::WriteAfterClose`] after [`close`](Self::close),
    /// [`StreamError::WriteAfterEof`] after [`write_eof`](Self::write_eof), and
    /// [`StreamError::ConnectionLost`] once the sink has failed. A failure of the sink during
    /// this very call is not returned here: as in asyncio, the next `drain` (or `flush`,
    /// `wait_closed`) reports it.
    ///
    /// ```
    /// use asyncio_streams::{StreamError, StreamWriter};
    /// let writer = StreamWriter::new(Vec::new());
    /// writer.write(b"ping")?;
    /// assert_eq!(writer.get_write_buffer_size(), 0); // a Vec takes everything at once
    /// writer.close();
    /// assert!(matches!(writer.write(b"late"), Err(StreamError::WriteAfterClose)));
    /// # Ok::<(), StreamError>(())
    /// ```
    pub fn write(&self, data: &[u8]) -> Result<(), StreamError> {
        self.shared.lock().write(data)
    }

    /// Queues every piece, in order, as one write (asyncio's `writelines`).
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    pub fn writelines<I, B>(&self, lines: I) -> Result<(), StreamError>
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut state = self.shared.lock();
        state.check_writable()?;
        for line in lines {
            state.write_unchecked(line.as_ref());
        }
        state.maybe_pause();
        Ok(())
    }

    /// asyncio's flow control: returns at once unless a write took the queue above the
    /// high-water mark; then waits until it is down to the low-water mark.
    ///
    /// With a [`transport`](Self::transport) running, that is all: the transport writes.
    /// Without one, `drain` writes the queue itself down to the low-water mark, then offers
    /// the sink the rest (and a flush, and a pending [`write_eof`](Self::write_eof)) without
    /// waiting; what the sink refuses stays queued for the next call.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: the queued bytes live in the writer, not in the future. A dropped `drain`
    /// loses nothing; the bytes it did not write are written by the next call (or the
    /// transport).
    ///
    /// # Errors
    ///
    /// The sink's failure: [`StreamError::Io`] with its error the first time it is reported,
    /// [`StreamError::ConnectionLost`] with its kind after that.
    ///
    /// ```
    /// use asyncio_streams::StreamWriter;
    /// # futures_lite::future::block_on(async {
    /// let writer = StreamWriter::new(Vec::new());
    /// for chunk in [&b"a"[..], b"b", b"c"] {
    ///     writer.write(chunk)?;
    ///     writer.drain().await?; // bounds the queue when the sink is slow
    /// }
    /// assert_eq!(*writer.get_ref(), b"abc");
    /// # Ok::<(), asyncio_streams::StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn drain(&self) -> Result<(), StreamError> {
        poll_fn(|cx| self.poll_drain(cx)).await
    }

    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        let mut state = self.shared.lock();
        if state.is_lost() {
            return Poll::Ready(Err(state.report()));
        }
        if state.transport_attached() {
            if state.paused() {
                state.wait_for_transport(cx.waker());
                return Poll::Pending;
            }
            return Poll::Ready(Ok(()));
        }
        if state.paused() {
            let (low, _) = state.limits();
            if ready!(state.poll_write_down_to(Some(cx.waker()), low)).is_err() {
                return Poll::Ready(Err(state.report()));
            }
        }
        if state.push_now().is_err() {
            return Poll::Ready(Err(state.report()));
        }
        Poll::Ready(Ok(()))
    }

    /// Writes every queued byte, sends a pending [`write_eof`](Self::write_eof), and flushes
    /// the sink; waits for the sink as long as needed. Works with or without a transport.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: the queued bytes live in the writer; a dropped `flush` loses nothing.
    ///
    /// # Errors
    ///
    /// As [`drain`](Self::drain).
    ///
    /// ```
    /// use asyncio_streams::StreamWriter;
    /// # futures_lite::future::block_on(async {
    /// let writer = StreamWriter::new(futures_lite::io::BufWriter::new(Vec::new()));
    /// writer.write(b"through the sink's own buffer")?;
    /// writer.flush().await?;
    /// assert_eq!(writer.get_ref().get_ref(), b"through the sink's own buffer");
    /// # Ok::<(), asyncio_streams::StreamError>(())
    /// # }).unwrap();
    /// ```
    pub async fn flush(&self) -> Result<(), StreamError> {
        poll_fn(|cx| self.poll_flush(cx)).await
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        let mut state = self.shared.lock();
        if state.is_lost() {
            return Poll::Ready(Err(state.report()));
        }
        if state.is_closed() {
            return Poll::Ready(Ok(()));
        }
        // The sink is flushed even if no byte went through this writer since its last flush:
        // the caller asked for it.
        state.mark_unflushed();
        let waker = Some(cx.waker());
        let mut step = ready!(state.poll_write_down_to(waker, 0));
        if step.is_ok() {
            step = ready!(state.poll_flush_sink(waker));
        }
        if step.is_ok() {
            step = ready!(state.poll_send_eof(waker));
        }
        Poll::Ready(step.map_err(|_| state.report()))
    }

    /// Half-closes the sink once the queued bytes are out (asyncio's `write_eof`): the peer
    /// reads the end of the stream while this side can still read. Later writes fail with
    /// [`StreamError::WriteAfterEof`]. A second call, or one after `close`, does nothing.
    ///
    /// The half-close is sent at once if nothing is queued, else by the transport, or by the
    /// next `drain`/`flush` that empties the queue.
    ///
    /// # Errors
    ///
    /// [`StreamError::EofNotSupported`] if the writer was built with [`new`](Self::new)
    /// rather than [`with_write_eof`](Self::with_write_eof); the sink's failure if sending
    /// it at once failed.
    pub fn write_eof(&self) -> Result<(), StreamError> {
        self.shared.lock().write_eof()
    }

    /// Waits until the writer is closed: the queued bytes written, the sink closed (which
    /// flushes it). Marks the writer closing first if [`close`](Self::close) was not called,
    /// so it cannot wait forever (asyncio's would wait for the peer).
    ///
    /// With a transport running, the transport does the work and this waits for it;
    /// otherwise this does it.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: the writer stays closing with its bytes queued; a later `wait_closed` (or
    /// the transport) finishes the job.
    ///
    /// # Errors
    ///
    /// The sink's failure, as [`drain`](Self::drain).
    pub async fn wait_closed(&self) -> Result<(), StreamError> {
        poll_fn(|cx| self.poll_wait_closed(cx)).await
    }

    fn poll_wait_closed(&self, cx: &mut Context<'_>) -> Poll<Result<(), StreamError>> {
        let mut state = self.shared.lock();
        state.begin_close();
        if state.is_lost() {
            return Poll::Ready(Err(state.report()));
        }
        if state.is_closed() {
            return Poll::Ready(Ok(()));
        }
        if state.transport_attached() {
            state.wait_for_transport(cx.waker());
            return Poll::Pending;
        }
        let waker = Some(cx.waker());
        let mut step = ready!(state.poll_write_down_to(waker, 0));
        if step.is_ok() {
            step = ready!(state.poll_close_sink(waker));
        }
        Poll::Ready(step.map_err(|_| state.report()))
    }

    /// The future that plays asyncio's transport for this writer; spawn it on the runtime.
    /// See [`Transport`].
    pub fn transport(&self) -> Transport<W> {
        Transport::new(self.shared.clone())
    }
}

impl<W: WriteEof + Unpin> StreamWriter<W> {
    /// A writer over a sink that can half-close: [`can_write_eof`](Self::can_write_eof) is
    /// `true` and [`write_eof`](Self::write_eof) uses [`WriteEof::poll_write_eof`].
    pub fn with_write_eof(sink: W) -> Self {
        Self::build(sink, Some(<W as WriteEof>::poll_write_eof))
    }
}

impl<W> StreamWriter<W> {
    /// Whether [`write_eof`](Self::write_eof) is supported (asyncio's `can_write_eof()`).
    pub fn can_write_eof(&self) -> bool {
        self.shared.lock().can_write_eof()
    }

    /// Marks the writer closing (asyncio's `close()`); never waits. The queued bytes are still
    /// written, then the sink closed, by the transport or by [`wait_closed`](Self::wait_closed).
    pub fn close(&self) {
        self.shared.lock().begin_close();
    }

    /// Whether the writer is closing or closed, by [`close`](Self::close) or because the sink
    /// failed (asyncio's `is_closing()`).
    pub fn is_closing(&self) -> bool {
        self.shared.lock().is_closing()
    }

    /// How many bytes are queued (asyncio's `transport.get_write_buffer_size()`).
    pub fn get_write_buffer_size(&self) -> usize {
        self.shared.lock().buffered()
    }

    /// The water marks as `(low, high)` (asyncio's `transport.get_write_buffer_limits()`).
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        self.shared.lock().limits()
    }

    /// Sets the water marks (asyncio's `transport.set_write_buffer_limits(high, low)`), with
    /// asyncio's defaults: no `high` means 64 KiB, or `4 * low` if `low` is given; no `low`
    /// means `high / 4`. The writer pauses at once if the queue is already above the new high
    /// mark (it resumes only as bytes leave).
    ///
    /// # Errors
    ///
    /// [`StreamError::BadWaterMarks`] if `high < low` (asyncio's
    /// `ValueError('high (..) must be >= low (..) must be >= 0')`); the marks are unchanged.
    ///
    /// ```
    /// use asyncio_streams::{StreamError, StreamWriter};
    /// let writer = StreamWriter::new(Vec::new());
    /// writer.set_write_buffer_limits(Some(1024), None)?;
    /// assert_eq!(writer.get_write_buffer_limits(), (256, 1024));
    /// assert!(matches!(
    ///     writer.set_write_buffer_limits(Some(10), Some(20)),
    ///     Err(StreamError::BadWaterMarks { high: 10, low: 20 })
    /// ));
    /// # Ok::<(), StreamError>(())
    /// ```
    pub fn set_write_buffer_limits(
        &self,
        high: Option<usize>,
        low: Option<usize>,
    ) -> Result<(), StreamError> {
        self.shared.lock().set_limits(high, low)
    }

    /// The sink, borrowed: the writer (and its transport) is locked while the borrow lives,
    /// so drop it before calling the writer again.
    pub fn get_ref(&self) -> SinkRef<'_, W> {
        SinkRef {
            state: self.shared.lock(),
        }
    }
}

/// Dropping the writer is `close()`: a running transport finishes the job and ends.
impl<W> Drop for StreamWriter<W> {
    fn drop(&mut self) {
        self.shared.lock().begin_close();
    }
}

impl<W> fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("StreamWriter")
            .field("buffered", &state.buffered())
            .field("limits", &state.limits())
            .field("closing", &state.is_closing())
            .field("transport", &state.transport_attached())
            .finish_non_exhaustive()
    }
}

/// A borrow of a writer's sink ([`StreamWriter::get_ref`]); the writer is locked meanwhile.
pub struct SinkRef<'a, W> {
    state: Locked<'a, W>,
}

impl<W> Deref for SinkRef<'_, W> {
    type Target = W;

    fn deref(&self) -> &W {
        &self.state.sink
    }
}

impl<W: fmt::Debug> fmt::Debug for SinkRef<'_, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.state.sink.fmt(f)
    }
}
