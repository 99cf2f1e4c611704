//! Layer 4 (the public surface): [`IoSource`], a non-blocking I/O object registered with
//! the running loop's reactor (`reactor.rs`), the ground the sockets stand on.
//!
//! A source is registered once, for both directions, edge-triggered, and deleted from the
//! poller when dropped, before its object closes the descriptor. An operation is tried at
//! once (a new source's first read waits for the poller's first word on it); when it
//! meets `WouldBlock` the task waits for the descriptor's next edge, which wakes it in
//! the iteration the event arrives. So a busy connection costs one system call
//! per read or write and no `epoll_ctl`, as async-io's `Async<T>` and tokio's
//! `PollEvented`.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::reactor::{Direction, SourceState};
use crate::running::running_loop;
use crate::scheduler::LoopInner;
use crate::shared::Shared;
use crate::slow_io::SlowIoWatch;
use crate::task::note_waiting;
use crate::waiting::Waiting;

/// A non-blocking I/O object (a socket, a pipe, a terminal) registered with the loop: its
/// readiness is awaited instead of blocking. The sockets of this crate are `IoSource`s of
/// std's sockets; wrap any other descriptor the same way (asyncio's `add_reader` in the
/// form a coroutine awaits).
///
/// The object must already be in non-blocking mode (std's sockets: `set_nonblocking`),
/// and belongs to the loop that was running when it was made: only that loop's iterations
/// report its readiness.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use asyncio_loop::{EventLoop, IoSource};
///
/// let out = EventLoop::new().run_until_complete(async {
///     let (a, b) = UnixStream::pair()?;
///     a.set_nonblocking(true)?;
///     b.set_nonblocking(true)?;
///     let (a, b) = (IoSource::new(a)?, IoSource::new(b)?);
///     let reader = asyncio_loop::create_task(async move {
///         let mut buf = [0; 5];
///         let n = b.read_with(|mut io| io.read(&mut buf)).await?;
///         Ok::<_, std::io::Error>(buf[..n].to_vec())
///     });
///     a.write_with(|mut io| io.write(b"hello")).await?;
///     reader.await.unwrap()
/// });
/// assert_eq!(out.unwrap().unwrap(), b"hello");
/// ```
pub struct IoSource<T: AsFd> {
    /// Both `Some` until the drop or `into_inner`, which drop the registration first: the
    /// descriptor leaves the poller before the object closes it.
    io: Option<T>,
    registration: Option<Registration>,
}

/// The source's place in its loop's reactor.
struct Registration {
    state: Rc<SourceState>,
    slot: usize,
    fd: RawFd,
    event_loop: Weak<LoopInner>,
    /// Keeps the poller alive while the descriptor is registered in it, even past the
    /// loop's close (which forgets sources without deleting them: their owners do).
    shared: Arc<Shared>,
}

impl Registration {
    fn new(fd: BorrowedFd<'_>) -> io::Result<Registration> {
        let event_loop = running_loop()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no running event loop"))?;
        if event_loop.is_closed() {
            return Err(io::Error::other("Event loop is closed"));
        }
        let state = Rc::new(SourceState::default());
        let fd = fd.as_raw_fd();
        // The source owns the object behind `fd` and drops this registration (which deletes
        // `fd` from the poller) before the object; `shared` keeps the poller.
        let poller = event_loop.shared.poller()?;
        // SAFETY: as just said.
        let slot = unsafe {
            event_loop
                .io
                .borrow_mut()
                .add_source(poller, fd, Rc::clone(&state))?
        };
        Ok(Registration {
            state,
            slot,
            fd,
            event_loop: Rc::downgrade(&event_loop),
            shared: Arc::clone(&event_loop.shared),
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        match self.event_loop.upgrade() {
            Some(event_loop) if !event_loop.is_closed() => {
                let mut io = RefCell::borrow_mut(&event_loop.io);
                if let Some(poller) = self.shared.existing_poller() {
                    io.remove_source(poller, self.slot, self.fd);
                }
            }
            _ => {
                // SAFETY: the object behind `fd` is still open: it is dropped after this.
                let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
                if let Some(poller) = self.shared.existing_poller() {
                    let _ = poller.delete(fd);
                }
            }
        }
    }
}

impl<T: AsFd> IoSource<T> {
    /// Registers `io`, which must be in non-blocking mode, with the running loop.
    ///
    /// Errors: `NotConnected` when no loop runs on this thread; the poller's error if the
    /// descriptor cannot be watched (a regular file, for instance).
    pub fn new(io: T) -> io::Result<IoSource<T>> {
        let registration = Registration::new(io.as_fd())?;
        Ok(IoSource {
            io: Some(io),
            registration: Some(registration),
        })
    }

    /// The object.
    pub fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("an IoSource holds its object until into_inner")
    }

    /// Deregisters the object and gives it back (still in non-blocking mode).
    pub fn into_inner(mut self) -> T {
        drop(self.registration.take());
        self.io
            .take()
            .expect("an IoSource holds its object until into_inner")
    }

    fn state(&self) -> &SourceState {
        let registration = self.registration.as_ref();
        &registration
            .expect("an IoSource is registered until dropped")
            .state
    }

    /// `Ready` while the object may be readable; else wakes the task at the next edge.
    pub fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(Direction::Read, cx).map(Ok)
    }

    /// `Ready` while the object may be writable; else wakes the task at the next edge.
    pub fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_ready(Direction::Write, cx).map(Ok)
    }

    /// Readiness in `direction`; when it is not there, the task dump learns that the
    /// running task waits on this descriptor.
    fn poll_ready(&self, direction: Direction, cx: &mut Context<'_>) -> Poll<()> {
        let ready = self.state().poll_ready(direction, cx);
        if ready.is_pending() {
            let fd = self.registration.as_ref().map_or(-1, |r| r.fd);
            let write = matches!(direction, Direction::Write);
            note_waiting(Waiting::Io { fd, write });
        }
        ready
    }

    /// Forgets that the object may be writable: the next [`writable`](Self::writable) waits
    /// for an edge. For a state the object reports apart from `WouldBlock`, such as a
    /// connection still in progress.
    pub(crate) fn clear_writable(&self) {
        self.state().clear_ready(Direction::Write);
    }

    /// Waits until a socket whose non-blocking `connect` was in progress is connected, or
    /// returns why it could not be. A new source counts as writable, so the first look is
    /// at once (on loopback the connection is usually made already); while the socket has
    /// no peer yet, the readiness is cleared and the next edge awaited.
    ///
    /// A socket with a peer is connected: the look is one `getpeername`. Only without a
    /// peer is the pending error fetched (`SO_ERROR`: a refused connection), which a
    /// connected socket would not need.
    pub(crate) async fn await_connected(&self) -> io::Result<()> {
        loop {
            self.writable().await?;
            let socket = socket2::SockRef::from(self.get_ref());
            match socket.peer_addr() {
                Ok(_) => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::NotConnected => {
                    if let Some(error) = socket.take_error()? {
                        return Err(error);
                    }
                    self.clear_writable();
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Waits until the object may be readable.
    ///
    /// Cancel safety: cancel-safe; it consumes nothing.
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_readable(cx)).await
    }

    /// Waits until the object may be writable.
    ///
    /// Cancel safety: cancel-safe; it consumes nothing.
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_writable(cx)).await
    }

    /// Runs `op` (a non-blocking read, accept, receive...) until it does not meet
    /// `WouldBlock`, waiting for readability in between.
    pub fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(Direction::Read, cx, op)
    }

    /// Runs `op` (a non-blocking write, send...) until it does not meet `WouldBlock`,
    /// waiting for writability in between.
    pub fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_with(Direction::Write, cx, op)
    }

    /// [`poll_read_with`](Self::poll_read_with) as a future.
    ///
    /// Cancel safety: as `op`'s: a non-blocking read either took bytes (and the future
    /// completed with them) or took nothing.
    pub async fn read_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_read_with(cx, &mut op)).await
    }

    /// [`poll_write_with`](Self::poll_write_with) as a future.
    ///
    /// Cancel safety: as `op`'s: a non-blocking write either wrote (and the future
    /// completed) or wrote nothing.
    pub async fn write_with<R>(&self, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        poll_fn(|cx| self.poll_write_with(cx, &mut op)).await
    }

    /// An operation on a stream socket that asks for `asked` bytes (a read into a buffer
    /// that size, a write of that many), as `poll_read_with` / `poll_write_with`, except
    /// that doing less than asked clears readiness. A short read means the receive queue
    /// was empty when the read returned, a short write that the send buffer was full; any
    /// change after that brings a new edge, which the loop (this thread) can only dispatch
    /// after this returns. So the next operation waits for that edge instead of first
    /// meeting `WouldBlock`: one system call fewer per message on a request/response
    /// connection, as tokio's `PollEvented` does. Not once the poller reported the peer's
    /// shutdown or a hang-up: that event is the last, and a short read just before the
    /// end must leave the end readable. Only for stream sockets: a short datagram leaves
    /// others queued, and a terminal returns a line at a time.
    pub(crate) fn poll_stream(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        asked: usize,
        op: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let polled = self.poll_with(direction, cx, op);
        if let Poll::Ready(Ok(done)) = polled {
            if 0 < done && done < asked {
                self.state().clear_ready_after_short(direction);
            }
        }
        polled
    }

    fn poll_with<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        // Debug mode times each operation (`slow_io.rs`); otherwise this is one branch.
        let watch = SlowIoWatch::start(self.registration.as_ref().map(|r| &r.event_loop));
        loop {
            if self.poll_ready(direction, cx).is_pending() {
                return Poll::Pending;
            }
            let outcome = op(self.get_ref());
            if let Some(watch) = &watch {
                watch.check(direction, self.registration.as_ref().map_or(-1, |r| r.fd));
            }
            match outcome {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.state().clear_ready(direction);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                outcome => return Poll::Ready(outcome),
            }
        }
    }
}

impl<T: AsFd> Drop for IoSource<T> {
    fn drop(&mut self) {
        drop(self.registration.take());
        drop(self.io.take());
    }
}

impl<T: AsFd + fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IoSource").field("io", &self.io).finish()
    }
}

impl<T: AsFd> futures_io::AsyncRead for IoSource<T>
where
    for<'a> &'a T: Read,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_read_with(cx, |mut io| io.read(buf))
    }
}

impl<T: AsFd> futures_io::AsyncWrite for IoSource<T>
where
    for<'a> &'a T: Write,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |mut io| io.write(buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write_with(cx, |mut io| io.flush())
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush(cx)
    }
}

/// Implements `futures_io::AsyncRead` for stream types whose `source` field is an
/// `Rc<IoSource<T>>` of a std stream socket.
macro_rules! impl_read {
    ($($ty:ty),*) => {$(
        impl futures_io::AsyncRead for $ty {
            fn poll_read(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &mut [u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let asked = buf.len();
                self.source.poll_stream($crate::reactor::Direction::Read, cx, asked, |mut io| {
                    std::io::Read::read(&mut io, buf)
                })
            }
        }
    )*};
}

/// Implements `futures_io::AsyncWrite` for stream types whose `source` field is an
/// `Rc<IoSource<T>>` of a std stream socket. Closing shuts the write side down (EOF to the
/// peer), as async-io's streams do; a socket never connected or already shut down counts
/// as closed.
macro_rules! impl_write {
    ($($ty:ty),*) => {$(
        impl futures_io::AsyncWrite for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                self.source.poll_stream(
                    $crate::reactor::Direction::Write,
                    cx,
                    buf.len(),
                    |mut io| std::io::Write::write(&mut io, buf),
                )
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                let asked = bufs.iter().map(|buf| buf.len()).sum();
                self.source.poll_stream($crate::reactor::Direction::Write, cx, asked, |mut io| {
                    std::io::Write::write_vectored(&mut io, bufs)
                })
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                let socket = socket2::SockRef::from(self.source.get_ref());
                std::task::Poll::Ready(match socket.shutdown(std::net::Shutdown::Write) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotConnected => Err(error),
                    _ => Ok(()),
                })
            }
        }
    )*};
}

pub(crate) use {impl_read, impl_write};

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    use super::IoSource;
    use crate::reactor::Direction;
    use crate::{EventLoop, create_task, sleep};

    /// A stream read, as the sockets' `AsyncRead` makes it.
    fn read(
        source: &IoSource<UnixStream>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let asked = buf.len();
        source.poll_stream(Direction::Read, cx, asked, |mut io| {
            std::io::Read::read(&mut io, buf)
        })
    }

    fn pair() -> (IoSource<UnixStream>, IoSource<UnixStream>) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (IoSource::new(a).unwrap(), IoSource::new(b).unwrap())
    }

    /// A short read of a stream clears readiness, so the next read waits for an edge
    /// instead of spending a system call on `WouldBlock`, and the bytes that come later
    /// bring that edge: nothing is lost, whether they come before the reader waits again
    /// or while it waits.
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot register a Unix socket pair with epoll")]
    fn a_short_stream_read_waits_for_the_next_edge_and_gets_it() {
        let got = EventLoop::new().run_until_complete(async {
            let (writer, reader) = pair();
            let mut buf = [0; 16];
            writer.get_ref().write_all(b"abc").unwrap();
            let n = poll_fn(|cx| read(&reader, cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"abc");
            assert!(
                !reader.state().may_be_ready(Direction::Read),
                "short: cleared"
            );
            // Written before the reader waits again: the edge is in the poller already.
            writer.get_ref().write_all(b"de").unwrap();
            let n = poll_fn(|cx| read(&reader, cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"de");
            // Written while it waits, by another task a few iterations later.
            let late = create_task(async move {
                sleep(Duration::ZERO).await;
                writer.get_ref().write_all(b"fgh").unwrap();
                writer
            });
            let n = poll_fn(|cx| read(&reader, cx, &mut buf)).await.unwrap();
            let mut got = buf[..n].to_vec();
            // A full read keeps readiness: more may be queued.
            let mut exact = [0; 2];
            let writer = late.await.unwrap();
            writer.get_ref().write_all(b"ij").unwrap();
            let n = poll_fn(|cx| read(&reader, cx, &mut exact)).await.unwrap();
            assert_eq!(n, 2);
            assert!(reader.state().may_be_ready(Direction::Read), "full: kept");
            got.extend_from_slice(&exact);
            got
        });
        assert_eq!(got.unwrap(), b"fghij");
    }

    /// A short write (the send buffer filled) clears write readiness, and the room the
    /// reader makes brings the edge back: a megabyte goes through whole, in order.
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot register a Unix socket pair with epoll")]
    fn a_short_stream_write_waits_for_room_and_gets_it() {
        const TOTAL: usize = 1 << 20;
        let got = EventLoop::new().run_until_complete(async {
            let (writer, reader) = pair();
            let sent: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
            let expected = sent.clone();
            let reading = create_task(async move {
                let mut got = Vec::with_capacity(TOTAL);
                let mut buf = [0; 8192];
                while got.len() < TOTAL {
                    let n = poll_fn(|cx| read(&reader, cx, &mut buf)).await.unwrap();
                    assert!(n > 0, "the writer ended early");
                    got.extend_from_slice(&buf[..n]);
                }
                got
            });
            let (mut at, mut short) = (0, false);
            while at < TOTAL {
                let rest = &sent[at..];
                let n = poll_fn(|cx| {
                    writer.poll_stream(Direction::Write, cx, rest.len(), |mut io| io.write(rest))
                })
                .await
                .unwrap();
                if n < rest.len() {
                    short = true;
                    assert!(!writer.state().may_be_ready(Direction::Write));
                }
                at += n;
            }
            assert!(short, "a megabyte fits no socket buffer at once");
            reading.await.unwrap() == expected
        });
        assert!(got.unwrap());
    }

    /// Bytes and the peer's shutdown reported in one event: the read of the bytes is
    /// short, but no edge follows the shutdown, so the end must stay readable. (hyper's
    /// test of a client leaving mid-request hung on this before the source kept a closed
    /// flag.)
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot register a Unix socket pair with epoll")]
    fn a_short_read_just_before_the_end_still_sees_the_end() {
        let got = EventLoop::new().run_until_complete(async {
            let (writer, reader) = pair();
            let reading = create_task(async move {
                let (mut buf, mut got) = ([0; 16], Vec::new());
                loop {
                    let n = poll_fn(|cx| read(&reader, cx, &mut buf)).await?;
                    if n == 0 {
                        return Ok::<_, std::io::Error>(got);
                    }
                    got.extend_from_slice(&buf[..n]);
                }
            });
            // The reader meets `WouldBlock` first and waits for an edge.
            sleep(Duration::ZERO).await;
            writer.get_ref().write_all(b"abc").unwrap();
            writer
                .get_ref()
                .shutdown(std::net::Shutdown::Write)
                .unwrap();
            crate::timeout(Duration::from_secs(5), reading).await
        });
        assert_eq!(
            got.unwrap().expect("the end was seen").unwrap().unwrap(),
            b"abc"
        );
    }

    /// The end of the stream (a read of 0) is not short: the next read sees it again at
    /// once instead of waiting for an edge that never comes.
    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot register a Unix socket pair with epoll")]
    fn the_end_of_a_stream_stays_ready() {
        let outcome = EventLoop::new().run_until_complete(async {
            let (writer, reader) = pair();
            drop(writer);
            let mut buf = [0; 16];
            for _ in 0..2 {
                let n = poll_fn(|cx| read(&reader, cx, &mut buf)).await.unwrap();
                assert_eq!(n, 0);
            }
            reader.state().may_be_ready(Direction::Read)
        });
        assert!(outcome.unwrap());
    }
}
