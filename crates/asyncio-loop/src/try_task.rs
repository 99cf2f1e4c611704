//! Layer 2 (the parts the loop drives): tasks whose `Err` output is an exception in
//! asyncio's sense. Generic code cannot tell an `Err` from any other output (Rust has no
//! specialization), so a task that should be treated as failed when it returns `Err` says
//! so by being made with [`create_try_task`](crate::create_try_task): its future is wrapped
//! in [`TryTask`], which records the `Err` (its `Debug`) on the task as it finishes. Then
//! an `Err` nobody retrieves is reported like a panic nobody retrieves, `wait`'s
//! `FirstException` and `asyncio::run`'s shutdown see it, and [`TaskRef::failed`] says so.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context::with_running;

pin_project! {
    /// The future of a task made by `create_try_task`: `future`, recording an `Err` output
    /// on its task.
    #[must_use = "futures do nothing unless awaited"]
    pub struct TryTask<F> {
        #[pin]
        future: F,
    }
}

impl<F> TryTask<F> {
    pub(crate) fn new(future: F) -> TryTask<F> {
        TryTask { future }
    }
}

impl<T, E: Debug, F: Future<Output = Result<T, E>>> Future for TryTask<F> {
    type Output = Result<T, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, E>> {
        let polled = self.project().future.poll(cx);
        if let Poll::Ready(Err(error)) = &polled {
            let debug = format!("{error:?}");
            with_running(|scheduler| {
                if let Some(task) = scheduler.current_task() {
                    task.header().set_error(debug);
                }
            });
        }
        polled
    }
}
