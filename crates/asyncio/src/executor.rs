//! Blocking work from async code: `to_thread`, `run_in_executor`, and the loop's default
//! executor.
//!
//! asyncio keeps one default `ThreadPoolExecutor` per event loop, made on first use, shut
//! down by `asyncio.run` when the program ends, and shut down (without waiting) by the
//! loop's `close()`. The loop crate knows nothing of thread pools (the arrows point from the
//! facade to both), so the facade keeps the pool with the loop as one of its extensions
//! ([`EventLoop::set_extension`]), which the loop drops when it closes: the pool goes with
//! its loop, and nothing of the facade keeps a closed loop alive. The [`EventLoopExt`]
//! methods asyncio puts on the loop reach it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use asyncio_loop::contextvars::capture_send;
use asyncio_loop::{EventLoop, get_running_loop};
use asyncio_pool::{Job, JobError, PoolError, ThreadPool};

/// A loop's default executor, kept with the loop; dropped with it at `close()`, which shuts
/// the pool down without waiting, as asyncio's `close()` does (running jobs finish).
struct DefaultExecutor(ThreadPool);

impl Drop for DefaultExecutor {
    fn drop(&mut self) {
        self.0.shutdown(false, false);
    }
}

/// asyncio's event loop methods that belong to the facade: the loop crate knows nothing of
/// thread pools or async generators. `use asyncio::EventLoopExt;` to call them.
pub trait EventLoopExt {
    /// asyncio's `loop.run_in_executor(executor, func)`: runs `f` on `executor`'s threads, or
    /// on the loop's default executor for `None`, and gives a future of its result. The loop
    /// stays responsive meanwhile; a panic in `f` comes back as `Err(JobError::Panicked)`.
    ///
    /// ```
    /// use asyncio::EventLoopExt;
    ///
    /// let pool = asyncio::ThreadPool::new(2).unwrap();
    /// let out = asyncio::run(async move {
    ///     let event_loop = asyncio::get_running_loop().unwrap();
    ///     let mine = event_loop.run_in_executor(Some(&pool), || 6 * 7).await;
    ///     let default = event_loop.run_in_executor(None, || "default pool").await;
    ///     (mine.unwrap(), default.unwrap())
    /// })
    /// .unwrap();
    /// assert_eq!(out, (42, "default pool"));
    /// ```
    fn run_in_executor<F, T>(&self, executor: Option<&ThreadPool>, f: F) -> Executor<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// asyncio's `loop.set_default_executor(executor)`: `pool` serves `to_thread` and
    /// `run_in_executor(None, ..)` from now on. A previous default pool is shut down without
    /// waiting (its running jobs finish; its queued jobs still run).
    fn set_default_executor(&self, pool: ThreadPool);

    /// The loop's default executor, made on first use with asyncio's size
    /// (`min(32, cpus + 4)` threads).
    fn default_executor(&self) -> ThreadPool;

    /// asyncio's `loop.shutdown_default_executor()`: shuts the default pool down, waiting for
    /// its jobs, and forgets it (a later use makes a new one). `run` calls it at the end.
    fn shutdown_default_executor(&self);

    /// asyncio's `loop.shutdown_asyncgens()`: closes every [async
    /// generator](crate::async_generator) first iterated on this loop and still alive,
    /// each in a task of its own as asyncio's `aclose()` calls are (its body is dropped
    /// there, so its cleanup runs with the loop running). A panic in that cleanup is
    /// reported to the exception handler, "an error occurred during closing of asynchronous
    /// generator". [`run`](crate::run) calls it at the end, after cancelling the remaining
    /// tasks, as asyncio's does; call it yourself on a loop you run by hand.
    ///
    /// The generators are closed in the order they were first iterated (asyncio's order is
    /// its weak set's, which is arbitrary). The list is taken at the first poll: one first
    /// iterated after that is tracked again, for a later call.
    ///
    /// Cancel safety: dropped after its first poll, generators not closed yet are no
    /// longer tracked (their close tasks, already made, still run).
    ///
    /// ```
    /// use asyncio::{EventLoopExt, anext, async_generator};
    ///
    /// let event_loop = asyncio::new_event_loop();
    /// let mut numbers = event_loop
    ///     .run_until_complete(async {
    ///         let mut numbers = async_generator(|mut y| async move {
    ///             y.yield_(1).await;
    ///             y.yield_(2).await;
    ///         });
    ///         anext(&mut numbers).await;
    ///         numbers // still alive, half way through
    ///     })
    ///     .unwrap();
    /// event_loop.run_until_complete(event_loop.shutdown_asyncgens()).unwrap();
    /// event_loop.close().unwrap();
    /// let next = futures_lite::future::block_on(anext(&mut numbers));
    /// assert_eq!(next, None, "closed by the loop");
    /// ```
    fn shutdown_asyncgens(&self) -> impl Future<Output = ()> + 'static;
}

impl EventLoopExt for EventLoop {
    fn run_in_executor<F, T>(&self, executor: Option<&ThreadPool>, f: F) -> Executor<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let submitted = match executor {
            Some(pool) => pool.submit(f),
            None => self.default_executor().submit(f),
        };
        Executor {
            state: submitted.map_err(Some),
        }
    }

    fn set_default_executor(&self, pool: ThreadPool) {
        match self.set_extension(DefaultExecutor(pool)) {
            // The previous one is shut down by its drop (not waiting).
            Ok(previous) => drop(previous),
            // A closed loop runs nothing: the pool is shut down at once.
            Err(refused) => drop(refused),
        }
    }

    fn default_executor(&self) -> ThreadPool {
        let existing = self.with_extension(|executor: &DefaultExecutor| executor.0.clone());
        existing.unwrap_or_else(|| {
            let pool = ThreadPool::builder()
                .thread_name_prefix("asyncio")
                .build()
                .expect("the default executor has at least one worker");
            self.set_default_executor(pool.clone());
            pool
        })
    }

    fn shutdown_default_executor(&self) {
        if let Some(executor) = self.take_extension::<DefaultExecutor>() {
            executor.0.shutdown(true, false);
        }
    }

    fn shutdown_asyncgens(&self) -> impl Future<Output = ()> + 'static {
        crate::asyncgens::shutdown_asyncgens(self)
    }
}

/// asyncio's `to_thread(func)`: runs `f` on the running loop's default executor and gives a
/// future of its result (`Err(JobError::Panicked)` if `f` panicked). `f` is submitted at
/// once: wrap it in a closure (`move || heavy(x)`) where Python passes `func, *args`.
///
/// `f` runs in a copy of the caller's context, as asyncio's `to_thread` runs
/// `contextvars.copy_context().run(func)`: it sees the caller's context variables, and
/// what it sets stays in that copy. ([`EventLoopExt::run_in_executor`] carries no
/// context, as asyncio's does not: there `f` runs in the pool thread's own.)
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop, as asyncio raises.
///
/// ```
/// let out = asyncio::run(async {
///     asyncio::to_thread(|| std::thread::current().name().map(str::to_owned)).await
/// })
/// .unwrap();
/// assert!(out.unwrap().unwrap().starts_with("asyncio"), "ran on a pool thread");
/// ```
pub fn to_thread<F, T>(f: F) -> Executor<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let event_loop = get_running_loop().expect("to_thread: no running event loop");
    let context = capture_send().unwrap_or_default();
    event_loop.run_in_executor(None, move || context.run(f))
}

/// The future of [`to_thread`] and [`EventLoopExt::run_in_executor`]: the function's result,
/// or a [`JobError`] (it panicked, was cancelled, or the pool refused it:
/// `JobError::Rejected`).
#[must_use = "the function runs anyway; await this to get its result"]
pub struct Executor<T> {
    state: Result<Job<T>, Option<PoolError>>,
}

impl<T> Executor<T> {
    /// Whether the function has finished (or never ran).
    pub fn done(&self) -> bool {
        match &self.state {
            Ok(job) => job.done(),
            Err(_) => true,
        }
    }

    /// Cancels the job if it has not started; returns whether it was.
    pub fn cancel(&self) -> bool {
        match &self.state {
            Ok(job) => job.cancel(),
            Err(_) => false,
        }
    }
}

impl<T> Unpin for Executor<T> {}

/// What a task awaiting an [`Executor`] waits on, as the task dump says it.
static EXECUTOR_JOB: asyncio_loop::WaitKind = asyncio_loop::WaitKind::new("run_in_executor()");

impl<T> Future for Executor<T> {
    type Output = Result<T, JobError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().state {
            Ok(job) => {
                let polled = Pin::new(job).poll(cx);
                if polled.is_pending() {
                    // For the task dump: the task waits on a pool thread's job.
                    asyncio_loop::note_waiting_for(&EXECUTOR_JOB);
                }
                polled
            }
            Err(rejected) => Poll::Ready(Err(JobError::Rejected(
                rejected.take().expect("Executor polled after it completed"),
            ))),
        }
    }
}

impl<T> fmt::Debug for Executor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("done", &self.done())
            .finish()
    }
}
