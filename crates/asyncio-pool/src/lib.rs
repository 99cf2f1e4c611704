//! A thread pool for blocking work, shaped like Python's
//! `concurrent.futures.ThreadPoolExecutor` and `asyncio.to_thread`.
//!
//! An event loop stays responsive by never blocking: a blocking call (a file read, a DNS
//! lookup, a C library, a long computation) goes to a pool thread, and the loop awaits the
//! result. [`ThreadPool::submit`] queues a closure and returns a [`Job`], a future of the
//! closure's result that any runtime can await (it only uses [`std::task::Waker`]), or that
//! a plain thread can block on ([`Job::wait`], [`Job::result`]).
//!
//! | asyncio / concurrent.futures          | here                                   |
//! |---------------------------------------|----------------------------------------|
//! | `ThreadPoolExecutor(max_workers=4)`   | [`ThreadPool::new(4)`](ThreadPool::new) |
//! | `executor.submit(f)`                  | [`pool.submit(f)`](ThreadPool::submit)  |
//! | `await loop.run_in_executor(ex, f)`   | `pool.submit(f)?.await`                 |
//! | `await asyncio.to_thread(f)`          | [`to_thread(f)`](to_thread)`.await`     |
//! | `executor.map(f, items)`              | [`pool.map(f, items)`](ThreadPool::map) |
//! | `future.result(timeout)`, `.cancel()` | [`Job::result`], [`Job::cancel`]        |
//! | `executor.shutdown(wait, cancel_futures)` | [`pool.shutdown(wait, cancel_queued)`](ThreadPool::shutdown) |
//!
//! Threads start on demand and retire after an idle timeout; a panic in a job comes back as
//! [`JobError::Panicked`] and the worker goes on serving. A panic in other code the pool
//! runs for you (dropping a closure or a result nobody claimed, a waker's `wake` or drop)
//! is reported as one line on stderr and never wedges the pool.
//!
//! ```
//! use asyncio_pool::{JobError, ThreadPool};
//!
//! let pool = ThreadPool::new(4)?;
//! let sum = pool.submit(|| (1..=100u32).sum::<u32>())?;
//! let boom = pool.submit(|| -> u32 { panic!("disk on fire") })?;
//!
//! // Await from any runtime; here a minimal `block_on`.
//! futures_lite::future::block_on(async {
//!     assert_eq!(sum.await, Ok(5050));
//!     assert_eq!(boom.await, Err(JobError::Panicked("disk on fire".into())));
//! });
//! pool.shutdown(true, false);
//! # Ok::<(), asyncio_pool::PoolError>(())
//! ```
//!
//! `examples/blocking_reads.rs` shows four blocking calls running side by side while the
//! caller awaits. The crate depends on no other crate of the workspace; the `asyncio` facade
//! uses it as the loop's default executor.

#![forbid(unsafe_code)]

mod builder;
mod default_pool;
mod error;
mod job;
mod map;
mod park;
mod pool;
mod shared;
mod stats;
mod sync;
mod unwind;
mod worker;

// loom models of the cross-thread paths (`cargo xtask loom`).
#[cfg(all(test, loom))]
mod loom_models;

pub use builder::{Builder, DEFAULT_IDLE_TIMEOUT, default_max_workers};
pub use default_pool::{default_pool, to_thread};
pub use error::{JobError, PoolError};
pub use job::Job;
pub use map::Map;
pub use pool::{ThreadPool, ThreadPoolExecutor};
pub use stats::PoolStats;
