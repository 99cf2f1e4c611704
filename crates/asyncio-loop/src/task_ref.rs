//! Layer 2 (the parts the loop drives): [`TaskRef`], the type-erased handle to a task of
//! any output type, and cancellation, which both handles share. It reaches the task's loop
//! through `context.rs` (the `Schedule` trait), never the loop itself.

use std::fmt;
use std::sync::Arc;
use std::task::Waker;

use crate::callback::{CallbackCell, DoneCallbackId};
use crate::cancelling;
use crate::context::loop_of;
use crate::flags::State;
use crate::header::TaskRc;

/// Asks `task` to cancel: its future is dropped at its next step. Returns `false` when the
/// task is already done. If the task is suspended on another task, that one is cancelled
/// instead and this task's step waits for it to end, as asyncio does (`_fut_waiter`).
///
/// Each request counts towards [`TaskRef::cancelling`]; `message` (from `cancel_with`)
/// travels with the cancellation to the task's catch scopes.
pub(crate) fn request_cancel(task: &TaskRc, message: Option<Arc<str>>) -> bool {
    let header = task.header();
    if header.done() {
        return false;
    }
    cancelling::count_request(header, message.clone());
    let waiting_on = header.local.waiting_on.take();
    if let Some(inner) = waiting_on
        && request_cancel(&inner, message)
    {
        return true;
    }
    if let Some(target) = header.take_waiting_target()
        && target.cancel()
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
        request_cancel(&self.task, None)
    }

    /// [`cancel`](Self::cancel) with a message, which the task's catch scope receives in
    /// its [`CancelledError`](crate::CancelledError) (asyncio's `cancel(msg)`).
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        request_cancel(&self.task, Some(message.into()))
    }

    /// asyncio's `cancelling()`: how many cancel requests the task has had and not
    /// [`uncancel`](Self::uncancel)ed.
    pub fn cancelling(&self) -> u32 {
        cancelling::cancelling(self.task.header())
    }

    /// asyncio's `uncancel()`: takes back one cancel request, for code that caught a
    /// cancellation it sent itself (a timeout); returns the count left. It does not stop a
    /// cancellation already on its way.
    pub fn uncancel(&self) -> u32 {
        cancelling::uncancel(self.task.header())
    }

    /// Whether the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.task.header().state() == State::Cancelled
    }

    /// Whether the task has ended.
    pub fn done(&self) -> bool {
        self.task.header().done()
    }

    /// Whether the task ended with an exception in asyncio's sense: a panic, or the `Err`
    /// output of a task made by [`create_try_task`](crate::create_try_task). Not a
    /// cancellation, as asyncio's `exception()` is no exception for one.
    pub fn failed(&self) -> bool {
        self.task.header().failed()
    }

    /// Runs `callback` (through `call_soon`) when the task ends; next iteration if it
    /// already has.
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) -> DoneCallbackId {
        // contextvars: it runs in a copy of the context current now, as asyncio's.
        let callback = crate::in_context::bind_ref(callback);
        let header = self.task.header();
        if header.done() {
            if let Some(event_loop) = loop_of(&header.wake.shared) {
                let task = self.clone();
                let callback = CallbackCell::new_rc(move || callback(&task));
                event_loop.scheduler.call_soon(callback);
            }
            // Scheduled already: nothing left to remove (asyncio's list is empty too).
            DoneCallbackId(u64::MAX)
        } else {
            DoneCallbackId(header.push_done_callback(Box::new(move |task: &TaskRc| {
                callback(&TaskRef { task: task.clone() });
            })))
        }
    }

    /// asyncio's `remove_done_callback`: the callback `id` will not run, and is dropped
    /// now. Returns how many were removed: 1, or 0 once it is gone (removed already, or
    /// scheduled because the task ended). Code that watches a task for a while (`wait`, a
    /// gather) removes its callback when it stops watching, so a long-lived task does not
    /// collect callbacks nobody waits for.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, create_task, sleep};
    /// use std::time::Duration;
    ///
    /// EventLoop::new().run_until_complete(async {
    ///     let task = create_task(sleep(Duration::from_millis(1)));
    ///     let id = task.add_done_callback(|_| unreachable!("removed"));
    ///     assert_eq!(task.remove_done_callback(id), 1);
    ///     assert_eq!(task.remove_done_callback(id), 0);
    ///     task.await.unwrap();
    /// })
    /// .unwrap();
    /// ```
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        let removed = self.task.header().remove_done_callback(id.0);
        let count = usize::from(removed.is_some());
        // Dropped here, outside the task's extras: its `Drop` may reach the task again.
        drop(removed);
        count
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
