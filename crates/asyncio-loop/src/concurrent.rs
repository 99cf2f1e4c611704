//! Layer 2 (the parts): [`ConcurrentFuture`], a result that any thread may complete and any
//! thread may await or block on (Python's `concurrent.futures.Future`), and its completing
//! side, [`ConcurrentSetter`]. `LoopHandle::spawn` (asyncio's `run_coroutine_threadsafe`)
//! hands one out for a task's outcome; [`ConcurrentFuture::new`] makes one for any code,
//! say a thread of one's own, whose result a task awaits (asyncio's `wrap_future`).
//!
//! The outcome, the waker of whoever awaits it and a condition variable for whoever blocks
//! on it share one `Arc`; completing it wakes both. Nothing here belongs to a loop.

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::TaskError;

struct Slot<T> {
    outcome: Option<Result<T, TaskError>>,
    done: bool,
    waker: Option<Waker>,
}

struct State<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
}

/// Locks a result slot, ignoring poisoning: nothing panics while holding it. (std's lock,
/// not `shared::lock`, whose mutex is loom's in the model builds: this slot is not part of
/// the models, see `sync.rs`.)
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The side of a [`ConcurrentFuture`] that completes it, from any thread (`Send` when `T`
/// is): Python's `future.set_result(value)`. Completing consumes it, so a result is set
/// once; dropped unused, it cancels the future, whose awaiters then get
/// `Err(TaskError::Cancelled)` rather than waiting forever.
///
/// ```
/// use asyncio_loop::{ConcurrentFuture, EventLoop};
///
/// let (future, setter) = ConcurrentFuture::new();
/// let worker = std::thread::spawn(move || setter.set_result(6 * 7));
/// let event_loop = EventLoop::new();
/// // A task of the loop awaits what the thread computes.
/// assert_eq!(event_loop.run_until_complete(future), Ok(Ok(42)));
/// worker.join().unwrap();
/// ```
pub struct ConcurrentSetter<T> {
    state: Option<Arc<State<T>>>,
}

impl<T> ConcurrentSetter<T> {
    /// Completes the future with `value`, waking whoever awaits or blocks on it.
    pub fn set_result(mut self, value: T) {
        self.deliver(Ok(value));
    }

    /// Cancels the future (dropping the setter does the same).
    pub fn cancel(self) {}

    /// Whether the future was dropped, so nobody will read the outcome: a producer may
    /// stop its work early (Python's `future.cancelled()` seen from the worker).
    pub fn is_abandoned(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|state| Arc::strong_count(state) == 1)
    }

    /// Completes the future with `outcome` (a task's: its output, or why there is none).
    pub(crate) fn complete(mut self, outcome: Result<T, TaskError>) {
        self.deliver(outcome);
    }

    fn deliver(&mut self, outcome: Result<T, TaskError>) {
        if let Some(state) = self.state.take() {
            let waker = {
                let mut slot = lock(&state.slot);
                slot.outcome = Some(outcome);
                slot.done = true;
                slot.waker.take()
            };
            state.ready.notify_all();
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

impl<T> Drop for ConcurrentSetter<T> {
    fn drop(&mut self) {
        self.deliver(Err(TaskError::Cancelled));
    }
}

impl<T> fmt::Debug for ConcurrentSetter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.state.is_some() {
            "pending"
        } else {
            "set"
        };
        write!(f, "<ConcurrentSetter {state}>")
    }
}

/// A result another thread produces: await it (on this crate's loop or any runtime), or
/// block on it with [`result`](Self::result) / [`wait`](Self::wait). Python's
/// `concurrent.futures.Future`; awaited by a task it is asyncio's `wrap_future` too, the
/// task resuming in the iteration that follows the completion's wake-up.
///
/// [`LoopHandle::spawn`](crate::LoopHandle::spawn) gives one for a task's outcome;
/// [`ConcurrentFuture::new`] one with its [`ConcurrentSetter`].
pub struct ConcurrentFuture<T> {
    state: Arc<State<T>>,
}

impl<T> ConcurrentFuture<T> {
    /// A pending future and the setter that completes it, from any thread (Python's
    /// `concurrent.futures.Future()`).
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> (ConcurrentFuture<T>, ConcurrentSetter<T>) {
        let state = Arc::new(State {
            slot: Mutex::new(Slot {
                outcome: None,
                done: false,
                waker: None,
            }),
            ready: Condvar::new(),
        });
        let setter = ConcurrentSetter {
            state: Some(Arc::clone(&state)),
        };
        (ConcurrentFuture { state }, setter)
    }

    /// Whether the outcome is there.
    pub fn done(&self) -> bool {
        lock(&self.state.slot).done
    }

    /// Blocks until the outcome is there or `timeout` passed; returns whether it is there.
    /// A timeout past what `Instant` can hold (`Duration::MAX`) waits as long as it takes.
    /// Never call it on the loop's own thread while the loop must run the future.
    pub fn wait(&self, timeout: Duration) -> bool {
        // `None`: no deadline at all, rather than an overflow panic.
        let deadline = Instant::now().checked_add(timeout);
        let mut slot = lock(&self.state.slot);
        while !slot.done {
            slot = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    let waited = self.state.ready.wait_timeout(slot, left);
                    waited.unwrap_or_else(|e| e.into_inner()).0
                }
                None => self
                    .state
                    .ready
                    .wait(slot)
                    .unwrap_or_else(|e| e.into_inner()),
            };
        }
        true
    }

    /// Blocks until the outcome is there and returns it (Python's
    /// `concurrent.futures.Future.result()`).
    pub fn result(self) -> Result<T, TaskError> {
        let mut slot = lock(&self.state.slot);
        while !slot.done {
            slot = self
                .state
                .ready
                .wait(slot)
                .unwrap_or_else(|e| e.into_inner());
        }
        slot.outcome.take().unwrap_or(Err(TaskError::Cancelled))
    }
}

impl<T> std::future::Future for ConcurrentFuture<T> {
    type Output = Result<T, TaskError>;

    /// Cancel safety: dropping the await leaves the outcome in place for another poll (of
    /// this future: it is not `Clone`); nothing is lost.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.state.slot);
        if slot.done {
            return Poll::Ready(slot.outcome.take().unwrap_or(Err(TaskError::Cancelled)));
        }
        match &slot.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => slot.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.done() { "finished" } else { "pending" };
        write!(f, "<ConcurrentFuture {state}>")
    }
}
