//! Watching tasks without awaiting them: the building block of `gather`, `as_completed`,
//! `wait` and `TaskGroup`.
//!
//! asyncio's combinators learn that a child finished through a done-callback, and only then
//! look at its result. [`Child`] does the same: a done-callback on the task marks it done and
//! wakes whoever waits on the shared [`Notify`]; the task's output is taken (by polling the
//! finished task, which is ready at once) only after that. A child that is never taken stays
//! un-awaited, so dropping its handle detaches the task instead of cancelling it: a
//! failing `try_gather` leaves its siblings running, as asyncio's `gather` does.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use asyncio_loop::{CancelTarget, DoneCallbackId, SharedTask, Task, TaskError, TaskId, TaskRef};

/// What a task waiting on children it does not own is suspended on, for the task dump
/// (`wait()`, a `TaskGroup`'s end): the children, nested under it. Cancelling the waiting
/// task cancels nothing through it (`cancel` is `false`), so each combinator's own rules
/// decide what happens to the children, as before. Made on the `Pending` path only.
pub(crate) struct WaitsFor {
    what: &'static str,
    tasks: Vec<TaskRef>,
}

impl WaitsFor {
    /// Records, for the running task, that it waits on `tasks` in `what`.
    pub(crate) fn note(what: &'static str, tasks: Vec<TaskRef>) {
        asyncio_loop::note_waiting_on(Rc::new(WaitsFor { what, tasks }));
    }
}

impl CancelTarget for WaitsFor {
    fn cancel(&self) -> bool {
        false
    }

    fn describe(&self) -> String {
        self.what.to_owned()
    }

    fn awaited_tasks(&self) -> Vec<TaskId> {
        self.tasks
            .iter()
            .filter(|t| !t.done())
            .map(TaskRef::id)
            .collect()
    }
}

/// Wakes the combinator waiting on its children, and remembers in which order they finished.
#[derive(Default)]
#[doc(hidden)]
pub struct Notify {
    waker: RefCell<Option<Waker>>,
    finished: RefCell<VecDeque<usize>>,
    /// How many children were handed out an index (by [`next_index`](Self::next_index)).
    children: Cell<usize>,
}

impl Notify {
    pub(crate) fn new() -> Rc<Self> {
        Rc::new(Self::default())
    }

    /// The index of the next child to watch (for combinators that number them as they go).
    pub(crate) fn next_index(&self) -> usize {
        let index = self.children.get();
        self.children.set(index + 1);
        index
    }

    /// Remembers `cx`'s waker as the one to wake when a child finishes.
    pub(crate) fn register(&self, cx: &Context<'_>) {
        let mut slot = self.waker.borrow_mut();
        match slot.as_ref() {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
    }

    /// The index of the next child that finished, in completion order.
    pub(crate) fn next_finished(&self) -> Option<usize> {
        self.finished.borrow_mut().pop_front()
    }

    fn child_finished(&self, index: usize) {
        self.finished.borrow_mut().push_back(index);
        let waker = self.waker.borrow().clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A handle [`wait`](crate::wait) can watch: a [`Task`] (its outcome is taken when it
/// finishes) or a [`SharedTask`] from [`Task::share`] (a clone of the outcome; the task's
/// owner keeps it, to await it again afterwards).
pub trait Waitable<T> {
    /// The task, type-erased.
    fn task_ref(&self) -> TaskRef;

    /// The outcome of the finished task (ready at once after it finished).
    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>>;
}

impl<T> Waitable<T> for Task<T> {
    fn task_ref(&self) -> TaskRef {
        self.as_ref()
    }

    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        Pin::new(self).poll(cx)
    }
}

impl<T: Clone> Waitable<T> for SharedTask<T> {
    fn task_ref(&self) -> TaskRef {
        self.task().clone()
    }

    fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        Pin::new(self).poll(cx)
    }
}

/// One watched task: its handle, whether its done-callback has run, and its output once
/// taken.
pub(crate) struct Child<T, W = Task<T>> {
    task: Option<W>,
    done: Rc<Cell<bool>>,
    /// The task and its done callback, removed when the child goes while the task still
    /// runs: a long-lived task must not collect callbacks nobody listens to (one per
    /// `wait` call, before).
    watched: TaskRef,
    callback: DoneCallbackId,
    output: PhantomData<fn() -> T>,
}

impl<T: 'static, W: Waitable<T>> Child<T, W> {
    /// Watches `task` as child number `index` of `notify`'s combinator.
    pub(crate) fn new(task: W, index: usize, notify: &Rc<Notify>) -> Self {
        let done = Rc::new(Cell::new(false));
        let flag = done.clone();
        let notify = notify.clone();
        let watched = task.task_ref();
        let callback = watched.add_done_callback(move |_| {
            flag.set(true);
            notify.child_finished(index);
        });
        Child {
            task: Some(task),
            done,
            watched,
            callback,
            output: PhantomData,
        }
    }
}

impl<T, W: Waitable<T>> Child<T, W> {
    /// Whether the task has finished (its done-callback ran).
    pub(crate) fn is_done(&self) -> bool {
        self.done.get()
    }

    /// Whether the output has been taken already.
    pub(crate) fn is_taken(&self) -> bool {
        self.task.is_none()
    }

    /// The task's outcome, once it has finished; taken at most once.
    pub(crate) fn take(&mut self, cx: &mut Context<'_>) -> Option<Result<T, TaskError>> {
        if !self.done.get() {
            return None;
        }
        let task = self.task.as_mut()?;
        match task.poll_outcome(cx) {
            Poll::Ready(output) => {
                self.task = None;
                Some(output)
            }
            // Done-callbacks run after the task finished, so this does not happen; waiting
            // for the wake it registered is the right answer if it ever does.
            Poll::Pending => None,
        }
    }

    /// The task, type-erased (its name, its repr).
    pub(crate) fn task_ref(&self) -> TaskRef {
        self.watched.clone()
    }

    /// The handle back, if the output was not taken.
    pub(crate) fn into_task(mut self) -> Option<W> {
        self.task.take()
    }
}

impl<T, W> Drop for Child<T, W> {
    fn drop(&mut self) {
        if !self.done.get() {
            self.watched.remove_done_callback(self.callback);
        }
    }
}

impl<T> Child<T> {
    /// [`take`](Self::take) outside a poll, for a combinator asked about its state (a
    /// gather's `done()` or `result()`): once the done-callback has run the task is
    /// finished, so its outcome is ready at the first poll and no waker is ever kept.
    pub(crate) fn take_now(&mut self) -> Option<Result<T, TaskError>> {
        self.take(&mut Context::from_waker(Waker::noop()))
    }
}
