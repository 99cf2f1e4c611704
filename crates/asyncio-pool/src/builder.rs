//! [`Builder`]: the settings of a [`ThreadPool`], with CPython's defaults.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::error::PoolError;
use crate::pool::ThreadPool;
use crate::shared::Config;

/// How long a worker with nothing to do waits for a job before its thread exits, by
/// default. Long enough that a steady trickle of jobs reuses threads, short enough that a
/// burst's extra threads do not linger.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The `N` of CPython's default thread names `ThreadPoolExecutor-N_M`, one per pool.
static POOL_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// CPython's default `max_workers`: `min(32, available_parallelism + 4)`, enough threads to
/// overlap I/O-bound work without flooding the machine.
pub fn default_max_workers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    (cpus + 4).min(32)
}

/// Settings for a [`ThreadPool`]; every one has a default.
///
/// ```
/// use std::time::Duration;
/// let pool = asyncio_pool::ThreadPool::builder()
///     .max_workers(4)
///     .thread_name_prefix("resize")
///     .idle_timeout(Duration::from_secs(2))
///     .build()?;
/// let name = pool.submit(|| std::thread::current().name().map(str::to_owned))?.wait();
/// assert_eq!(name, Ok(Some("resize_0".to_owned())));
/// # Ok::<(), asyncio_pool::PoolError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    max_workers: Option<usize>,
    thread_name_prefix: Option<String>,
    idle_timeout: Option<Duration>,
    stack_size: Option<usize>,
}

impl Builder {
    /// A builder with every setting at its default.
    pub fn new() -> Self {
        Self::default()
    }

    /// The most threads the pool runs at once (default [`default_max_workers`]). 0 makes
    /// [`build`](Builder::build) fail with [`PoolError::ZeroWorkers`].
    pub fn max_workers(mut self, max_workers: usize) -> Self {
        self.max_workers = Some(max_workers);
        self
    }

    /// Worker threads are named `PREFIX_M` (M counts the pool's threads from 0). The
    /// default prefix is CPython's `ThreadPoolExecutor-N`, N counting pools from 0. A prefix
    /// with a NUL byte cannot name a thread: such a pool starts none, and `submit` fails
    /// with [`PoolError::Spawn`].
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name_prefix = Some(prefix.into());
        self
    }

    /// How long an idle worker waits for a job before its thread exits (default
    /// [`DEFAULT_IDLE_TIMEOUT`]). A new thread starts when work comes again.
    /// `Duration::MAX` (or any timeout too long to be a deadline) keeps idle workers for
    /// the pool's lifetime.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The stack size of worker threads in bytes (default: the standard library's).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }

    /// The pool. No thread starts until the first job is submitted.
    pub fn build(self) -> Result<ThreadPool, PoolError> {
        let max_workers = self.max_workers.unwrap_or_else(default_max_workers);
        if max_workers == 0 {
            return Err(PoolError::ZeroWorkers);
        }
        let thread_name_prefix = self.thread_name_prefix.unwrap_or_else(|| {
            format!(
                "ThreadPoolExecutor-{}",
                POOL_COUNTER.fetch_add(1, Ordering::Relaxed)
            )
        });
        Ok(ThreadPool::from_config(Config {
            max_workers,
            thread_name_prefix,
            idle_timeout: self.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
            stack_size: self.stack_size,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_workers_is_an_error() {
        assert_eq!(
            Builder::new().max_workers(0).build().err(),
            Some(PoolError::ZeroWorkers)
        );
    }

    #[test]
    fn defaults_follow_cpython() {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(default_max_workers(), (cpus + 4).min(32));
        let pool = Builder::new().build().unwrap();
        assert_eq!(pool.max_workers(), default_max_workers());
        let name = pool
            .submit(|| std::thread::current().name().map(str::to_owned))
            .unwrap()
            .wait()
            .unwrap()
            .unwrap();
        assert!(
            name.starts_with("ThreadPoolExecutor-") && name.ends_with("_0"),
            "{name}"
        );
    }
}
