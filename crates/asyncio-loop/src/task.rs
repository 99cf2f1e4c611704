//! Tasks: a future the loop drives step by step, and the handles to it.
//!
//! A task is one allocation (`raw.rs`): its [`Header`](crate::header::Header) (name, state,
//! done callbacks, waker count), its future while it runs, then its output. Its waker
//! points at that allocation (`waker.rs`). The loop's registry holds a reference while the
//! task is pending; a [`Task`] handle or a [`TaskRef`] hold others. A step is queued on the
//! loop's FIFO ready queue like any callback, which is what makes the interleavings
//! asyncio's.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::error::InvalidStateError;
use crate::header::{Flag, Header, State};
use crate::raw::TaskRc;

/// How a task failed: cancelled, or its future panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task was cancelled (its future was dropped at a suspension point).
    Cancelled,
    /// The task's future panicked.
    Panicked(Panic),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task: cancelled"),
            TaskError::Panicked(panic) => write!(f, "task: {panic}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// A panic caught in a task: its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    /// Shared, not owned: a panic is cloned into reports. An `Arc<String>` rather than an
    /// `Arc<str>` so that it is one word: `TaskError` is then one word too, and a small
    /// task's stage no bigger than its future (a panic pays the extra indirection).
    message: Arc<String>,
}

impl Panic {
    pub(crate) fn from_payload(payload: &(dyn Any + Send)) -> Panic {
        let message: &str = if let Some(s) = payload.downcast_ref::<&str>() {
            s
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s
        } else {
            "Box<dyn Any>"
        };
        Panic {
            message: Arc::new(message.to_owned()),
        }
    }

    /// The panic's message (`"Box<dyn Any>"` when the payload was not a string).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.message)
    }
}

impl std::error::Error for Panic {}

/// Asks `task` to cancel: its future is dropped at its next step. Returns `false` when the
/// task is already done. If the task is suspended on another task, that one is cancelled
/// instead and this task's step waits for it to end, as asyncio does (`_fut_waiter`).
fn request_cancel(task: &TaskRc) -> bool {
    let header = task.header();
    if header.done() {
        return false;
    }
    header.flags().set(Flag::CANCEL_REQUESTED, true);
    let waiting_on = header.local.waiting_on.take();
    if let Some(inner) = waiting_on
        && inner.cancel()
    {
        return true;
    }
    if let Some(event_loop) = crate::current::loop_of(&header.wake.shared) {
        event_loop.schedule(task);
    }
    true
}

/// A handle to a task that outputs `T`; awaiting it gives `Ok(output)`, or why there is none.
///
/// Dropping a handle that was never polled detaches the task: it runs to the end anyway.
/// Dropping one that was being awaited before the task finished cancels the task (asyncio's
/// cancellation propagation; wrap it in [`shield`](crate::shield) to prevent that).
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
            Poll::Ready(self.result().unwrap_or(Err(TaskError::Cancelled)))
        } else {
            self.header().register_awaiter(cx.waker());
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
    /// thread. Returns `false` if the task is already done.
    pub fn cancel(&self) -> bool {
        request_cancel(&self.task)
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

    /// Runs `callback` (through `call_soon`) when the task ends; at once (next iteration)
    /// if it already has.
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) {
        self.as_ref().add_done_callback(callback);
    }

    /// A type-erased handle to the same task.
    pub fn as_ref(&self) -> TaskRef {
        TaskRef {
            task: self.task.clone(),
        }
    }

    /// Polls without counting as an awaiter: used by [`shield`](crate::shield).
    pub(crate) fn poll_shielded(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        self.poll_output(cx)
    }
}

impl<T> std::future::Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.header().flags().set(Flag::HANDLE_AWAITED, true);
        let polled = self.poll_output(cx);
        if polled.is_pending() {
            crate::current::note_waiting_on(Task::as_ref(&self));
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let header = self.task.header();
        header.flags().set(Flag::HANDLE_ALIVE, false);
        if header.flags().get(Flag::HANDLE_AWAITED) && !header.done() {
            request_cancel(&self.task);
        } else if header.unretrieved_panic() {
            report_unretrieved(&self.as_ref());
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
pub(crate) fn report_unretrieved(task: &TaskRef) {
    let header = task.task.header();
    header.flags().set(Flag::RETRIEVED, true);
    let context = crate::ExceptionContext::new(
        "Task exception was never retrieved".to_owned(),
        Some(task.clone()),
        task.task.panic(),
    );
    match crate::current::loop_of(&header.wake.shared) {
        Some(event_loop) => event_loop.call_exception_handler(&context),
        None => crate::exception::default_exception_handler(&context),
    }
}

/// A type-erased, clonable handle to a task of any output type (asyncio's view of a task
/// in `all_tasks()` and `current_task()`). Holding one never cancels anything.
#[derive(Clone)]
pub struct TaskRef {
    pub(crate) task: TaskRc,
}

impl TaskRef {
    /// The task's name: `Task-N` unless one was given.
    pub fn name(&self) -> String {
        self.task.header().name()
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        self.task.header().set_name(name.into());
    }

    /// Asks the task to cancel; `false` if it is already done. See [`Task::cancel`].
    pub fn cancel(&self) -> bool {
        request_cancel(&self.task)
    }

    /// Whether the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.task.header().state() == State::Cancelled
    }

    /// Whether the task has ended.
    pub fn done(&self) -> bool {
        self.task.header().done()
    }

    /// Runs `callback` (through `call_soon`) when the task ends; next iteration if it
    /// already has.
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) {
        let header = self.task.header();
        if header.done() {
            if let Some(event_loop) = crate::current::loop_of(&header.wake.shared) {
                let task = self.clone();
                event_loop.call_soon(move || callback(&task));
            }
        } else {
            header.push_done_callback(Box::new(callback));
        }
    }

    /// Wakes `waker` when the task ends (immediately if it has).
    pub(crate) fn wake_when_done(&self, waker: &Waker) {
        let header = self.task.header();
        if header.done() {
            waker.wake_by_ref();
        } else {
            header.push_done_waker(waker);
        }
    }

    /// Whether two handles name the same task.
    pub fn ptr_eq(&self, other: &TaskRef) -> bool {
        self.task.ptr_eq(&other.task)
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.task.header().repr(f)
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &TaskRef) -> bool {
        self.ptr_eq(other)
    }
}

impl Eq for TaskRef {}
