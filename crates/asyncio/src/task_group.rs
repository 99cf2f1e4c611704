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

/// A group of tasks that succeed or fail together. `E` is the children's error type.
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
///     group.create_task(async { Err::<i32, _>("broken".to_string()) });
///     let result = group.wait().await;
///     (result, ok.await.unwrap(), slow.await)
/// })
/// .unwrap();
/// let (result, ok, slow) = outcome;
/// assert_eq!(result.unwrap_err().to_string(), "TaskGroup: 1 child failed: broken");
/// assert_eq!(ok, Some(1), "finished before the failure");
/// assert!(slow.is_err(), "cancelled by the failure");
/// ```
pub struct TaskGroup<E> {
    state: Rc<GroupState<E>>,
}

struct GroupState<E> {
    members: RefCell<Vec<TaskRef>>,
    running: Cell<usize>,
    failures: RefCell<Vec<Failure<E>>>,
    waker: RefCell<Option<Waker>>,
}

/// How one child of a [`TaskGroup`] failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure<E> {
    /// It returned this `Err`.
    Error(E),
    /// It panicked with this message.
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "{e}"),
            Failure::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}

/// Every failure of a [`TaskGroup`], in the order they happened (asyncio's
/// `ExceptionGroup`).
#[derive(Debug, Clone, PartialEq)]
pub struct TaskGroupError<E> {
    /// The failures; never empty.
    pub failures: Vec<Failure<E>>,
}

impl<E: fmt::Display> fmt::Display for TaskGroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.failures.len();
        write!(
            f,
            "TaskGroup: {n} child{} failed: ",
            if n == 1 { "" } else { "ren" }
        )?;
        for (i, failure) in self.failures.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for TaskGroupError<E> {}

impl<E: 'static> Default for TaskGroup<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: 'static> TaskGroup<E> {
    /// An empty group.
    pub fn new() -> Self {
        TaskGroup {
            state: Rc::new(GroupState {
                members: RefCell::new(Vec::new()),
                running: Cell::new(0),
                failures: RefCell::new(Vec::new()),
                waker: RefCell::new(None),
            }),
        }
    }

    /// asyncio's `tg.create_task(coro)`: runs `fut` as a task of the group. Its task gives
    /// `Some(value)` on success, `None` if it failed (the failure goes to the group, to be
    /// reported by [`wait`](Self::wait)) and `Err(Cancelled)` if the group cancelled it. A
    /// child added after the group failed is cancelled at once.
    pub fn create_task<T, F>(&self, fut: F) -> Task<Option<T>>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        let state = self.state.clone();
        state.running.set(state.running.get() + 1);
        let member = Member {
            guard: MemberGuard {
                state: self.state.clone(),
            },
            fut: Box::pin(fut),
        };
        let task = get_event_loop().create_task(member);
        if self.failed() {
            task.cancel();
        }
        self.state.members.borrow_mut().push(task.as_ref());
        task
    }

    /// Whether a child has failed (the others are then being cancelled).
    pub fn failed(&self) -> bool {
        !self.state.failures.borrow().is_empty()
    }

    /// The end of asyncio's `async with` block: waits until every child has ended, then
    /// gives `Err` with every failure if any child failed.
    pub fn wait(self) -> GroupWait<E> {
        GroupWait { group: Some(self) }
    }
}

impl<E> GroupState<E> {
    fn fail(&self, failure: Failure<E>) {
        let first = self.failures.borrow().is_empty();
        self.failures.borrow_mut().push(failure);
        if first {
            // Clone the list out: cancelling may run code that adds to the group.
            let members = self.members.borrow().clone();
            for member in members {
                member.cancel();
            }
        }
    }

    fn cancel_all(&self) {
        let members = self.members.borrow().clone();
        for member in members {
            member.cancel();
        }
    }
}

/// One child: the user's future, and the guard that tells the group when it ends however it
/// ends (returned, failed, or dropped by a cancellation).
struct Member<F, E> {
    guard: MemberGuard<E>,
    fut: Pin<Box<F>>,
}

struct MemberGuard<E> {
    state: Rc<GroupState<E>>,
}

impl<E> Drop for MemberGuard<E> {
    fn drop(&mut self) {
        let state = &self.state;
        state.running.set(state.running.get() - 1);
        if state.running.get() == 0 {
            if let Some(waker) = state.waker.borrow_mut().take() {
                waker.wake();
            }
        }
    }
}

impl<T, E, F: Future<Output = Result<T, E>>> Future for Member<F, E> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        // A panic is a failure like an `Err`: caught here so the group hears of it. The future
        // is not polled again after a panic, so no broken state is observed.
        match catch_unwind(AssertUnwindSafe(|| this.fut.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(Ok(value))) => Poll::Ready(Some(value)),
            Ok(Poll::Ready(Err(error))) => {
                this.guard.state.fail(Failure::Error(error));
                Poll::Ready(None)
            }
            Err(payload) => {
                this.guard
                    .state
                    .fail(Failure::Panicked(panic_message(&*payload)));
                Poll::Ready(None)
            }
        }
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

impl<E> Future for GroupWait<E> {
    type Output = Result<(), TaskGroupError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let group = this
            .group
            .as_ref()
            .expect("GroupWait polled after it completed");
        let state = &group.state;
        if state.running.get() > 0 {
            *state.waker.borrow_mut() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        let failures = std::mem::take(&mut *state.failures.borrow_mut());
        this.group = None;
        if failures.is_empty() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Ready(Err(TaskGroupError { failures }))
        }
    }
}

impl<E> Drop for TaskGroup<E> {
    fn drop(&mut self) {
        // Leaving the group early (dropped, or its wait cancelled): no child outlives it.
        if self.state.running.get() > 0 {
            self.state.cancel_all();
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("running", &self.state.running.get())
            .field("failures", &self.state.failures.borrow().len())
            .finish()
    }
}

impl<E> fmt::Debug for GroupWait<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupWait").finish_non_exhaustive()
    }
}
