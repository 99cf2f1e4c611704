//! [`task_group`]: asyncio 3.11's whole `async with TaskGroup() as tg:` block, body
//! included. The body runs inside a catch scope, so the group can do what asyncio's does:
//! cancel the body when a child fails, cancel the children when the body fails, and in
//! every case wait for all of them (their cleanup included) before it reports.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use asyncio_loop::{CancelledError, catch_cancelled, current_task};

use crate::task_group::{Failure, TaskGroup, TaskGroupError, panic_message};

/// asyncio's `async with asyncio.TaskGroup() as tg: <body>`: runs `body` with a handle to
/// a new group, then waits for every child the body created.
///
/// - A child that fails (an `Err` or a panic) makes the group cancel the other children
///   and the body, when the loop runs that child's done callback (the next iteration), as
///   asyncio does; the body receives the cancellation in its own catch scopes if it has
///   any.
/// - A body that fails (returns `Err` or panics) makes the group cancel the children; its
///   failure is reported with theirs.
/// - The group returns only once every child has ended, cleanup included; then `Err` with
///   every failure (asyncio's `ExceptionGroup`), else the body's value.
/// - A cancellation of the task from outside is passed on once the children are done
///   (unless a failure is to be reported, which wins, as in asyncio).
///
/// Cancel safety: dropping the future drops the body and the group's last handle, which
/// cancels the children without waiting for them; await it to wait.
///
/// ```
/// use std::time::Duration;
///
/// let out = asyncio::run(asyncio::task_group(|tg| async move {
///     let a = tg.create_task(async { Ok::<_, String>(1) });
///     tg.create_task(async {
///         asyncio::sleep(Duration::from_millis(1)).await;
///         Err::<(), _>("failed".to_string())
///     });
///     asyncio::sleep(Duration::from_secs(3600)).await; // cancelled by the failure
///     Ok(a)
/// }))
/// .unwrap();
/// let error = out.unwrap_err();
/// assert_eq!(error.to_string(), "unhandled errors in a TaskGroup (1 sub-exception)");
/// assert_eq!(error.failures[0].to_string(), "failed");
/// ```
pub async fn task_group<T, E, F, Fut>(body: F) -> Result<T, TaskGroupError<E>>
where
    E: 'static,
    F: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let group = TaskGroup::new();
    let state = std::rc::Rc::clone(group.state());
    *state.parent.borrow_mut() = current_task();
    let body = CatchPanic(Box::pin(body(group.clone())));
    let mut propagate: Option<CancelledError> = None;
    let mut value = None;
    match catch_cancelled(body).await {
        Ok(Ok(Ok(output))) => value = Some(output),
        Ok(Ok(Err(error))) => {
            state.record(Failure::Error(std::rc::Rc::new(error)));
            state.abort();
        }
        Ok(Err(panic)) => {
            state.record(Failure::Panicked(panic));
            state.abort();
        }
        Err(cancelled) => {
            // The group's own cancellation of the body (after a child failed) is taken
            // back; any other is passed on once the children are done.
            let ours = state.parent_cancel_requested.get()
                && state
                    .parent
                    .borrow()
                    .as_ref()
                    .is_none_or(|t| t.uncancel() == 0);
            if !ours {
                propagate = Some(cancelled);
                state.abort();
            }
        }
    }
    loop {
        match catch_cancelled(Idle(&state)).await {
            Ok(()) => break,
            Err(cancelled) => {
                propagate = Some(cancelled);
                state.abort();
            }
        }
    }
    drop(group);
    let failures = state.take_failures();
    if !failures.is_empty() {
        return Err(TaskGroupError { failures });
    }
    if let Some(cancelled) = propagate {
        return cancelled.reraise().await;
    }
    Ok(value.expect("the body finished: a cancellation of it comes from a failure"))
}

/// Waits until the group has no child running.
struct Idle<'a, E>(&'a crate::task_group::GroupState<E>);

impl<E> Future for Idle<'_, E> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll_idle(cx)
    }
}

/// The body, with a panic caught as its failure (the group then cancels the children).
struct CatchPanic<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchPanic<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
            Ok(polled) => polled.map(Ok),
            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
        }
    }
}
