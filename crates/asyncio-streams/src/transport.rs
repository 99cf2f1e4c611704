//! [`Transport`]: the background writer a runtime spawns to give a [`StreamWriter`] asyncio's
//! exact transport behaviour.
//!
//! [`StreamWriter`]: crate::StreamWriter

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::AsyncWrite;

use crate::error::StreamError;
use crate::write_state::Shared;

/// The future that plays asyncio's write transport for one
/// [`StreamWriter`](crate::StreamWriter) ([`StreamWriter::transport`](crate::StreamWriter::transport)).
///
/// Spawn it on the runtime (it is `'static`, and `Send` when the sink is): it waits until
/// bytes are queued, writes them as fast as the sink takes them, wakes the writer's `drain`
/// calls when the queue falls to the low-water mark, sends a requested `write_eof`, and once
/// the writer is closed (by [`close`](crate::StreamWriter::close), `wait_closed` or being
/// dropped) writes what is left, closes the sink and ends with `Ok(())`. While it runs,
/// `drain` only waits (while the writer is paused), as in asyncio.
///
/// It ends with [`StreamError::ConnectionLost`] if the sink fails; the sink's own error is
/// kept for the writer's next `drain`/`flush`/`wait_closed`. Only one transport runs per
/// writer: another one ends at once with [`StreamError::TransportRunning`]. Dropping it
/// before it ends (a runtime shutting down) is fine: the writer's calls take over the
/// writing.
///
/// ```
/// use asyncio_streams::StreamWriter;
/// # smol::block_on(async {
/// let writer = StreamWriter::new(Vec::new());
/// let transport = smol::spawn(writer.transport());
/// writer.write(b"sent in the background")?;
/// writer.close();
/// writer.wait_closed().await?; // the transport wrote, then closed the sink
/// transport.await?;
/// assert_eq!(*writer.get_ref(), b"sent in the background");
/// # Ok::<(), asyncio_streams::StreamError>(())
/// # }).unwrap();
/// ```
#[must_use = "a transport writes nothing unless it is spawned or awaited"]
pub struct Transport<W> {
    shared: Arc<Shared<W>>,
    /// Whether this future is the writer's transport (decided at its first poll).
    attached: bool,
}

impl<W> Transport<W> {
    pub(crate) fn new(shared: Arc<Shared<W>>) -> Self {
        Self {
            shared,
            attached: false,
        }
    }
}

impl<W: AsyncWrite + Unpin> Future for Transport<W> {
    type Output = Result<(), StreamError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut state = this.shared.lock();
        if !this.attached {
            if !state.attach_transport() {
                return Poll::Ready(Err(StreamError::TransportRunning));
            }
            this.attached = true;
        }
        if state.is_closed() {
            return Poll::Ready(Ok(()));
        }
        let waker = Some(cx.waker());
        let mut step = state.poll_write_down_to(waker, 0);
        if let Poll::Ready(Ok(())) = step {
            step = state.poll_flush_sink(waker);
        }
        if let Poll::Ready(Ok(())) = step {
            step = state.poll_send_eof(waker);
        }
        if let Poll::Ready(Ok(())) = step {
            if state.is_closing() {
                step = state.poll_close_sink(waker);
                if let Poll::Ready(Ok(())) = step {
                    return Poll::Ready(Ok(()));
                }
            }
        }
        match step {
            Poll::Ready(Err(_)) => Poll::Ready(Err(state.lost_error())),
            Poll::Ready(Ok(())) => {
                state.transport_waits(cx.waker());
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<W> Drop for Transport<W> {
    fn drop(&mut self) {
        if self.attached {
            self.shared.lock().detach_transport();
        }
    }
}

impl<W> fmt::Debug for Transport<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("attached", &self.attached)
            .finish_non_exhaustive()
    }
}
