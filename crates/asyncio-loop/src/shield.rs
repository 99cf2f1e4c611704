//! Layer 4 (the public surface): [`shield`], await a task without cancelling it when the awaiter goes away.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::TaskError;
use crate::task::Task;

/// Awaits `task` like awaiting it directly, except that dropping the `Shield` (the awaiter
/// was cancelled) leaves the task running (asyncio's `shield`).
///
/// ```
/// use asyncio_loop::{EventLoop, create_task, shield};
///
/// let out = EventLoop::new().run_until_complete(async {
///     shield(create_task(async { 7 })).await
/// });
/// assert_eq!(out, Ok(Ok(7)));
/// ```
pub fn shield<T>(task: Task<T>) -> Shield<T> {
    Shield { task }
}

/// The future of [`shield`].
#[must_use = "futures do nothing unless awaited"]
#[derive(Debug)]
pub struct Shield<T> {
    task: Task<T>,
}

impl<T> Shield<T> {
    /// The shielded task.
    pub fn task(&self) -> &Task<T> {
        &self.task
    }
}

impl<T> Future for Shield<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.task.poll_shielded(cx)
    }
}
