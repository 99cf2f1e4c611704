//! Layer 2 (the parts the loop drives): awaiting a task by reference, so that several
//! parties can wait for the same task and each get its outcome (asyncio's "await the same
//! task again"). `&Task<T>` is [`IntoFuture`] when `T: Clone`: the outcome stays in the
//! task, each awaiter gets a clone. [`shield_ref`] is the same wait without asyncio's
//! cancel propagation. [`SharedTask`] is the owned, `'static` form, for what needs a future
//! it can keep (`as_completed`, `wait`, `gather`, another task).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::error::TaskError;
use crate::task::{Task, cloned_outcome, note_waiting_on, result_taken};
use crate::task_ref::TaskRef;

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
        let propagate = self.propagate;
        // SAFETY: a `Task<T>` is only made for a task whose future outputs `T`
        // (`Task::from_raw`), and this borrows one.
        unsafe { poll_clone(&task, propagate, &mut self.registered, cx) }
    }
}

/// A clone of `task`'s outcome once it is done; until then wakes `cx` when it is.
///
/// # Safety
///
/// The task's future outputs `T`.
unsafe fn poll_clone<T: Clone>(
    task: &TaskRef,
    propagate: bool,
    registered: &mut Option<Waker>,
    cx: &Context<'_>,
) -> Poll<Result<T, TaskError>> {
    if task.done() {
        // SAFETY: passed on from our caller.
        return match unsafe { cloned_outcome(&task.task) } {
            Ok(outcome) => Poll::Ready(outcome),
            Err(taken) => result_taken(&task.task, &taken),
        };
    }
    let fresh = !matches!(registered, Some(w) if w.will_wake(cx.waker()));
    if fresh {
        task.wake_when_done(cx.waker());
        *registered = Some(cx.waker().clone());
    }
    if propagate {
        note_waiting_on(&task.task);
    }
    Poll::Pending
}

/// A clonable, owned handle that awaits a clone of a task's outcome (`T: Clone`), made by
/// [`Task::share`]. Any number of them may wait for the same task, from any of the loop's
/// tasks; dropping one never cancels the task, and cancelling a task that awaits one
/// does not cancel it either (the handles are many; the [`Task`] owner decides).
///
/// ```
/// use asyncio_loop::{EventLoop, create_task};
///
/// let out = EventLoop::new().run_until_complete(async {
///     let task = create_task(async { "shared" });
///     let (a, b) = (task.share(), task.share());
///     let first = create_task(a);
///     let second = create_task(b);
///     (first.await, second.await, task.await)
/// });
/// assert_eq!(out, Ok((Ok(Ok("shared")), Ok(Ok("shared")), Ok("shared"))));
/// ```
pub struct SharedTask<T> {
    task: TaskRef,
    registered: Option<Waker>,
    output: PhantomData<fn() -> T>,
}

impl<T> Task<T> {
    /// An owned handle that awaits a clone of this task's outcome: see [`SharedTask`].
    pub fn share(&self) -> SharedTask<T> {
        SharedTask {
            task: self.as_ref(),
            registered: None,
            output: PhantomData,
        }
    }
}

impl<T> SharedTask<T> {
    /// The task, type-erased.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }
}

impl<T> Clone for SharedTask<T> {
    fn clone(&self) -> Self {
        SharedTask {
            task: self.task.clone(),
            registered: None,
            output: PhantomData,
        }
    }
}

impl<T> Unpin for SharedTask<T> {}

impl<T: Clone> Future for SharedTask<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // SAFETY: `Task::share` made this from a `Task<T>`, which is only made for a task
        // whose future outputs `T` (`Task::from_raw`).
        unsafe { poll_clone(&this.task, false, &mut this.registered, cx) }
    }
}

impl<T> fmt::Debug for SharedTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedTask").field(&self.task).finish()
    }
}
