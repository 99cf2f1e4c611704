//! `wait`: wait for a set of tasks until the first finishes, the first fails, or all do,
//! with an optional timeout, and get them back split into `(done, pending)`.
//!
//! Unlike `gather`, `wait` takes tasks (asyncio 3.11 accepts only tasks and futures here
//! too) and never cancels them: the `pending` ones come back still running. The `done` ones
//! come back as [`Done`]: the task with its outcome already taken, which is what a Python
//! program asks each done task for next (`t.result()`), and what `FIRST_EXCEPTION` needs to
//! look at.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio_loop::{Sleep, Task, TaskError, TaskRef};

use crate::child::{Child, Notify, Waitable, WaitsFor};

/// When [`wait`] returns, as asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task finishes (or is cancelled).
    FirstCompleted,
    /// As soon as any task fails (a panic, or the `Err` of a task made by
    /// [`create_try_task`](crate::create_try_task)); when none does, once all have
    /// finished. A cancelled task does not count, as in asyncio.
    FirstException,
    /// Once every task has finished.
    AllCompleted,
}

/// asyncio's `wait(aws, timeout=None, return_when=ALL_COMPLETED)`: waits for `tasks` as
/// `return_when` says, or until `timeout` has passed, and gives `(done, pending)`, each in
/// the order the tasks were given. Timing out is not an error: the unfinished tasks are in
/// `pending`, still running.
///
/// ```
/// use std::time::Duration;
/// use asyncio::ReturnWhen;
///
/// asyncio::run(async {
///     let quick = asyncio::create_task(async { "quick" });
///     let slow = asyncio::create_task(async {
///         asyncio::sleep(Duration::from_secs(60)).await;
///         "slow"
///     });
///     let (done, pending) = asyncio::wait([quick, slow], ReturnWhen::FirstCompleted, None).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!(done.into_iter().next().unwrap().result(), Ok("quick"));
///     assert_eq!(pending.len(), 1);
///     pending[0].cancel();
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// When awaited with no task at all, with asyncio's `ValueError` message, "Set of
/// Tasks/Futures is empty." (asyncio raises it when the coroutine runs, so this panics at
/// the first poll, not at the call). A panic, as for `Wait`'s other misuse (a poll after it
/// returned): it is the caller's mistake, and `wait` has no error to return otherwise.
pub fn wait<T, I>(tasks: I, return_when: ReturnWhen, timeout: Option<Duration>) -> Wait<T, I::Item>
where
    I: IntoIterator,
    I::Item: Waitable<T>,
    T: 'static,
{
    let notify = Notify::new();
    let children: Vec<_> = tasks
        .into_iter()
        .enumerate()
        .map(|(index, task)| Child::new(task, index, &notify))
        .collect();
    Wait {
        outcomes: children.iter().map(|_| None).collect(),
        children,
        notify,
        return_when,
        timeout: timeout.map(|d| Box::pin(asyncio_loop::sleep(d))),
        returned: false,
    }
}

/// A task [`wait`] saw finish, with its outcome.
pub struct Done<T> {
    task: TaskRef,
    outcome: Result<T, TaskError>,
}

impl<T> Done<T> {
    /// asyncio's `task.result()`: the task's output, or how it failed.
    pub fn result(self) -> Result<T, TaskError> {
        self.outcome
    }

    /// The outcome, borrowed.
    pub fn outcome(&self) -> &Result<T, TaskError> {
        &self.outcome
    }

    /// Whether the task was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(self.outcome, Err(TaskError::Cancelled))
    }

    /// The task itself (its name, its repr).
    pub fn task(&self) -> &TaskRef {
        &self.task
    }
}

impl<T: fmt::Debug> fmt::Debug for Done<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("task", &self.task)
            .field("outcome", &self.outcome)
            .finish()
    }
}

/// The future of [`wait`]. Dropping it never cancels the tasks it watches.
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T, W = Task<T>> {
    children: Vec<Child<T, W>>,
    outcomes: Vec<Option<Result<T, TaskError>>>,
    notify: Rc<Notify>,
    return_when: ReturnWhen,
    timeout: Option<Pin<Box<Sleep>>>,
    returned: bool,
}

impl<T, W> Unpin for Wait<T, W> {}

impl<T: 'static, W: Waitable<T>> Future for Wait<T, W> {
    type Output = (Vec<Done<T>>, Vec<W>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        assert!(!this.returned, "Wait polled after it completed");
        assert!(!this.children.is_empty(), "Set of Tasks/Futures is empty.");
        this.notify.register(cx);
        let mut failed = false;
        while let Some(index) = this.notify.next_finished() {
            if let Some(outcome) = this.children[index].take(cx) {
                failed |= this.children[index].task_ref().failed();
                this.outcomes[index] = Some(outcome);
            }
        }
        let finished = this.outcomes.iter().filter(|o| o.is_some()).count();
        let all_done = finished == this.children.len();
        let ready = all_done
            || match this.return_when {
                ReturnWhen::FirstCompleted => finished > 0,
                ReturnWhen::FirstException => failed,
                ReturnWhen::AllCompleted => false,
            };
        let timed_out = this
            .timeout
            .as_mut()
            .is_some_and(|t| t.as_mut().poll(cx).is_ready());
        if ready || timed_out {
            this.returned = true;
            return Poll::Ready(this.split());
        }
        // For the task dump (after the timeout's sleep, which would say "sleep").
        WaitsFor::note(
            "wait()",
            this.children.iter().map(|c| c.task_ref()).collect(),
        );
        Poll::Pending
    }
}

impl<T, W: Waitable<T>> Wait<T, W> {
    fn split(&mut self) -> (Vec<Done<T>>, Vec<W>) {
        let mut done = Vec::new();
        let mut pending = Vec::new();
        let children = std::mem::take(&mut self.children);
        for (child, outcome) in children.into_iter().zip(self.outcomes.drain(..)) {
            match outcome {
                Some(outcome) => done.push(Done {
                    task: child.task_ref(),
                    outcome,
                }),
                None => pending.extend(child.into_task()),
            }
        }
        (done, pending)
    }
}

impl<T, W> fmt::Debug for Wait<T, W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("return_when", &self.return_when)
            .finish()
    }
}
