//! The process-wide default pool and [`to_thread`], asyncio's way to run one blocking call.

use std::sync::OnceLock;

use crate::builder::{Builder, default_max_workers};
use crate::job::Job;
use crate::pool::ThreadPool;

static DEFAULT: OnceLock<ThreadPool> = OnceLock::new();

/// The process-wide pool [`to_thread`] uses, created on first use with CPython's size
/// ([`default_max_workers`]) and asyncio's thread names `asyncio_M`. It lives until the
/// process exits; shutting it down makes every later `to_thread` fail with
/// `JobError::Rejected`.
pub fn default_pool() -> &'static ThreadPool {
    DEFAULT.get_or_init(|| {
        Builder::new()
            .max_workers(default_max_workers())
            .thread_name_prefix("asyncio")
            .build()
            // `default_max_workers` is at least 1, the only setting `build` can reject.
            .unwrap_or_else(|error| panic!("asyncio_pool::default_pool: {error}"))
    })
}

/// Runs `f` on the [default pool](default_pool) (`asyncio.to_thread(f)`) and returns its
/// [`Job`]; await it to get `f`'s result without blocking the loop.
///
/// ```
/// let job = asyncio_pool::to_thread(|| std::thread::current().name().map(str::to_owned));
/// let name = futures_lite::future::block_on(job).unwrap().unwrap();
/// assert!(name.starts_with("asyncio_"));
/// ```
pub fn to_thread<F, T>(f: F) -> Job<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    default_pool()
        .submit(f)
        .unwrap_or_else(|error| Job::rejected(error))
}
