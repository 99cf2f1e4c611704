//! Futures of tokio-based crates inside our loop (cargo feature `tokio`, off by default).
//!
//! A future from a tokio-based crate (`tokio::net`, `tokio::time`, hyper-util's client,
//! reqwest, ...) expects a tokio runtime around it: it registers its sockets with tokio's
//! reactor and its timers with tokio's timer, found through a thread-local "current
//! runtime". Polled by our loop with nothing around it, it panics ("there is no reactor
//! running, must be called from the context of a Tokio 1.x runtime").
//!
//! [`tokio_compat`] (or `.compat()` from [`CompatExt`]) wraps such a future so that the
//! runtime is entered around each of its polls and around its drop. This is the
//! [`async-compat`](https://docs.rs/async-compat) crate, re-exported: the runtime is one
//! per process, a current-thread tokio runtime started on first use and driven by a
//! background thread (`async-compat/tokio-1`); when the wrapped future is polled where a
//! tokio runtime is already current, that one is used instead. One per process rather than
//! one per loop: the runtime is only a reactor and a timer for the futures' wake-ups, never
//! where our tasks run, so every loop of the process (a loop per thread, per core) can
//! share one thread for it instead of starting one each.
//!
//! The wrapped future still runs on our loop, as a step of the task awaiting it: only its
//! wake-ups come from tokio's thread. When its socket is ready or its timer fires, the
//! background thread wakes our task's waker, which is a cross-thread wake (one hop into
//! the loop's injection queue, and an `eventfd` write if the loop sleeps). That hop, and
//! the one thread, are the cost.
//!
//! Cancel safety: dropping the wrapper drops the inner future inside the runtime's
//! context (async-compat enters it for the drop), so cancelling a task that awaits one,
//! or a [`wait_for`](crate::wait_for) timing out, is as safe as dropping the tokio future
//! on tokio: whatever that future's own cancel safety is (tokio documents it per method).
//!
//! What does not work: anything that needs our task to be a tokio task. `tokio::spawn`
//! from inside a wrapped future spawns onto the background runtime (the spawned future
//! must be `Send`, runs on tokio's thread, and sees no running asyncio loop there);
//! `tokio::task::spawn_local` panics (it needs a `LocalSet` running the current task);
//! `tokio::task::block_in_place` panics (the runtime is current-thread; `async-compat`'s
//! `multi-thread` feature changes that); `tokio::runtime::Handle::block_on` blocks our
//! loop's thread like any blocking call.
//!
//! Make the tokio futures inside the wrapper, in an `async` block: some of tokio's
//! constructors look for the runtime when they are called, not when their future is
//! first polled (`tokio::time::sleep`, `tokio::time::timeout`, `tokio::spawn`), and
//! `tokio_compat(tokio::time::sleep(d))` panics with tokio's "there is no reactor running"
//! before the wrapper is even made.
//!
//! ```
//! use std::time::Duration;
//! use asyncio::CompatExt;
//!
//! let slept = asyncio::run(async {
//!     // tokio's own timer, inside asyncio::run.
//!     asyncio::tokio_compat(async { tokio::time::sleep(Duration::from_millis(5)).await }).await;
//!     // The same through the extension trait.
//!     async { tokio::time::sleep(Duration::from_millis(5)).await }.compat().await;
//!     "slept"
//! });
//! assert_eq!(slept.unwrap(), "slept");
//! ```

use std::future::Future;

pub use async_compat::{Compat, CompatExt};

/// Wraps a future of a tokio-based crate so it runs inside our loop: the background tokio
/// runtime (started on first use) is entered around each of its polls and its drop. The
/// same as `future.compat()` ([`CompatExt`]). Make the tokio futures inside it (an
/// `async` block), as some of tokio's constructors need the runtime when called. See the
/// [module](crate::compat) documentation.
///
/// Cancel safety: dropping the wrapper drops `future` inside tokio's context, so it is as
/// cancel safe as `future` is on tokio.
///
/// ```
/// let out = asyncio::run(asyncio::tokio_compat(async {
///     tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///     42
/// }));
/// assert_eq!(out.unwrap(), 42);
/// ```
pub fn tokio_compat<F: Future>(future: F) -> Compat<F> {
    Compat::new(future)
}
