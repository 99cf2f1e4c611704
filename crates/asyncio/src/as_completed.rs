//! `as_completed`: outputs in the order the work finishes, as an async iterator.
//!
//! Python's `for f in as_completed(aws): r = await f` becomes a [`Stream`] consumed with
//! `while let Some(r) = anext(&mut it).await`. Every future becomes a task at once, as in
//! asyncio; a done-callback on each queues it in completion order, and the stream hands the
//! outputs out in that order.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio_loop::{Sleep, TaskError, TimeoutError, get_event_loop};
use futures_core::Stream;

use crate::child::{Child, Notify};

/// asyncio's `as_completed(aws)`: runs every future as a task and yields their outputs in
/// completion order; a child that panicked or was cancelled yields
/// `Err(AsCompletedError::Task(..))` in its place. Dropping the stream leaves the children
/// that have not finished running, as asyncio's tasks go on when nobody iterates any
/// more; to watch a task you keep, pass [`Task::share`](crate::Task::share).
///
/// ```
/// use std::time::Duration;
/// use asyncio::anext;
///
/// async fn after(ms: u64) -> u64 {
///     asyncio::sleep(Duration::from_millis(ms)).await;
///     ms
/// }
///
/// let order = asyncio::run(async {
///     let mut done = asyncio::as_completed([after(30), after(10), after(20)]);
///     let mut order = Vec::new();
///     while let Some(ms) = anext(&mut done).await {
///         order.push(ms.unwrap());
///     }
///     order
/// })
/// .unwrap();
/// assert_eq!(order, [10, 20, 30]);
/// ```
#[track_caller]
pub fn as_completed<I>(futures: I) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    let event_loop = get_event_loop();
    // The user's line, for the task dump: the closure below loses it.
    let at = Location::caller();
    let notify = Notify::new();
    let children: Vec<_> = futures
        .into_iter()
        .enumerate()
        .map(|(index, fut)| Child::new(event_loop.create_task_at(fut, at), index, &notify))
        .collect();
    AsCompleted {
        remaining: children.len(),
        children,
        notify,
        deadline: None,
        timed_out: false,
    }
}

/// [`as_completed`] with asyncio's `timeout=`: once `timeout` has passed, the stream yields
/// one `Err(AsCompletedError::Timeout)` and ends; the children still running go on, as in
/// asyncio.
///
/// ```
/// use std::time::Duration;
/// use asyncio::{AsCompletedError, anext};
///
/// let outcomes = asyncio::run(async {
///     let fast = asyncio::sleep(Duration::from_millis(1));
///     let slow = asyncio::sleep(Duration::from_secs(60));
///     let mut done = asyncio::as_completed_timeout([fast, slow], Duration::from_millis(50));
///     let mut outcomes = Vec::new();
///     while let Some(outcome) = anext(&mut done).await {
///         outcomes.push(outcome);
///     }
///     outcomes
/// })
/// .unwrap();
/// assert!(outcomes[0].is_ok());
/// assert!(matches!(outcomes[1], Err(AsCompletedError::Timeout(_))));
/// assert_eq!(outcomes.len(), 2);
/// ```
#[track_caller]
pub fn as_completed_timeout<I>(
    futures: I,
    timeout: Duration,
) -> AsCompleted<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    let mut stream = as_completed(futures);
    stream.deadline = Some((Box::pin(asyncio_loop::sleep(timeout)), timeout));
    stream
}

/// Why [`as_completed`] yielded no output for one child. Displays what asyncio raises
/// there: the child's own error, or `TimeoutError`'s message; the variant (`Debug`) says
/// which, and the timeout's length.
#[derive(Debug, Clone, PartialEq)]
pub enum AsCompletedError {
    /// The child panicked or was cancelled (transparent: asyncio re-raises the child's
    /// exception).
    Task(TaskError),
    /// The overall timeout passed before every child finished (asyncio's `TimeoutError`).
    Timeout(Duration),
}

impl fmt::Display for AsCompletedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AsCompletedError::Task(e) => e.fmt(f),
            AsCompletedError::Timeout(_) => TimeoutError.fmt(f),
        }
    }
}

impl std::error::Error for AsCompletedError {}

/// The stream of [`as_completed`].
#[must_use = "streams do nothing unless polled; the children run anyway"]
pub struct AsCompleted<T> {
    children: Vec<Child<T>>,
    notify: Rc<Notify>,
    remaining: usize,
    deadline: Option<(Pin<Box<Sleep>>, Duration)>,
    timed_out: bool,
}

impl<T> AsCompleted<T> {
    /// How many outputs are still to come.
    pub fn remaining(&self) -> usize {
        if self.timed_out { 0 } else { self.remaining }
    }
}

impl<T> Unpin for AsCompleted<T> {}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<T, AsCompletedError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.remaining() == 0 {
            return Poll::Ready(None);
        }
        this.notify.register(cx);
        while let Some(index) = this.notify.next_finished() {
            if let Some(output) = this.children[index].take(cx) {
                this.remaining -= 1;
                return Poll::Ready(Some(output.map_err(AsCompletedError::Task)));
            }
        }
        if let Some((sleep, timeout)) = &mut this.deadline {
            if sleep.as_mut().poll(cx).is_ready() {
                this.timed_out = true;
                return Poll::Ready(Some(Err(AsCompletedError::Timeout(*timeout))));
            }
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.remaining()))
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining())
            .finish()
    }
}
