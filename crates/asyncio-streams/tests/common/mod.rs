//! In-memory sources and sinks for the tests, with the awkward timing real sockets have:
//! data in chunks with `Pending` between them, an end by EOF or by a reset, a sink that
//! takes a few bytes per poll, one that waits behind a gate, one that breaks.
//!
//! Nothing here sleeps: a `Pending` either wakes its own waker at once (so `block_on` polls
//! again) or waits for the test to open a [`Gate`].

#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use asyncio_streams::WriteEof;
use futures_lite::io::{AsyncRead, AsyncWrite};

/// How a [`ChunkedReader`] ends once its chunks are out.
#[derive(Debug, Clone, Copy)]
pub enum End {
    /// Reads of 0 bytes from then on.
    Eof,
    /// This error from then on (a peer resetting the connection, say).
    Error(io::ErrorKind),
}

/// A source that yields pre-set chunks (a read gets at most the rest of one chunk), with a
/// self-waking `Pending` before each chunk when `pending_between` is set.
#[derive(Debug)]
pub struct ChunkedReader {
    chunks: VecDeque<Vec<u8>>,
    end: End,
    pending_between: bool,
    /// Whether the next read returns `Pending` first.
    pending_next: bool,
    /// How many times `poll_read` was called.
    pub polls: usize,
}

impl ChunkedReader {
    pub fn new<I, C>(chunks: I, end: End, pending_between: bool) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Vec<u8>>,
    {
        Self {
            chunks: chunks
                .into_iter()
                .map(Into::into)
                .filter(|c: &Vec<u8>| !c.is_empty())
                .collect(),
            end,
            pending_between,
            pending_next: pending_between,
            polls: 0,
        }
    }

    /// `data` cut at the given sizes (cycled; the rest as one last chunk if they run out).
    pub fn split(data: &[u8], sizes: &[usize], end: End, pending_between: bool) -> Self {
        let mut chunks = Vec::new();
        let mut rest = data;
        let mut sizes = sizes.iter().copied().filter(|&s| s > 0).cycle();
        while !rest.is_empty() {
            let size = sizes.next().unwrap_or(rest.len()).min(rest.len());
            chunks.push(rest[..size].to_vec());
            rest = &rest[size..];
        }
        Self::new(chunks, end, pending_between)
    }
}

impl AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.polls += 1;
        if self.pending_next {
            self.pending_next = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let Some(chunk) = self.chunks.front_mut() else {
            return Poll::Ready(match self.end {
                End::Eof => Ok(0),
                End::Error(kind) => Err(kind.into()),
            });
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        chunk.drain(..n);
        if chunk.is_empty() {
            self.chunks.pop_front();
            self.pending_next = self.pending_between;
        }
        Poll::Ready(Ok(n))
    }
}

/// A switch a test opens and closes; a closed gate keeps a [`SlowSink`] pending.
#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<Mutex<GateState>>);

#[derive(Debug, Default)]
struct GateState {
    open: bool,
    waiting: Option<Waker>,
}

impl Gate {
    pub fn open(&self) {
        let waker = {
            let mut state = self.0.lock().unwrap();
            state.open = true;
            state.waiting.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn close(&self) {
        self.0.lock().unwrap().open = false;
    }

    /// Whether it is open; if not, `cx` is woken when it opens.
    fn pass(&self, cx: &mut Context<'_>) -> bool {
        let mut state = self.0.lock().unwrap();
        if !state.open {
            state.waiting = Some(cx.waker().clone());
        }
        state.open
    }
}

/// What a [`SlowSink`] was given, shared with the test.
#[derive(Debug, Default)]
pub struct Log {
    pub written: Vec<u8>,
    pub flushes: usize,
    pub eof: bool,
    pub closed: bool,
    /// How many `poll_write` calls took bytes.
    pub polls: usize,
}

/// A sink that takes at most `per_poll` bytes per `poll_write`. With `alternate`, every other
/// poll returns a self-waking `Pending`; with a [`Gate`], polls stay pending while it is
/// closed. It can break with an error after taking a number of bytes.
#[derive(Debug)]
pub struct SlowSink {
    pub log: Arc<Mutex<Log>>,
    per_poll: usize,
    alternate: bool,
    ready_next: bool,
    gate: Option<Gate>,
    fail_after: Option<(usize, io::ErrorKind)>,
}

impl SlowSink {
    /// Takes up to `per_poll` bytes per poll, every poll.
    pub fn new(per_poll: usize) -> Self {
        Self {
            log: Arc::default(),
            per_poll,
            alternate: false,
            ready_next: true,
            gate: None,
            fail_after: None,
        }
    }

    /// Every other poll is a self-waking `Pending`.
    pub fn alternating(mut self) -> Self {
        self.alternate = true;
        self.ready_next = false;
        self
    }

    /// Pending while `gate` is closed.
    pub fn gated(mut self, gate: &Gate) -> Self {
        self.gate = Some(gate.clone());
        self
    }

    /// Fails every operation with `kind` once `bytes` bytes were taken.
    pub fn failing_after(mut self, bytes: usize, kind: io::ErrorKind) -> Self {
        self.fail_after = Some((bytes, kind));
        self
    }

    /// The shared log (keep it before the sink moves into a writer).
    pub fn log(&self) -> Arc<Mutex<Log>> {
        self.log.clone()
    }

    /// Whether this poll may proceed; `Pending` (with the wake arranged) if not.
    fn pace(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(gate) = &self.gate {
            if !gate.pass(cx) {
                return Poll::Pending;
            }
        }
        if self.alternate {
            self.ready_next = !self.ready_next;
            if self.ready_next {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        if let Some((after, kind)) = self.fail_after {
            if self.log.lock().unwrap().written.len() >= after {
                return Poll::Ready(Err(kind.into()));
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SlowSink {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        std::task::ready!(self.pace(cx))?;
        let mut n = buf.len().min(self.per_poll);
        let mut log = self.log.lock().unwrap();
        if let Some((after, _)) = self.fail_after {
            n = n.min(after - log.written.len());
        }
        log.written.extend_from_slice(&buf[..n]);
        log.polls += 1;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.pace(cx))?;
        self.log.lock().unwrap().flushes += 1;
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.pace(cx))?;
        self.log.lock().unwrap().closed = true;
        Poll::Ready(Ok(()))
    }
}

impl WriteEof for SlowSink {
    fn poll_write_eof(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.pace(cx))?;
        self.log.lock().unwrap().eof = true;
        Poll::Ready(Ok(()))
    }
}

/// A future polled by hand with a waker that does nothing (the sources and sinks here wake
/// themselves, or a gate does, so the test decides when to poll again).
pub struct Driven<F: Future> {
    future: Pin<Box<F>>,
}

impl<F: Future> Driven<F> {
    pub fn new(future: F) -> Self {
        Self {
            future: Box::pin(future),
        }
    }

    pub fn poll(&mut self) -> Poll<F::Output> {
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
    }

    #[track_caller]
    pub fn pending(&mut self) {
        assert!(
            self.poll().is_pending(),
            "expected the future to be pending"
        );
    }

    #[track_caller]
    pub fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }
}
