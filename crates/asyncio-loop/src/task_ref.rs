//! Layer 2 (the parts the loop drives): [`TaskRef`], the type-erased handle to a task of
//! any output type, and cancellation, which both handles share. It reaches the task's loop
//! through `context.rs` (the `Schedule` trait), never the loop itself.

use std::fmt;
use std::task::Waker;

use crate::callback::CallbackCell;
use crate::context::loop_of;
use crate::flags::{Flag, State};
use crate::header::TaskRc;

/// Asks `task` to cancel: its future is dropped at its next step. Returns `false` when the
/// task is already done. If the task is suspended on another task, that one is cancelled
/// instead and this task's step waits for it to end, as asyncio does (`_fut_waiter`).
pub(crate) fn request_cancel(task: &TaskRc) -> bool {
    let header = task.header();
    if header.done() {
        return false;
    }
    header.flags().set(Flag::CANCEL_REQUESTED, true);
    let waiting_on = header.local.waiting_on.take();
    if let Some(inner) = waiting_on
        && request_cancel(&inner)
    {
        return true;
    }
    if let Some(event_loop) = loop_of(&header.wake.shared) {
        event_loop.queue.schedule(task);
    }
    true
}

/// A type-erased, clonable handle to a task of any output type (asyncio's view of a task
/// in `all_tasks()` and `current_task()`). Holding one never cancels anything.
///
/// ```
/// use asyncio_loop::{EventLoop, create_task, current_task};
///
/// let event_loop = EventLoop::new();
/// let name = event_loop.run_until_complete(async {
///     let task = create_task(async { current_task().unwrap().name() });
///     let handle = task.as_ref();
///     handle.set_name("worker");
///     task.await.unwrap()
/// });
/// assert_eq!(name, Ok("worker".to_owned()));
/// ```
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

    /// Asks the task to cancel; `false` if it is already done. See
    /// [`Task::cancel`](crate::Task::cancel).
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
        // contextvars: it runs in a copy of the context current now, as asyncio's.
        let callback = crate::in_context::bind_ref(callback);
        let header = self.task.header();
        if header.done() {
            if let Some(event_loop) = loop_of(&header.wake.shared) {
                let task = self.clone();
                let callback = CallbackCell::new_rc(move || callback(&task));
                event_loop.scheduler.call_soon(callback);
            }
        } else {
            header.push_done_callback(Box::new(move |task: &TaskRc| {
                callback(&TaskRef { task: task.clone() });
            }));
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
