//! `TaskGroup`: structured concurrency, asyncio 3.11's `async with TaskGroup() as tg:`.
//!
//! Children are tasks like any other, wrapped so that the group hears how each ends: an `Err`
//! or a panic is a failure, recorded in the group, and the first failure cancels every other
//! child. [`TaskGroup::wait`] returns when all children have ended, with every failure, the
//! way asyncio raises an `ExceptionGroup`. Dropping the group (or its `wait` future) before
//! that cancels the children still running, so none outlives the group.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use asyncio_loop::{Task, TaskRef, get_event_loop};

use crate::child::WaitsFor;

/// A group of tasks that succeed or fail together. `E` is the children's error type.
///
/// [`task_group`](crate::task_group) is asyncio's `async with TaskGroup() as tg:` block,
/// body included; this type is the handle its body gets, and can also be used alone
/// (create tasks, then [`wait`](Self::wait)). Handles are clones of one group; the children
/// still running are cancelled when the last handle goes.
///
/// ```
/// use std::time::Duration;
///
/// let outcome = asyncio::run(async {
///     let group = asyncio::TaskGroup::new();
///     let ok = group.create_task(async { Ok::<_, String>(1) });
///     let slow = group.create_task(async {
///         asyncio::sleep(Duration::from_secs(60)).await;
///         Ok(2)
///     });
///     let bad = group.create_task(async { Err::<i32, _>("broken".to_string()) });
///     let result = group.wait().await;
///     (result, ok.await, slow.await, bad.await)
/// })
/// .unwrap();
/// let (result, ok, slow, bad) = outcome;
/// let error = result.unwrap_err();
/// assert_eq!(error.to_string(), "unhandled errors in a TaskGroup (1 sub-exception)");
/// assert_eq!(ok, Ok(Ok(1)), "finished before the failure");
/// assert!(slow.is_err(), "cancelled by the failure");
/// assert_eq!(bad.unwrap().unwrap_err().to_string(), "broken", "its handle has its error");
/// ```
pub struct TaskGroup<E> {
    handle: Rc<Handle<E>>,
}

/// What the last [`TaskGroup`] handle cancels when it goes.
struct Handle<E> {
    state: Rc<GroupState<E>>,
}

pub(crate) struct GroupState<E> {
    members: RefCell<Vec<TaskRef>>,
    /// Children whose done callback has not run yet.
    running: Cell<usize>,
    failures: RefCell<Vec<Failure<E>>>,
    /// A child failed and the others were cancelled (asyncio's `_aborting`).
    aborting: Cell<bool>,
    /// The task running the group's body ([`task_group`](crate::task_group)), cancelled
    /// once at the first failure, as asyncio's `_parent_task`.
    pub(crate) parent: RefCell<Option<TaskRef>>,
    pub(crate) parent_cancel_requested: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// How one child of a [`TaskGroup`] (or its body) failed. The error is shared between the
/// child's own handle and the group's report, as one exception object is in asyncio.
#[derive(Debug, PartialEq)]
pub enum Failure<E> {
    /// It returned this `Err`.
    Error(Rc<E>),
    /// It panicked with this message.
    Panicked(String),
}

impl<E> Clone for Failure<E> {
    fn clone(&self) -> Self {
        match self {
            Failure::Error(e) => Failure::Error(Rc::clone(e)),
            Failure::Panicked(message) => Failure::Panicked(message.clone()),
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "{e}"),
            Failure::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Failure<E> {}

/// Every failure of a [`TaskGroup`], in the order they happened (asyncio's
/// `ExceptionGroup`). Its `Display` is asyncio's ("unhandled errors in a TaskGroup (2
/// sub-exceptions)"); the failures themselves are in `failures` and in `Debug`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskGroupError<E> {
    /// The failures; never empty.
    pub failures: Vec<Failure<E>>,
}

impl<E> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        let plural = if n == 1 { "" } else { "s" };
        write!(
            f,
            "unhandled errors in a TaskGroup ({n} sub-exception{plural})"
        )
    }
}

impl<E: fmt::Debug + fmt::Display + 'static> std::error::Error for TaskGroupError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.failures
            .first()
            .map(|failure| failure as &(dyn std::error::Error + 'static))
    }
}

impl<E: 'static> Default for TaskGroup<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            handle: Rc::clone(&self.handle),
        }
    }
}

impl<E: 'static> TaskGroup<E> {
    /// An empty group.
    pub fn new() -> Self {
        let state = Rc::new(GroupState {
            members: RefCell::new(Vec::new()),
            running: Cell::new(0),
            failures: RefCell::new(Vec::new()),
            aborting: Cell::new(false),
            parent: RefCell::new(None),
            parent_cancel_requested: Cell::new(false),
            waker: RefCell::new(None),
        });
        TaskGroup {
            handle: Rc::new(Handle { state }),
        }
    }

    pub(crate) fn state(&self) -> &Rc<GroupState<E>> {
        &self.handle.state
    }

    /// asyncio's `tg.create_task(coro)`: runs `fut` as a task of the group. Its task gives
    /// `Ok(value)`, or `Err(failure)` if it failed (the same failure goes to the group, to
    /// be reported by [`wait`](Self::wait)); it is cancelled if the group cancels it. A
    /// child added once the group is shutting down after a failure is cancelled at once.
    #[track_caller]
    pub fn create_task<T, F>(&self, fut: F) -> Task<Result<T, Failure<E>>>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        let state = Rc::clone(self.state());
        state.running.set(state.running.get() + 1);
        let failed = Rc::new(Cell::new(false));
        let member = Member {
            state: Rc::clone(&state),
            failed: Rc::clone(&failed),
            fut: Box::pin(fut),
        };
        let task = get_event_loop().create_task(member);
        let on_done = Rc::clone(&state);
        task.add_done_callback(move |_| on_done.child_done(failed.get()));
        if state.aborting.get() {
            task.cancel();
        }
        state.members.borrow_mut().push(task.as_ref());
        task
    }

    /// Whether a child has failed (the others are then being cancelled).
    pub fn failed(&self) -> bool {
        !self.state().failures.borrow().is_empty()
    }

    /// The end of asyncio's `async with` block for a group used alone: waits until every
    /// child has ended (their cleanup included), then gives `Err` with every failure if any
    /// child failed. Cancel safety: dropping it leaves the group as it was.
    pub fn wait(self) -> GroupWait<E> {
        GroupWait { group: Some(self) }
    }
}

impl<E> GroupState<E> {
    /// Records a failure (the group reacts when the loop runs the child's done callback).
    pub(crate) fn record(&self, failure: Failure<E>) {
        self.failures.borrow_mut().push(failure);
    }

    /// asyncio's `_on_task_done`: the next iteration after a child ended.
    fn child_done(&self, failed: bool) {
        self.running.set(self.running.get() - 1);
        // Forget finished children once they are most of the list, so a long-lived group
        // holds what runs, not everything it ever ran (amortized O(1) per child).
        let mut members = self.members.borrow_mut();
        if members.len() > 2 * self.running.get() + 16 {
            members.retain(|member| !member.done());
        }
        drop(members);
        if self.running.get() == 0
            && let Some(waker) = self.waker.borrow_mut().take()
        {
            waker.wake();
        }
        if failed && !self.aborting.get() {
            self.abort();
            let parent = self.parent.borrow().clone();
            if let Some(parent) = parent
                && !self.parent_cancel_requested.replace(true)
            {
                parent.cancel();
            }
        }
    }

    /// Cancels every child still running (asyncio's `_abort`).
    pub(crate) fn abort(&self) {
        self.aborting.set(true);
        // Clone the list out: cancelling may run code that adds to the group.
        let members = self.members.borrow().clone();
        for member in members.iter().filter(|m| !m.done()) {
            member.cancel();
        }
    }

    /// Waits until no child is running.
    pub(crate) fn poll_idle(&self, cx: &Context<'_>) -> Poll<()> {
        if self.running.get() == 0 {
            return Poll::Ready(());
        }
        *self.waker.borrow_mut() = Some(cx.waker().clone());
        WaitsFor::note("TaskGroup", self.members.borrow().clone());
        Poll::Pending
    }

    /// Every failure so far, taken.
    pub(crate) fn take_failures(&self) -> Vec<Failure<E>> {
        std::mem::take(&mut *self.failures.borrow_mut())
    }
}

/// One child: the user's future, and the group it reports a failure to.
struct Member<F, E> {
    state: Rc<GroupState<E>>,
    failed: Rc<Cell<bool>>,
    fut: Pin<Box<F>>,
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for Member<F, E> {
    type Output = Result<T, Failure<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // A panic is a failure like an `Err`: caught here so the group hears of it. The future
        // is not polled again after a panic, so no broken state is observed.
        let failure = match catch_unwind(AssertUnwindSafe(|| this.fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(Ok(value))) => return Poll::Ready(Ok(value)),
            Ok(Poll::Ready(Err(error))) => Failure::Error(Rc::new(error)),
            Err(payload) => Failure::Panicked(panic_message(&*payload)),
        };
        this.failed.set(true);
        this.state.record(failure.clone());
        Poll::Ready(Err(failure))
    }
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_string()
    }
}

/// The future of [`TaskGroup::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct GroupWait<E> {
    group: Option<TaskGroup<E>>,
}

impl<E> Unpin for GroupWait<E> {}

impl<E: 'static> Future for GroupWait<E> {
    type Output = Result<(), TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let group = this
            .group
            .as_ref()
            .expect("GroupWait polled after it completed");
        let state = group.state();
        if state.poll_idle(cx).is_pending() {
            return Poll::Pending;
        }
        let failures = state.take_failures();
        this.group = None;
        if failures.is_empty() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Ready(Err(TaskGroupError { failures }))
        }
    }
}

impl<E> Drop for Handle<E> {
    fn drop(&mut self) {
        // The last handle is gone (dropped, or its wait cancelled): no child outlives the
        // group.
        if self.state.running.get() > 0 {
            self.state.abort();
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = &self.handle.state;
        f.debug_struct("TaskGroup")
            .field("running", &state.running.get())
            .field("failures", &state.failures.borrow().len())
            .finish()
    }
}

impl<E> fmt::Debug for GroupWait<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupWait").finish_non_exhaustive()
    }
}
