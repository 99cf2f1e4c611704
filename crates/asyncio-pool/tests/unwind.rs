//! Panics in code the pool runs on someone else's behalf (the drop of a cancelled closure or
//! of a result nobody claimed, a foreign waker's wake or drop) are contained: after each one
//! the same worker still runs the next job and `shutdown(wait = true)` returns.
//!
//! Every wait here is bounded, so a regression fails instead of hanging.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::Duration;

use asyncio_pool::{JobError, PoolError, ThreadPool};
use common::Gate;

/// Long enough for any healthy pool, short enough that a wedged one fails the test quickly.
const LIMIT: Duration = Duration::from_secs(10);

/// A value whose drop panics: any user type with a failing destructor. It stays quiet while
/// the thread is already unwinding, so a failing test reports its own panic, not an abort.
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("{} panicked in drop", self.0);
        }
    }
}

/// A foreign waker whose `wake` panics.
struct PanicsOnWake;

impl Wake for PanicsOnWake {
    fn wake(self: Arc<Self>) {
        panic!("the waker panicked in wake");
    }
}

/// A foreign waker whose last reference panics when dropped.
struct PanicsWhenDropped {
    _bomb: PanicsOnDrop,
}

impl Wake for PanicsWhenDropped {
    fn wake(self: Arc<Self>) {}
}

/// A waker whose teardown, run when its last reference drops, calls back into the pool:
/// shutting it down and cancelling queued work, as an executor that owns the pool might.
struct ShutsDownWhenDropped(ThreadPool);

impl Wake for ShutsDownWhenDropped {
    fn wake(self: Arc<Self>) {}
}

impl Drop for ShutsDownWhenDropped {
    fn drop(&mut self) {
        self.0.shutdown(false, true);
    }
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountsWakes(std::sync::atomic::AtomicUsize);

impl Wake for CountsWakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn pool(prefix: &str) -> ThreadPool {
    ThreadPool::builder()
        .max_workers(1)
        .thread_name_prefix(prefix)
        .build()
        .unwrap()
}

fn thread_name() -> String {
    thread::current().name().unwrap_or("").to_owned()
}

/// The pool's only worker, `PREFIX_0`, runs a new job: it survived and its counts are right
/// (a dead worker still counted would leave the job queued forever).
fn same_worker_still_serves(pool: &ThreadPool) {
    let expected = format!("{}_0", pool.thread_name_prefix());
    let mut next = pool.submit(thread_name).unwrap();
    assert_eq!(next.result(LIMIT), Ok(expected));
}

/// `shutdown(wait = true, ..)` returns within [`LIMIT`] (run on a helper thread so that a
/// shutdown waiting for a thread that is gone fails the test instead of hanging it).
fn shutdown_returns(pool: &ThreadPool) {
    let (done_tx, done_rx) = crossbeam_channel::bounded(1);
    let pool = pool.clone();
    thread::spawn(move || {
        pool.shutdown(true, false);
        let _ = done_tx.send(pool.stats().workers);
    });
    assert_eq!(
        done_rx.recv_timeout(LIMIT),
        Ok(0),
        "shutdown(wait = true) did not return"
    );
}

/// Polls `job` once with `waker`, leaving that waker registered.
fn register<T>(job: &mut asyncio_pool::Job<T>, waker: &Waker) {
    let poll = Pin::new(job).poll(&mut Context::from_waker(waker));
    assert!(poll.is_pending());
}

#[test]
fn an_unclaimed_result_that_panics_when_dropped_leaves_the_worker_serving() {
    let pool = pool("unclaimed");
    let mut gate = Gate::new();
    let held = gate.held();
    let job = pool
        .submit(move || {
            held.hold();
            PanicsOnDrop("an unclaimed result")
        })
        .unwrap();
    gate.wait_started(1);
    // Nobody will claim the result: the worker drops it once the job returns.
    drop(job);
    gate.open();
    same_worker_still_serves(&pool);
    shutdown_returns(&pool);
}

#[test]
fn a_waker_that_panics_when_woken_leaves_the_worker_serving() {
    let pool = pool("wakepanic");
    let mut gate = Gate::new();
    let held = gate.held();
    let mut job = pool
        .submit(move || {
            held.hold();
            7
        })
        .unwrap();
    gate.wait_started(1);
    register(&mut job, &Waker::from(Arc::new(PanicsOnWake)));
    gate.open();
    // With one worker, the next job starts only after this one's result was published.
    same_worker_still_serves(&pool);
    assert_eq!(
        job.result(LIMIT),
        Ok(7),
        "the result was stored before the wake"
    );
    shutdown_returns(&pool);
}

#[test]
fn a_waker_that_panics_when_dropped_leaves_the_worker_serving() {
    let pool = pool("wakedrop");
    let mut gate = Gate::new();
    let held = gate.held();
    let mut job = pool
        .submit(move || {
            held.hold();
            8
        })
        .unwrap();
    gate.wait_started(1);
    let waker = Waker::from(Arc::new(PanicsWhenDropped {
        _bomb: PanicsOnDrop("a waker"),
    }));
    register(&mut job, &waker);
    // The job's clone is now the last: the worker drops it when it wakes it.
    drop(waker);
    gate.open();
    same_worker_still_serves(&pool);
    assert_eq!(job.result(LIMIT), Ok(8));
    shutdown_returns(&pool);
}

#[test]
fn shutdown_cancelling_a_closure_that_panics_when_dropped_still_stops_the_workers() {
    let pool = pool("cancelpanic");
    let mut gate = Gate::new();
    let mut running = gate.occupy(&pool);
    let bomb = PanicsOnDrop("a cancelled job's closure");
    let mut doomed = pool.submit(move || drop(bomb)).unwrap();
    let mut behind = pool.submit(|| 1).unwrap();
    // Drops the queued closures on this thread; the panic must not cut the shutdown short.
    pool.shutdown(false, true);
    assert_eq!(doomed.result(LIMIT), Err(JobError::Cancelled));
    assert_eq!(
        behind.result(LIMIT),
        Err(JobError::Cancelled),
        "the jobs queued behind were cancelled too"
    );
    gate.open();
    assert_eq!(running.result(LIMIT), Ok(()));
    shutdown_returns(&pool);
}

#[test]
fn a_panic_payload_that_panics_when_dropped_leaves_the_worker_serving() {
    let pool = pool("payload");
    let mut job = pool
        .submit(|| -> u8 { std::panic::panic_any(PanicsOnDrop("a panic's payload")) })
        .unwrap();
    assert_eq!(
        job.result(LIMIT),
        Err(JobError::Panicked(
            "<panic payload that is not a string>".into()
        ))
    );
    same_worker_still_serves(&pool);
    shutdown_returns(&pool);
}

#[test]
fn a_waker_replaced_by_a_poll_may_call_back_into_the_pool_when_dropped() {
    let pool = pool("reenter");
    let mut gate = Gate::new();
    let mut running = gate.occupy(&pool);
    let mut queued = pool.submit(|| 1).unwrap();
    let first = Waker::from(Arc::new(ShutsDownWhenDropped(pool.clone())));
    register(&mut queued, &first);
    drop(first);
    // Polling with another waker replaces the first one, whose drop then cancels `queued`
    // through the pool: that must not happen under the job's lock. On a helper thread, so
    // that a deadlock fails the test instead of hanging it.
    let (polled_tx, polled_rx) = crossbeam_channel::bounded(1);
    let counter = Arc::new(CountsWakes::default());
    let second = Waker::from(Arc::clone(&counter));
    thread::spawn(move || {
        let poll = Pin::new(&mut queued).poll(&mut Context::from_waker(&second));
        let _ = polled_tx.send((poll.is_pending(), queued));
    });
    let (pending, mut queued) = polled_rx
        .recv_timeout(LIMIT)
        .expect("the poll deadlocked dropping the waker it replaced");
    assert!(pending, "the job was still queued when polled");
    assert_eq!(
        counter.0.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the cancellation woke the new waker"
    );
    assert_eq!(queued.result(LIMIT), Err(JobError::Cancelled));
    gate.open();
    assert_eq!(running.result(LIMIT), Ok(()));
    shutdown_returns(&pool);
}

#[test]
fn a_thread_name_std_refuses_is_a_spawn_error_not_a_phantom_worker() {
    let pool = ThreadPool::builder()
        .max_workers(1)
        .thread_name_prefix("nul\0byte")
        .build()
        .unwrap();
    let submitted =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pool.submit(|| 1).err()));
    // A worker counted but never started would keep this waiting forever.
    shutdown_returns(&pool);
    assert!(
        matches!(submitted, Ok(Some(PoolError::Spawn(_)))),
        "{submitted:?}"
    );
}
