//! Layer 2 (the parts the loop drives): [`Task`], the typed handle to a task, a future the
//! loop drives step by step.
//!
//! A task is one allocation (`raw.rs`): its header (`header.rs`: name, state,
//! done callbacks, waker count), its future while it runs, then its output. Its waker
//! points at that allocation (`waker.rs`). The loop's registry holds a reference while the
//! task is pending; a [`Task`] handle or a [`TaskRef`] hold others. A step is queued on the
//! loop's FIFO ready queue like any callback, which is what makes the interleavings
//! asyncio's.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::callback::DoneCallbackId;
use crate::context::{LoopRef, loop_of, other_running_loop, with_running};
use crate::done::register_awaiter;
use crate::error::{InvalidStateError, TaskError};
use crate::exception::{ExceptionContext, default_exception_handler};
use crate::flags::{Flag, State};
use crate::header::{Header, Outcome, TaskRc};
use crate::task_ref::{TaskRef, request_cancel};
use crate::waiting::Waiting;

/// A handle to a task that outputs `T`; awaiting it gives `Ok(output)`, or why there is none.
///
/// Dropping a handle that was never polled detaches the task: it runs to the end anyway.
/// Dropping one that was being awaited before the task finished cancels the task (asyncio's
/// cancellation propagation; wrap it in [`shield`](crate::shield) to prevent that).
///
/// # Panics
///
/// Awaiting (or [`shield`](crate::shield)ing) a pending task while another loop than the
/// task's runs on this thread panics with asyncio's RuntimeError message, "Task `<Task
/// pending name='Task-2'>` got Future `<Task pending name='Task-1'>` attached to a different
/// loop": the task's loop does not run meanwhile, so the wait would never end. The
/// awaiting task ends with that panic as its outcome ([`TaskError::Panicked`]), as the
/// awaiting coroutine gets the RuntimeError in asyncio; from `run_until_complete`'s own
/// future it comes out of the run. A panic rather than a `TaskError` variant: this is a
/// mistake of the awaiting code, not an outcome of the awaited task, and a third variant
/// would make every task's outcome a word larger. A finished task's outcome is handed
/// over wherever it is awaited, as asyncio's `await` of a done future does not suspend.
///
/// Awaiting a handle whose outcome was already taken (by [`result`](Task::result)) panics
/// the same way, with asyncio's `InvalidStateError` wording ("Result was already taken."):
/// a task that finished never reports an outcome it did not have. To look at an outcome
/// more than once, use [`result_cloned`](Task::result_cloned) or await `&task`.
///
/// ```
/// use asyncio_loop::EventLoop;
///
/// let event_loop = EventLoop::new();
/// let out = event_loop.run_until_complete(async {
///     let task = asyncio_loop::create_task(async { 6 * 7 });
///     assert!(!task.done());
///     task.await
/// });
/// assert_eq!(out, Ok(Ok(42)));
/// ```
pub struct Task<T> {
    task: TaskRc,
    output: PhantomData<fn() -> T>,
}

impl<T> Task<T> {
    /// The handle of a task just made.
    ///
    /// # Safety
    ///
    /// The task's future outputs `T`.
    pub(crate) unsafe fn from_raw(task: TaskRc) -> Task<T> {
        task.header().flags().set(Flag::HANDLE_ALIVE, true);
        Task {
            task,
            output: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        self.task.header()
    }

    fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        if self.header().done() {
            match self.result() {
                Ok(outcome) => Poll::Ready(outcome),
                Err(taken) => result_taken(&self.task, &taken),
            }
        } else {
            if let Some(running) = other_running_loop(&self.header().wake.shared) {
                attached_to_a_different_loop(&running, &self.task);
            }
            register_awaiter(self.header(), cx.waker());
            Poll::Pending
        }
    }

    /// The task's name: `Task-N` unless one was given.
    pub fn name(&self) -> String {
        self.header().name()
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        self.header().set_name(name.into());
    }

    /// Asks the task to cancel: its future is dropped at its next step, on the loop's
    /// thread, unless the task is inside a [`catch_cancelled`](crate::catch_cancelled)
    /// scope, which then receives the cancellation as an error its code can handle.
    /// Returns `false` if the task is already done.
    pub fn cancel(&self) -> bool {
        request_cancel(&self.task, None)
    }

    /// [`cancel`](Self::cancel) with a message (asyncio's `cancel(msg)`), carried in the
    /// [`CancelledError`](crate::CancelledError) a catch scope of the task receives.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, catch_cancelled, create_task, sleep};
    /// use std::time::Duration;
    ///
    /// let out = EventLoop::new().run_until_complete(async {
    ///     let task = create_task(async {
    ///         match catch_cancelled(sleep(Duration::from_secs(60))).await {
    ///             Ok(()) => "slept".to_owned(),
    ///             Err(cancelled) => format!("caught: {cancelled}"),
    ///         }
    ///     });
    ///     sleep(Duration::ZERO).await;
    ///     task.cancel_with("shutting down");
    ///     task.await
    /// });
    /// assert_eq!(out, Ok(Ok("caught: shutting down".to_owned())));
    /// ```
    pub fn cancel_with(&self, message: impl Into<std::sync::Arc<str>>) -> bool {
        request_cancel(&self.task, Some(message.into()))
    }

    /// asyncio's `cancelling()`: cancel requests made and not [`uncancel`](Self::uncancel)ed.
    pub fn cancelling(&self) -> u32 {
        self.as_ref().cancelling()
    }

    /// asyncio's `uncancel()`: takes back one cancel request; the count left.
    pub fn uncancel(&self) -> u32 {
        self.as_ref().uncancel()
    }

    /// Whether the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.header().state() == State::Cancelled
    }

    /// Whether the task has ended (output, cancellation or panic).
    pub fn done(&self) -> bool {
        self.header().done()
    }

    /// The task's outcome without waiting: `Err(InvalidStateError)` if it is not done yet
    /// (or the outcome was already taken), else what awaiting would give.
    pub fn result(&self) -> Result<Result<T, TaskError>, InvalidStateError> {
        // SAFETY: `from_raw`'s caller promised the task outputs `T`.
        unsafe { self.task.take_output() }
    }

    /// asyncio's `exception()`: `None` if the task finished with an output, how it failed
    /// otherwise, without taking the outcome; `Err(InvalidStateError)` while it runs or
    /// once its outcome was taken. Asking counts as retrieving a panic (it is not reported
    /// as never retrieved).
    pub fn exception(&self) -> Result<Option<TaskError>, InvalidStateError> {
        let mut seen = Err(InvalidStateError::NOT_SET);
        self.task.visit(&mut |outcome| {
            seen = match outcome {
                Outcome::Pending => Err(InvalidStateError::NOT_SET),
                Outcome::Taken => Err(InvalidStateError::TAKEN),
                Outcome::Output(_) => Ok(None),
                Outcome::Failed(error) => Ok(Some(error.clone())),
            }
        });
        if seen.is_ok() {
            self.header().flags().set(Flag::RETRIEVED, true);
        }
        seen
    }

    /// Runs `callback` (through `call_soon`) when the task ends; at once (next iteration)
    /// if it already has.
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) -> DoneCallbackId {
        self.as_ref().add_done_callback(callback)
    }

    /// asyncio's `remove_done_callback`; see [`TaskRef::remove_done_callback`].
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        self.as_ref().remove_done_callback(id)
    }

    /// A type-erased handle to the same task.
    pub fn as_ref(&self) -> TaskRef {
        TaskRef {
            task: self.task.clone(),
        }
    }

    /// Polls without counting as an awaiter: used by [`shield`](crate::shield).
    pub(crate) fn poll_shielded(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        let polled = self.poll_output(cx);
        if polled.is_pending() {
            // For the task dump only: a shielded task must not be the waiting task's
            // cancellation target (`note_waiting_on`), that is the point of `shield`.
            note_waiting(Waiting::Shield(self.task.id()));
        }
        polled
    }
}

impl<T: Clone> Task<T> {
    /// The task's outcome without waiting and without taking it, as asyncio's `result()`
    /// may be asked again and again: a clone of the output, or how the task failed.
    /// `Err(InvalidStateError)` while it runs, or once [`result`](Self::result) or an
    /// `await` of the handle took the outcome.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, create_task, sleep};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().run_until_complete(async {
    ///     let task = create_task(async { String::from("done") });
    ///     assert!(task.result_cloned().is_err(), "not finished yet");
    ///     sleep(Duration::ZERO).await;
    ///     assert_eq!(task.result_cloned(), Ok(Ok("done".to_owned())));
    ///     assert_eq!(task.result_cloned(), Ok(Ok("done".to_owned())), "and again");
    /// })
    /// .unwrap();
    /// ```
    pub fn result_cloned(&self) -> Result<Result<T, TaskError>, InvalidStateError> {
        // SAFETY: `from_raw`'s caller promised the task outputs `T`.
        unsafe { cloned_outcome(&self.task) }
    }
}

/// A clone of a finished task's outcome, left in place.
///
/// # Safety
///
/// The task's future outputs `T`.
pub(crate) unsafe fn cloned_outcome<T: Clone>(
    task: &TaskRc,
) -> Result<Result<T, TaskError>, InvalidStateError> {
    let mut seen = Err(InvalidStateError::NOT_SET);
    task.visit(&mut |outcome| {
        seen = match outcome {
            Outcome::Pending => Err(InvalidStateError::NOT_SET),
            Outcome::Taken => Err(InvalidStateError::TAKEN),
            // SAFETY: the caller promises the task's future outputs `T`, and the pointer is
            // to that output, alive while the visit lasts.
            Outcome::Output(output) => Ok(Ok(unsafe { &*output.cast::<T>() }.clone())),
            Outcome::Failed(error) => Ok(Err(error.clone())),
        }
    });
    if seen.is_ok() {
        task.header().flags().set(Flag::RETRIEVED, true);
    }
    seen
}

/// Awaiting a finished task whose outcome someone already took: asyncio's
/// `InvalidStateError`, as a panic of the awaiting code, never a made-up outcome.
#[cold]
#[inline(never)]
pub(crate) fn result_taken(task: &TaskRc, taken: &InvalidStateError) -> ! {
    let task = TaskRef { task: task.clone() };
    panic!("{taken} ({task:?})")
}

impl<T> std::future::Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.header().flags().set(Flag::HANDLE_AWAITED, true);
        let polled = self.poll_output(cx);
        if polled.is_pending() {
            note_waiting_on(&self.task);
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let header = self.task.header();
        header.flags().set(Flag::HANDLE_ALIVE, false);
        if header.flags().get(Flag::HANDLE_AWAITED) && !header.done() {
            request_cancel(&self.task, None);
        } else if header.unretrieved_exception() {
            report_unretrieved(&self.task);
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.header().repr(f)
    }
}

/// Reports a panic nobody retrieved through the task's loop's exception handler (or the
/// default one, if the loop is gone).
pub(crate) fn report_unretrieved(task: &TaskRc) {
    let header = task.header();
    header.flags().set(Flag::RETRIEVED, true);
    let message = "Task exception was never retrieved".to_owned();
    report_exception(task, message);
}

/// Reports how `task` failed (its panic, or its `Err`) with `message`, through its loop's
/// exception handler (or the default one, if the loop is gone).
pub(crate) fn report_exception(task: &TaskRc, message: String) {
    let header = task.header();
    let (panic, error) = (task.panic(), header.error());
    match loop_of(&header.wake.shared) {
        Some(event_loop) => {
            let task = Some(task.clone());
            event_loop.scheduler.report(message, task, panic, error);
        }
        None => {
            let task = Some(TaskRef { task: task.clone() });
            let context = ExceptionContext::new(message, task, panic).with_error(error);
            #[cfg(feature = "tracing")]
            context.trace();
            default_exception_handler(&context);
        }
    }
}

/// asyncio's RuntimeError for a pending task awaited while another loop than its own runs
/// on this thread.
#[cold]
#[inline(never)]
fn attached_to_a_different_loop(running: &LoopRef, task: &TaskRc) -> ! {
    let awaited = TaskRef { task: task.clone() };
    match running.scheduler.current_task() {
        Some(current) => {
            let awaiting = TaskRef { task: current };
            panic!("Task {awaiting:?} got Future {awaited:?} attached to a different loop")
        }
        None => panic!("Future {awaited:?} is attached to a different loop than the running one"),
    }
}

/// Records what the running task's step is suspended on, for the task dump (`waiting.rs`);
/// called on `Pending` paths only. Does nothing outside a task.
pub(crate) fn note_waiting(waiting: Waiting) {
    with_running(|scheduler| scheduler.note_waiting(waiting));
}

/// The hook the loop installs in `asyncio-sync` (`scheduler.rs`): a primitive's `Pending`.
pub(crate) fn note_sync_waiting(kind: &'static asyncio_sync::WaitKind) {
    note_waiting(Waiting::Kind(kind));
}

/// Records that the running task's step is suspended on `task`, so cancelling it cancels
/// `task` first (see `request_cancel`).
pub(crate) fn note_waiting_on(task: &TaskRc) {
    with_running(|scheduler| scheduler.note_waiting_on(task.clone()));
}
