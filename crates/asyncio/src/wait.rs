//! `wait`: wait for a set of tasks until the first finishes, the first fails, or all do,
//! with an optional timeout, and get them back split into `(done, pending)`.
//!
//! Unlike `gather`, `wait` takes tasks and gives the same tasks back (asyncio 3.11 accepts
//! only tasks and futures here too): the outputs stay inside the `done` tasks until they are
//! awaited, and the `pending` ones keep running.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio_loop::{Sleep, Task};

use crate::child::{Child, Notify};

/// When [`wait`] returns, as asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnWhen {
    /// As soon as any task finishes (or is cancelled).
    FirstCompleted,
    /// As soon as any task finishes by panicking; when none does, once all have finished.
    /// (A cancelled task does not count, as in asyncio.)
    FirstException,
    /// Once every task has finished.
    AllCompleted,
}

/// asyncio's `wait(aws, timeout=None, return_when=ALL_COMPLETED)`: waits for `tasks` as
/// `return_when` says, or until `timeout` has passed, and gives `(done, pending)`, each in
/// the order the tasks were given. Timing out is not an error: the unfinished tasks are in
/// `pending`, still running. `wait` never cancels anything.
///
/// ```
/// use std::time::Duration;
/// use asyncio::ReturnWhen;
///
/// asyncio::run(async {
///     let quick = asyncio::create_task(asyncio::sleep(Duration::from_millis(1)));
///     let slow = asyncio::create_task(asyncio::sleep(Duration::from_secs(60)));
///     let (done, pending) = asyncio::wait([quick, slow], ReturnWhen::FirstCompleted, None).await;
///     assert_eq!((done.len(), pending.len()), (1, 1));
///     pending[0].cancel();
/// })
/// .unwrap();
/// ```
pub fn wait<T, I>(tasks: I, return_when: ReturnWhen, timeout: Option<Duration>) -> Wait<T>
where
    I: IntoIterator<Item = Task<T>>,
    T: 'static,
{
    let notify = Notify::new();
    let children = tasks
        .into_iter()
        .enumerate()
        .map(|(index, task)| Child::new(task, index, &notify))
        .collect();
    Wait {
        children: Some(children),
        notify,
        return_when,
        timeout: timeout.map(|d| Box::pin(asyncio_loop::sleep(d))),
    }
}

/// The future of [`wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    children: Option<Vec<Child<T>>>,
    notify: Rc<Notify>,
    return_when: ReturnWhen,
    timeout: Option<Pin<Box<Sleep>>>,
}

impl<T> Unpin for Wait<T> {}

impl<T: 'static> Future for Wait<T> {
    type Output = (Vec<Task<T>>, Vec<Task<T>>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let children = this.children.as_ref().expect("Wait polled after it completed");
        this.notify.register(cx);
        let mut finished_now = false;
        while let Some(index) = this.notify.next_finished() {
            finished_now = true;
            if this.return_when == ReturnWhen::FirstException && children[index].panicked() {
                return Poll::Ready(this.split());
            }
        }
        let all_done = children.iter().all(Child::is_done);
        let ready = match this.return_when {
            ReturnWhen::FirstCompleted => finished_now || children.iter().any(Child::is_done),
            ReturnWhen::FirstException => {
                all_done || children.iter().any(|c| c.is_done() && c.panicked())
            }
            ReturnWhen::AllCompleted => all_done,
        };
        let timed_out = this.timeout.as_mut().is_some_and(|t| t.as_mut().poll(cx).is_ready());
        if ready || all_done || timed_out {
            return Poll::Ready(this.split());
        }
        Poll::Pending
    }
}

impl<T> Wait<T> {
    fn split(&mut self) -> (Vec<Task<T>>, Vec<Task<T>>) {
        let mut done = Vec::new();
        let mut pending = Vec::new();
        for child in self.children.take().unwrap_or_default() {
            let finished = child.is_done();
            if let Some(task) = child.into_task() {
                if finished { done.push(task) } else { pending.push(task) }
            }
        }
        (done, pending)
    }
}

impl<T> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait").field("return_when", &self.return_when).finish()
    }
}
