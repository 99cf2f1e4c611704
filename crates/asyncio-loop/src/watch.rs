//! Layer 2 (the parts the loop drives): awaiting a task by reference, so that several
//! parties can wait for the same task and each get its outcome (asyncio's "await the same
//! task again"). `&Task<T>` is [`IntoFuture`] when `T: Clone`: the outcome stays in the
//! task, each awaiter gets a clone. [`shield_ref`] is the same wait without asyncio's
//! cancel propagation.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::error::TaskError;
use crate::task::{Task, cloned_outcome, note_waiting_on, result_taken};

/// The future of awaiting `&Task<T>` (and of [`shield_ref`]).
///
/// It never cancels the task when dropped: the owner of the [`Task`] decides that. Cancel
/// safety: nothing is taken from the task, so dropping it loses nothing.
#[must_use = "futures do nothing unless awaited"]
pub struct TaskWatch<'a, T> {
    task: &'a Task<T>,
    /// Whether cancelling the awaiting task cancels this one first (asyncio's `await
    /// task`), which [`shield_ref`] turns off.
    propagate: bool,
    /// The waker registered with the task, so a re-poll registers again only for a new one.
    registered: Option<Waker>,
}

impl<'a, T: Clone> IntoFuture for &'a Task<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = TaskWatch<'a, T>;

    /// Awaits the task without taking its outcome: each awaiter gets a clone.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, create_task};
    ///
    /// let out = EventLoop::new().run_until_complete(async {
    ///     let task = create_task(async { 6 * 7 });
    ///     let first = (&task).await;
    ///     let again = (&task).await;
    ///     (first, again, task.await)
    /// });
    /// assert_eq!(out, Ok((Ok(42), Ok(42), Ok(42))));
    /// ```
    fn into_future(self) -> TaskWatch<'a, T> {
        TaskWatch {
            task: self,
            propagate: true,
            registered: None,
        }
    }
}

/// asyncio's `shield(task)` for a task you keep: awaits a clone of its outcome, and
/// cancelling the awaiting task does not cancel this one. See [`shield`](crate::shield)
/// for the owning form.
///
/// ```
/// use asyncio_loop::{EventLoop, create_task, shield_ref};
///
/// let out = EventLoop::new().run_until_complete(async {
///     let task = create_task(async { "kept" });
///     let shielded = shield_ref(&task).await;
///     (shielded, task.await)
/// });
/// assert_eq!(out, Ok((Ok("kept"), Ok("kept"))));
/// ```
pub fn shield_ref<T: Clone>(task: &Task<T>) -> TaskWatch<'_, T> {
    TaskWatch {
        task,
        propagate: false,
        registered: None,
    }
}

impl<T: Clone> Future for TaskWatch<'_, T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self.task.as_ref();
        if task.done() {
            return match cloned_outcome(&task.task) {
                Ok(outcome) => Poll::Ready(outcome),
                Err(taken) => result_taken(&task.task, &taken),
            };
        }
        let fresh = !matches!(&self.registered, Some(w) if w.will_wake(cx.waker()));
        if fresh {
            task.wake_when_done(cx.waker());
            self.registered = Some(cx.waker().clone());
        }
        if self.propagate {
            note_waiting_on(&task.task);
        }
        Poll::Pending
    }
}
