//! `wait_for` and `shield`: a deadline for one awaitable, and protection from cancellation.
//!
//! Both are thin: the loop crate's [`timeout`](asyncio_loop::timeout) already cancels the
//! inner future and waits for that to finish before it reports the timeout (asyncio 3.11's
//! `wait_for`: a task it awaits is cancelled and waited for, catch scopes inside receive
//! the cancellation and may await their cleanup), and its
//! [`shield`](asyncio_loop::shield) already keeps a task alive when its awaiter goes away.
//! What the facade adds is asyncio's shape: `wait_for(timeout, coro)`, and `shield(coro)`
//! accepting any future, making it a task as asyncio's `ensure_future` does.

use std::future::Future;
use std::time::Duration;

use asyncio_loop::{Shield, Timeout, get_event_loop};

/// asyncio's `wait_for(aw, timeout)`: `fut`'s output, or `Err(TimeoutError)` after
/// `timeout`, by which time `fut` has been cancelled and its cleanup has run (see
/// [`timeout`](asyncio_loop::timeout)); if `fut` swallowed the cancellation, its output.
///
/// ```
/// use std::time::Duration;
///
/// let out = asyncio::run(async {
///     let slow = asyncio::sleep(Duration::from_secs(60));
///     asyncio::wait_for(Duration::from_millis(5), slow).await
/// })
/// .unwrap();
/// assert!(out.is_err(), "timed out");
/// ```
pub fn wait_for<F: Future>(timeout: Duration, fut: F) -> Timeout<F> {
    asyncio_loop::timeout(timeout, fut)
}

/// asyncio's `shield(aw)`: runs `fut` as a task and awaits it, except that dropping (or
/// timing out) the awaiting side does not cancel the task: it runs to its end. To shield a
/// task you already have, use [`shield_task`].
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
///
/// let finished = Rc::new(Cell::new(false));
/// let flag = finished.clone();
/// asyncio::run(async move {
///     let work = async move {
///         asyncio::sleep(Duration::from_millis(10)).await;
///         flag.set(true);
///     };
///     let out = asyncio::wait_for(Duration::from_millis(1), asyncio::shield(work)).await;
///     assert!(out.is_err(), "the wait timed out");
///     asyncio::sleep(Duration::from_millis(20)).await;
/// })
/// .unwrap();
/// assert!(finished.get(), "the shielded work went on");
/// ```
#[track_caller]
pub fn shield<F: Future + 'static>(fut: F) -> Shield<F::Output> {
    asyncio_loop::shield(get_event_loop().create_task(fut))
}

pub use asyncio_loop::shield as shield_task;
