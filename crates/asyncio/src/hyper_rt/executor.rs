//! [`HyperExecutor`]: hyper's `Executor` as tasks of the running loop.

use std::future::Future;

use asyncio_loop::create_task;

/// `hyper::rt::Executor` on our loop: each future hyper hands over becomes a task of the
/// running loop ([`create_task`](crate::create_task)), scheduled for the next iteration
/// and run to its end even though nobody keeps its handle.
///
/// Futures need not be `Send`: they stay on the loop's thread. A panic in one is caught and
/// reported by the loop's exception handler ("Task exception was never retrieved"), as for
/// any task whose result nobody reads; the loop goes on.
///
/// hyper's HTTP/1 server spawns nothing and needs no executor. HTTP/2
/// (`hyper::server::conn::http2::Builder::new(HyperExecutor)`, with hyper's `http2`
/// feature enabled by the application) runs each stream through it.
///
/// # Panics
///
/// `execute` panics with "no running event loop" outside a running loop, as
/// [`create_task`](crate::create_task) does.
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperExecutor;

impl<F> hyper::rt::Executor<F> for HyperExecutor
where
    F: Future + 'static,
{
    fn execute(&self, future: F) {
        // Dropping the handle detaches the task; it is not cancelled.
        drop(create_task(future));
    }
}
