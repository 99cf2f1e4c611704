//! A submitted job: the one allocation a job costs (its function, then its result, and the
//! waker of whoever awaits it, behind one lock), seen from the worker as a [`Runnable`] and
//! from the caller as a [`Job`] future.
//!
//! The same `Arc` is both: the queue carries it as `Arc<dyn Runnable>`, the caller holds it
//! as `Arc<dyn Completion<T>>`. The lock is uncontended in the common case (the worker takes
//! it twice, the awaiting side once per poll, twice when it stores a new waker), which costs
//! an atomic swap each way; `std` offers no safe way to move a `T` between threads with
//! less.
//!
//! Dropping a closure or a result and cloning, waking or dropping a waker run someone else's
//! code; they happen outside the lock, and all but the clone through [`unwind::contain`]
//! (the rule is in `unwind.rs`).

use std::fmt;
use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::{JobError, PoolError};
use crate::park;
use crate::unwind::{self, panic_message};

/// The worker's view of a job: run it, or cancel it if the pool is cancelling queued work.
///
/// Neither method unwinds: the user code they run is caught or contained, so the caller's
/// bookkeeping after them always happens. The queue's reference is let go through
/// [`release`].
pub(crate) trait Runnable: Send + Sync {
    /// Runs the function if the job is still queued, stores its result and wakes the waiter.
    /// Calls `returned` exactly once: after the function returned (or at once if the job
    /// was cancelled), before the waiter can see the result.
    fn run(&self, returned: &dyn Fn());
    /// Cancels the job if it is still queued; `true` if it is (now or already) cancelled.
    fn cancel(&self) -> bool;
}

/// Lets go of the queue's reference to a job. Once the caller has dropped its `Job` this is
/// the last reference, and it drops a result nobody claimed, whose `Drop` is user code.
pub(crate) fn release(job: Arc<dyn Runnable>) {
    unwind::contain("a job's result panicked while being dropped", move || {
        drop(job)
    });
}

/// Drops a waker the job no longer needs; a foreign waker's drop may panic.
fn drop_waker(waker: Waker) {
    unwind::contain("a job's waker panicked while being dropped", move || {
        drop(waker)
    });
}

/// Wakes whoever awaits a job. A foreign waker may panic in `wake`, or in its drop when
/// this was its last reference.
fn wake(waker: Waker) {
    unwind::contain(
        "a job's waker panicked while being woken or dropped",
        move || waker.wake(),
    );
}

/// The caller's view of a job, with the function's type erased.
trait Completion<T>: Send + Sync {
    fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T, JobError>>;
    fn cancel(&self) -> bool;
    fn done(&self) -> bool;
    fn cancelled(&self) -> bool;
}

/// Where a job is in its life.
enum Stage<F, T> {
    Queued(F),
    Running,
    Finished(Result<T, JobError>),
    /// The result went to the caller.
    Taken,
}

struct Slot<F, T> {
    stage: Stage<F, T>,
    waker: Option<Waker>,
    cancelled: bool,
}

impl<F, T> Slot<F, T> {
    /// The result, if the job has finished and it was not taken yet.
    fn take_output(&mut self) -> Option<Result<T, JobError>> {
        if !matches!(self.stage, Stage::Finished(_)) {
            return None;
        }
        match mem::replace(&mut self.stage, Stage::Taken) {
            Stage::Finished(output) => Some(output),
            _ => None,
        }
    }
}

/// The shared state of one job.
pub(crate) struct JobCell<F, T> {
    slot: Mutex<Slot<F, T>>,
}

impl<F, T> JobCell<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    /// A queued job that will run `f`.
    pub(crate) fn new(f: F) -> Arc<Self> {
        Self::with_stage(Stage::Queued(f))
    }

    fn with_stage(stage: Stage<F, T>) -> Arc<Self> {
        Arc::new(JobCell {
            slot: Mutex::new(Slot {
                stage,
                waker: None,
                cancelled: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Slot<F, T>> {
        // Only our own code runs under this lock (closures, results and wakers are handled
        // outside it), and none of it panics, so a poisoned lock would still hold
        // consistent state.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finish(&self, output: Result<T, JobError>) {
        let waker = {
            let mut slot = self.lock();
            slot.stage = Stage::Finished(output);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            wake(waker);
        }
    }
}

impl<F, T> Runnable for JobCell<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn run(&self, returned: &dyn Fn()) {
        let f = {
            let mut slot = self.lock();
            match mem::replace(&mut slot.stage, Stage::Running) {
                Stage::Queued(f) => f,
                other => {
                    // Cancelled while queued: nothing to run.
                    slot.stage = other;
                    drop(slot);
                    returned();
                    return;
                }
            }
        };
        let (output, payload) = match panic::catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => (Ok(value), None),
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                (Err(JobError::Panicked(message)), Some(payload))
            }
        };
        returned();
        self.finish(output);
        // A payload (`panic_any`) may panic when dropped: only once the worker is counted
        // idle again and the result is out, and contained.
        if let Some(payload) = payload {
            unwind::discard(payload);
        }
    }

    fn cancel(&self) -> bool {
        let (f, waker) = {
            let mut slot = self.lock();
            if !matches!(slot.stage, Stage::Queued(_)) {
                return slot.cancelled;
            }
            let Stage::Queued(f) =
                mem::replace(&mut slot.stage, Stage::Finished(Err(JobError::Cancelled)))
            else {
                return false;
            };
            slot.cancelled = true;
            (f, slot.waker.take())
        };
        // The function's captures may run arbitrary `Drop` code: not under the lock, and
        // not able to stop the waiter from hearing of the cancellation.
        unwind::contain(
            "a cancelled job's closure panicked while being dropped",
            move || drop(f),
        );
        if let Some(waker) = waker {
            wake(waker);
        }
        true
    }
}

impl<F, T> Completion<T> for JobCell<F, T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T, JobError>> {
        let mut slot = self.lock();
        if matches!(slot.stage, Stage::Taken) {
            drop(slot);
            panic!("Job polled after its result was taken");
        }
        if let Some(output) = slot.take_output() {
            return Poll::Ready(output);
        }
        if slot.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            return Poll::Pending;
        }
        drop(slot);
        // Cloning the new waker and dropping the old one run the runtime's code, which may
        // call back into this job or the pool: not under the lock. A panicking clone goes
        // to the poller, as nothing was registered that could wake it.
        let waker = cx.waker().clone();
        let mut slot = self.lock();
        // The job may have finished meanwhile; only this `Job` takes the result.
        let (poll, unused) = match slot.take_output() {
            Some(output) => (Poll::Ready(output), Some(waker)),
            None => (Poll::Pending, slot.waker.replace(waker)),
        };
        drop(slot);
        if let Some(waker) = unused {
            drop_waker(waker);
        }
        poll
    }

    fn cancel(&self) -> bool {
        Runnable::cancel(self)
    }

    fn done(&self) -> bool {
        matches!(self.lock().stage, Stage::Finished(_) | Stage::Taken)
    }

    fn cancelled(&self) -> bool {
        self.lock().cancelled
    }
}

/// A job submitted to a [`ThreadPool`](crate::ThreadPool): asyncio's `Future` from
/// `run_in_executor`, and `concurrent.futures.Future`.
///
/// Await it from any runtime (it only uses [`std::task::Waker`]), or block on it with
/// [`wait`](Job::wait) / [`result`](Job::result). Dropping it does not stop the work (a
/// thread cannot be interrupted); the result is then dropped on the worker when the job
/// finishes, and a panic in its `Drop` is reported on stderr, not fatal to the worker.
///
/// ```
/// let pool = asyncio_pool::ThreadPool::new(2)?;
/// let job = pool.submit(|| 6 * 7)?;
/// assert_eq!(futures_lite::future::block_on(job), Ok(42));
/// # Ok::<(), asyncio_pool::PoolError>(())
/// ```
#[must_use = "a job's result is lost unless it is awaited or waited for (the job still runs)"]
pub struct Job<T> {
    cell: Arc<dyn Completion<T>>,
}

impl<T: Send + 'static> Job<T> {
    pub(crate) fn new<F>(cell: Arc<JobCell<F, T>>) -> Self
    where
        F: FnOnce() -> T + Send + 'static,
    {
        Job { cell }
    }

    /// A job that is already finished with `error` (a job the pool would not take).
    pub(crate) fn rejected(error: PoolError) -> Self {
        Job {
            cell: JobCell::<fn() -> T, T>::with_stage(Stage::Finished(Err(JobError::Rejected(
                error,
            )))),
        }
    }

    /// Blocks the calling thread until the job finishes and returns its result
    /// (`concurrent.futures.Future.result()` without a timeout).
    ///
    /// Never call it on a loop's thread: that is what awaiting is for. Nor from a job of
    /// the same pool when that could leave every worker waiting (as in CPython, that
    /// deadlocks).
    pub fn wait(mut self) -> Result<T, JobError> {
        park::block_on(&mut self)
    }

    /// Blocks for at most `timeout` (`Future.result(timeout)`): the job's result, or
    /// `Err(JobError::TimedOut)` if it has not finished by then, in which case the job goes
    /// on and can be waited for again. A timeout too long to be a deadline (such as
    /// `Duration::MAX`) waits as long as it takes, as [`wait`](Job::wait) does.
    ///
    /// # Panics
    /// If the result was already taken (by an earlier `result` or a completed `.await`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = asyncio_pool::ThreadPool::new(1)?;
    /// let mut job = pool.submit(|| "done")?;
    /// assert_eq!(job.result(Duration::from_secs(30)), Ok("done"));
    /// # Ok::<(), asyncio_pool::PoolError>(())
    /// ```
    pub fn result(&mut self, timeout: Duration) -> Result<T, JobError> {
        // `Instant + Duration` panics on overflow; past what `Instant` can hold, no deadline.
        let deadline = Instant::now().checked_add(timeout);
        park::wait_until(self, deadline).unwrap_or(Err(JobError::TimedOut(timeout)))
    }
}

impl<T> Job<T> {
    /// Whether the job has finished: ran to the end, panicked, or was cancelled.
    pub fn done(&self) -> bool {
        self.cell.done()
    }

    /// Cancels the job if it has not started yet, as `Future.cancel()`: `true` if it is
    /// cancelled (its function will never run and awaiting it gives
    /// `Err(JobError::Cancelled)`), `false` if it is running or finished. The closure is
    /// dropped here; a panic in its `Drop` is reported on stderr rather than propagated, as
    /// wherever the pool drops a closure.
    pub fn cancel(&self) -> bool {
        self.cell.cancel()
    }

    /// Whether the job was cancelled before it started.
    pub fn cancelled(&self) -> bool {
        self.cell.cancelled()
    }
}

impl<T> Future for Job<T> {
    type Output = Result<T, JobError>;

    /// # Panics
    /// If polled again after it returned `Ready`.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.cell.poll_output(cx)
    }
}

impl<T> fmt::Debug for Job<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("done", &self.done())
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Wake;

    struct CountWakes(std::sync::atomic::AtomicUsize);
    impl Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn poll_once<T>(job: &mut Job<T>, waker: &Waker) -> Poll<Result<T, JobError>> {
        Pin::new(job).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn run_stores_the_result_and_wakes_the_waiter() {
        let cell = JobCell::new(|| 5);
        let mut job = Job::new(cell.clone());
        let wakes = Arc::new(CountWakes(Default::default()));
        let waker = Waker::from(wakes.clone());
        assert!(poll_once(&mut job, &waker).is_pending());
        assert!(!job.done());
        cell.run(&|| ());
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(job.done());
        assert_eq!(poll_once(&mut job, &waker), Poll::Ready(Ok(5)));
    }

    #[test]
    fn cancel_only_while_queued() {
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let cell = JobCell::new(move || flag.store(true, std::sync::atomic::Ordering::SeqCst));
        let job = Job::new(cell.clone());
        assert!(job.cancel());
        assert!(job.cancel(), "cancelling twice still reports cancelled");
        assert!(job.cancelled() && job.done());
        cell.run(&|| ());
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(job.wait(), Err(JobError::Cancelled));

        let cell = JobCell::new(|| 1);
        let job = Job::new(cell.clone());
        cell.run(&|| ());
        assert!(!job.cancel(), "a finished job cannot be cancelled");
        assert!(!job.cancelled());
    }

    /// A value whose drop panics (quiet while already unwinding, so a failure stays readable).
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("the closure panicked in drop");
            }
        }
    }

    #[test]
    fn cancel_contains_a_closure_that_panics_when_dropped_and_still_wakes_the_waiter() {
        let bomb = PanicsOnDrop;
        let cell = JobCell::new(move || drop(bomb));
        let mut job = Job::new(cell.clone());
        let wakes = Arc::new(CountWakes(Default::default()));
        assert!(poll_once(&mut job, &Waker::from(wakes.clone())).is_pending());
        // Workers and `shutdown` call this on their own threads, with bookkeeping after it.
        let cancelled = panic::catch_unwind(AssertUnwindSafe(|| Runnable::cancel(&*cell)));
        assert_eq!(
            cancelled.ok(),
            Some(true),
            "the drop's panic escaped cancel"
        );
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(job.wait(), Err(JobError::Cancelled));
    }

    /// A foreign waker whose last reference panics when dropped.
    struct PanicsWhenDropped {
        _bomb: PanicsOnDrop,
    }
    impl Wake for PanicsWhenDropped {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn a_replaced_waker_that_panics_when_dropped_is_contained() {
        let cell = JobCell::new(|| 3);
        let mut job = Job::new(cell.clone());
        let first = Waker::from(Arc::new(PanicsWhenDropped {
            _bomb: PanicsOnDrop,
        }));
        assert!(poll_once(&mut job, &first).is_pending());
        drop(first);
        let wakes = Arc::new(CountWakes(Default::default()));
        let second = Waker::from(wakes.clone());
        let polled = panic::catch_unwind(AssertUnwindSafe(|| {
            poll_once(&mut job, &second).is_pending()
        }));
        assert_eq!(polled.ok(), Some(true), "the drop's panic escaped poll");
        cell.run(&|| ());
        assert_eq!(wakes.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(poll_once(&mut job, &second), Poll::Ready(Ok(3)));
    }

    #[test]
    fn panic_message_is_kept() {
        let cell = JobCell::new(|| -> u8 { panic!("bad {}", 7) });
        let job = Job::new(cell.clone());
        cell.run(&|| ());
        assert_eq!(job.wait(), Err(JobError::Panicked("bad 7".into())));
        let cell = JobCell::new(|| -> u8 { std::panic::panic_any(3_u32) });
        let job = Job::new(cell.clone());
        cell.run(&|| ());
        assert!(matches!(job.wait(), Err(JobError::Panicked(m)) if m.contains("not a string")));
    }

    #[test]
    fn result_times_out_then_succeeds() {
        let cell = JobCell::new(|| "late");
        let mut job = Job::new(cell.clone());
        assert_eq!(
            job.result(Duration::from_millis(1)),
            Err(JobError::TimedOut(Duration::from_millis(1)))
        );
        let runner = std::thread::spawn(move || cell.run(&|| ()));
        assert_eq!(job.result(Duration::from_secs(60)), Ok("late"));
        runner.join().unwrap();
    }

    #[test]
    fn rejected_job_is_finished() {
        let job = Job::<u8>::rejected(PoolError::ShutDown);
        assert!(job.done());
        assert_eq!(job.wait(), Err(JobError::Rejected(PoolError::ShutDown)));
    }
}
