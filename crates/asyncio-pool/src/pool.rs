//! [`ThreadPool`]: the handle users hold. Cloning it is cheap; the last clone dropped shuts
//! the pool down without waiting.

use std::fmt;
use std::sync::Arc;

use crate::builder::Builder;
use crate::error::PoolError;
use crate::job::{Job, JobCell};
use crate::map::Map;
use crate::shared::{Config, Shared};
use crate::stats::PoolStats;

/// A pool of threads for blocking work: Python's `concurrent.futures.ThreadPoolExecutor`.
///
/// Threads start on demand (none until the first job; a new one only when every worker is
/// busy, up to `max_workers`) and exit after the idle timeout. Jobs run in submission
/// order on whichever worker is free.
///
/// A `ThreadPool` is a cheap, clonable handle (`Send + Sync`): an event loop can keep one
/// as its default executor and hand clones around.
///
/// # Dropping the pool
///
/// When the last handle is dropped the pool shuts down as `shutdown(wait = false,
/// cancel_queued = false)` does: the caller does not block; jobs already queued still run
/// and jobs running finish (a thread cannot be interrupted), their `Job`s still complete;
/// then every worker thread exits. Call [`shutdown`](ThreadPool::shutdown) with `wait`
/// first to block until that has happened.
///
/// ```
/// use asyncio_pool::ThreadPool;
///
/// let pool = ThreadPool::new(4)?;
/// let job = pool.submit(|| (1..=10u64).product::<u64>())?;
/// assert_eq!(job.wait(), Ok(3_628_800));
/// pool.shutdown(true, false);
/// assert!(pool.submit(|| ()).is_err());
/// # Ok::<(), asyncio_pool::PoolError>(())
/// ```
#[derive(Clone)]
pub struct ThreadPool {
    owner: Arc<Owner>,
}

/// asyncio's name for the same thing.
pub type ThreadPoolExecutor = ThreadPool;

/// Held by every handle and by no worker, so its drop marks the last handle going away.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.shutdown(false, false);
    }
}

impl ThreadPool {
    /// A pool of at most `max_workers` threads with the other settings at their defaults;
    /// `Err(PoolError::ZeroWorkers)` for 0.
    pub fn new(max_workers: usize) -> Result<Self, PoolError> {
        Builder::new().max_workers(max_workers).build()
    }

    /// A [`Builder`] for the other settings: thread names, idle timeout, stack size.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_config(config: Config) -> Self {
        ThreadPool {
            owner: Arc::new(Owner {
                shared: Shared::new(config),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.owner.shared
    }

    /// Schedules `f` to run on a worker (`executor.submit(f)`, `loop.run_in_executor`) and
    /// returns its [`Job`], a future of `f`'s result.
    ///
    /// `Err(PoolError::ShutDown)` after [`shutdown`](ThreadPool::shutdown);
    /// `Err(PoolError::Spawn)` if the pool has no thread and the OS will not start one.
    ///
    /// ```
    /// let pool = asyncio_pool::ThreadPool::new(2)?;
    /// let job = pool.submit(|| std::fs::metadata(".").is_ok())?;
    /// assert_eq!(job.wait(), Ok(true));
    /// # Ok::<(), asyncio_pool::PoolError>(())
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Result<Job<T>, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let cell = JobCell::new(f);
        let job = Job::new(Arc::clone(&cell));
        match self.shared().enqueue(cell) {
            Ok(()) => Ok(job),
            Err(error) => {
                // Queued but possibly never run (no worker): make sure it never runs late.
                job.cancel();
                Err(error)
            }
        }
    }

    /// Submits `f(item)` for every item at once and returns their results in input order,
    /// as `Executor.map` does: iterate the [`Map`] to block for each in turn, or await it for
    /// all of them as a `Vec`.
    ///
    /// If the pool refuses a job part way, the jobs already submitted are cancelled (those
    /// that have not started) and the error is returned.
    ///
    /// ```
    /// let pool = asyncio_pool::ThreadPool::new(3)?;
    /// let squares: Vec<u32> = pool
    ///     .map(|x: u32| x * x, 1..=5)?
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(squares, [1, 4, 9, 16, 25]);
    /// # Ok::<(), asyncio_pool::PoolError>(())
    /// ```
    pub fn map<A, T, F, I>(&self, f: F, items: I) -> Result<Map<T>, PoolError>
    where
        F: Fn(A) -> T + Send + Sync + 'static,
        I: IntoIterator<Item = A>,
        A: Send + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        let mut jobs = Vec::new();
        for item in items {
            let f = Arc::clone(&f);
            match self.submit(move || f(item)) {
                Ok(job) => jobs.push(job),
                Err(error) => {
                    for job in &jobs {
                        job.cancel();
                    }
                    return Err(error);
                }
            }
        }
        Ok(Map::new(jobs))
    }

    /// Stops the pool taking jobs (`executor.shutdown(wait, cancel_futures)`); afterwards
    /// `submit` gives `Err(PoolError::ShutDown)`.
    ///
    /// - `cancel_queued`: jobs that have not started are cancelled (they complete with
    ///   `Err(JobError::Cancelled)`); otherwise they still run. Their closures are dropped
    ///   on the calling thread; a panic in one is reported on stderr and the shutdown goes on.
    /// - `wait`: blocks until every job that will run has run and every worker thread has
    ///   exited. Called from one of this pool's own jobs, it waits for the other workers.
    ///
    /// Calling it again is harmless (a later call may still cancel queued jobs, or wait).
    pub fn shutdown(&self, wait: bool, cancel_queued: bool) {
        self.shared().shutdown(wait, cancel_queued);
    }

    /// Whether [`shutdown`](ThreadPool::shutdown) was called (or the pool was dropped).
    pub fn is_shut_down(&self) -> bool {
        self.shared().is_shut_down()
    }

    /// The most threads this pool runs at once.
    pub fn max_workers(&self) -> usize {
        self.shared().config.max_workers
    }

    /// The prefix of this pool's thread names.
    pub fn thread_name_prefix(&self) -> &str {
        &self.shared().config.thread_name_prefix
    }

    /// Workers alive, idle, and jobs queued, right now.
    ///
    /// ```
    /// let pool = asyncio_pool::ThreadPool::new(2)?;
    /// assert_eq!(pool.stats().workers, 0, "no thread before the first job");
    /// pool.submit(|| ())?.wait().unwrap();
    /// assert_eq!(pool.stats().workers, 1);
    /// # Ok::<(), asyncio_pool::PoolError>(())
    /// ```
    pub fn stats(&self) -> PoolStats {
        let shared = self.shared();
        PoolStats {
            workers: shared.workers(),
            idle: shared.idle(),
            queued: shared.queued(),
        }
    }
}

impl fmt::Debug for ThreadPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPool")
            .field("thread_name_prefix", &self.thread_name_prefix())
            .field("max_workers", &self.max_workers())
            .field("shut_down", &self.is_shut_down())
            .field("stats", &self.stats())
            .finish()
    }
}
