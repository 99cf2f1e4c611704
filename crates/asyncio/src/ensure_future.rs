//! `ensure_future`: a task made whether or not a loop is running.

use std::future::Future;

use asyncio_loop::{Task, get_event_loop};

/// asyncio's `ensure_future(coro)`: wraps `fut` in a task on the running loop, or, outside
/// one, on the thread's event loop ([`get_event_loop`](crate::get_event_loop), which makes
/// one if needed); the task runs once that loop runs. Seed 000 relies on this to schedule
/// work before `run_until_complete`.
///
/// ```
/// let event_loop = asyncio::new_event_loop();
/// asyncio::set_event_loop(Some(&event_loop));
/// let task = asyncio::ensure_future(async { 40 + 2 });
/// assert!(!task.done(), "nothing runs before the loop does");
/// assert_eq!(event_loop.run_until_complete(task).unwrap().unwrap(), 42);
/// ```
///
/// # Panics
///
/// If that loop is closed, with asyncio's `RuntimeError` message, "Event loop is closed"
/// (`EventLoop::create_task`'s panic; `fut` is dropped unpolled). `gather` outside a
/// running loop makes its tasks the same way, and panics the same.
#[track_caller]
pub fn ensure_future<F: Future + 'static>(fut: F) -> Task<F::Output> {
    get_event_loop().create_task(fut)
}
