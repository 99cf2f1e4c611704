//! Layer 2 (the parts): [`ConcurrentFuture`], a result that any thread may complete and any
//! thread may await or block on (Python's `concurrent.futures.Future`), and its completing
//! side, [`ConcurrentSetter`]. `LoopHandle::spawn` (asyncio's `run_coroutine_threadsafe`)
//! hands one out for a task's outcome; [`ConcurrentFuture::new`] makes one for any code,
//! say a thread of one's own, whose result a task awaits (asyncio's `wrap_future`).
//!
//! The outcome, the waker of whoever awaits it and a condition variable for whoever blocks
//! on it share one `Arc`; completing it wakes both. Nothing here belongs to a loop.
//!
//! Cancelling is Python's `concurrent.futures.Future.cancel()`: a pending future becomes
//! cancelled at once, on the cancelling thread, and its done callbacks run there; the
//! producer hears of it through them (`LoopHandle::spawn` registers one that cancels the
//! task on its loop, CPython's `_chain_future`). Whichever of the cancel and the completion
//! takes the slot's lock first is the outcome; the other finds it done and is dropped.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::{PAYLOAD_DROP_PANICKED, Panic, TaskError};

/// A done callback: run once, on the thread that completes or cancels the future.
type DoneCallback<T> = Box<dyn FnOnce(&ConcurrentFuture<T>) + Send>;

struct Slot<T> {
    outcome: Option<Result<T, TaskError>>,
    done: bool,
    /// Done by a cancellation (an explicit one, a dropped setter, a cancelled task): Python's
    /// `cancelled()`, kept apart from `outcome`, which an await takes.
    cancelled: bool,
    waker: Option<Waker>,
    callbacks: Vec<DoneCallback<T>>,
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
    /// Completes the future with `value`, waking whoever awaits or blocks on it. On a
    /// future cancelled already, `value` is dropped (Python's `set_result` would raise
    /// `InvalidStateError`; check [`is_abandoned`](Self::is_abandoned) to stop early).
    pub fn set_result(mut self, value: T) {
        self.deliver(Ok(value));
    }

    /// Cancels the future (dropping the setter does the same).
    pub fn cancel(self) {}

    /// Whether the future was cancelled ([`ConcurrentFuture::cancel`], or dropped while
    /// awaited) or dropped, so nobody will read the outcome: a producer may stop its work
    /// early (Python's `future.cancelled()` seen from the worker).
    pub fn is_abandoned(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|state| Arc::strong_count(state) == 1 || lock(&state.slot).cancelled)
    }

    /// A weak watch on the future, to hear of its cancellation once this setter has moved
    /// into the producer (the task of `LoopHandle::spawn`).
    pub(crate) fn watch(&self) -> CancelWatch<T> {
        CancelWatch(self.state.as_ref().map_or_else(Weak::new, Arc::downgrade))
    }

    /// Completes the future with `outcome` (a task's: its output, or why there is none).
    pub(crate) fn complete(mut self, outcome: Result<T, TaskError>) {
        self.deliver(outcome);
    }

    fn deliver(&mut self, outcome: Result<T, TaskError>) {
        if let Some(state) = self.state.take() {
            // Cancelled first: the outcome is dropped here, outside the lock.
            drop(finish(&state, outcome));
        }
    }
}

/// Completes `state` with `outcome` unless it is done already (then `outcome` is handed
/// back); wakes the awaiter and the blocked, and runs the done callbacks, on this thread.
fn finish<T>(state: &Arc<State<T>>, outcome: Result<T, TaskError>) -> Option<Result<T, TaskError>> {
    let (waker, callbacks) = {
        let mut slot = lock(&state.slot);
        if slot.done {
            return Some(outcome);
        }
        slot.cancelled = matches!(outcome, Err(TaskError::Cancelled));
        slot.outcome = Some(outcome);
        slot.done = true;
        (slot.waker.take(), std::mem::take(&mut slot.callbacks))
    };
    state.ready.notify_all();
    if let Some(waker) = waker {
        waker.wake();
    }
    run_callbacks(state, callbacks);
    None
}

/// Adds a done callback, or runs it now if the future is done (Python's
/// `add_done_callback`).
fn add_callback<T>(state: &Arc<State<T>>, callback: DoneCallback<T>) {
    let mut slot = lock(&state.slot);
    if slot.done {
        drop(slot);
        run_callbacks(state, vec![callback]);
    } else {
        slot.callbacks.push(callback);
    }
}

/// Runs done callbacks, each under its own guard: a panic is printed, as Python's
/// `concurrent.futures` logs "exception calling callback for", and the others still run
/// (there is no loop here to report to).
fn run_callbacks<T>(state: &Arc<State<T>>, callbacks: Vec<DoneCallback<T>>) {
    if callbacks.is_empty() {
        return;
    }
    // A view for the callbacks: never polled, so dropping it cancels nothing.
    let future = ConcurrentFuture {
        state: Arc::clone(state),
        awaited: false,
    };
    for callback in callbacks {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(&future))) {
            let (panic, payload_drop) = Panic::from_caught(payload);
            eprintln!("exception calling callback for {future:?}; {panic}");
            if let Some(second) = payload_drop {
                eprintln!("{PAYLOAD_DROP_PANICKED}; {second}");
            }
        }
    }
}

/// Hears of a [`ConcurrentFuture`]'s cancellation without keeping it alive (weak: it
/// adds no reference, so `is_abandoned` stays right).
pub(crate) struct CancelWatch<T>(Weak<State<T>>);

impl<T> CancelWatch<T> {
    /// Runs `hook` once the future is cancelled, on the cancelling thread; at once if it
    /// is already. Never if it completes otherwise, or is gone.
    pub(crate) fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) {
        if let Some(state) = self.0.upgrade() {
            add_callback(
                &state,
                Box::new(move |future: &ConcurrentFuture<T>| {
                    if future.cancelled() {
                        hook();
                    }
                }),
            );
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
///
/// [`cancel`](Self::cancel) cancels it from any thread, and with it the task of a
/// `LoopHandle::spawn`. Dropping it after it was awaited (polled) and before it is done
/// cancels it too: the awaiting task was cancelled, or gave up (a timeout), which in
/// asyncio cancels the `wrap_future` it awaits, and that the concurrent future. Dropped
/// without ever being awaited, it cancels nothing: the work is detached, as an unread
/// `run_coroutine_threadsafe` future is. Blocking on it ([`result`](Self::result),
/// [`wait`](Self::wait)) is not awaiting.
pub struct ConcurrentFuture<T> {
    state: Arc<State<T>>,
    /// Polled at least once: dropped pending, it cancels.
    awaited: bool,
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
                cancelled: false,
                waker: None,
                callbacks: Vec::new(),
            }),
            ready: Condvar::new(),
        });
        let setter = ConcurrentSetter {
            state: Some(Arc::clone(&state)),
        };
        let future = ConcurrentFuture {
            state,
            awaited: false,
        };
        (future, setter)
    }

    /// Whether the outcome is there (a result, a panic, or a cancellation).
    pub fn done(&self) -> bool {
        lock(&self.state.slot).done
    }

    /// Cancels the future, from any thread (Python's `concurrent.futures.Future.cancel()`):
    /// if it is pending it is cancelled now, whoever awaits or blocks on it gets
    /// `Err(TaskError::Cancelled)`, and its done callbacks run on this thread; returns
    /// `true`. A future that `LoopHandle::spawn` gave then cancels its task, through the
    /// loop's `call_soon_threadsafe`: the task hears it at its next step, and even if it
    /// ends otherwise, this future stays cancelled. Returns `true` on a future cancelled
    /// already, `false` on one completed otherwise (its outcome stays).
    ///
    /// ```
    /// use asyncio_loop::{ConcurrentFuture, TaskError};
    ///
    /// let (future, setter) = ConcurrentFuture::<u32>::new();
    /// assert!(future.cancel());
    /// assert!(future.cancelled() && future.done());
    /// assert!(setter.is_abandoned(), "the worker can tell");
    /// setter.set_result(1); // too late: dropped
    /// assert_eq!(future.result(), Err(TaskError::Cancelled));
    /// ```
    pub fn cancel(&self) -> bool {
        let refused = finish(&self.state, Err(TaskError::Cancelled));
        let cancelled = refused.is_none() || lock(&self.state.slot).cancelled;
        // The unused cancellation goes after the lock (it holds no value of `T`, but the
        // order is the rule here: nothing is dropped under the slot's lock).
        drop(refused);
        cancelled
    }

    /// Whether the future was cancelled (Python's `cancelled()`): by [`cancel`](Self::cancel),
    /// by its setter dropped unused, or because the task of a `LoopHandle::spawn` ended
    /// cancelled (its loop closed first, say).
    pub fn cancelled(&self) -> bool {
        lock(&self.state.slot).cancelled
    }

    /// Runs `callback` with this future once it is done, on the thread that completes or
    /// cancels it; now, on this thread, if it is done already (Python's
    /// `concurrent.futures.Future.add_done_callback`). A panic in it is printed and
    /// swallowed, as Python logs it. `callback` must not block on this future's producer.
    ///
    /// ```
    /// use asyncio_loop::ConcurrentFuture;
    /// use std::sync::mpsc;
    ///
    /// let (future, setter) = ConcurrentFuture::new();
    /// let (tx, rx) = mpsc::channel();
    /// future.add_done_callback(move |f: &ConcurrentFuture<u32>| tx.send(f.cancelled()).unwrap());
    /// std::thread::spawn(move || setter.set_result(7)).join().unwrap();
    /// assert_eq!(rx.recv(), Ok(false));
    /// ```
    pub fn add_done_callback(&self, callback: impl FnOnce(&ConcurrentFuture<T>) + Send + 'static) {
        add_callback(&self.state, Box::new(callback));
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

    /// Cancel safety: dropping an await of `&mut future` leaves the outcome in place for
    /// another poll (it is not `Clone`); nothing is lost. Dropping the future itself once
    /// polled, before it is done, cancels it (and its remote task): see the type's docs.
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.awaited = true;
        let mut slot = lock(&this.state.slot);
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

impl<T> Drop for ConcurrentFuture<T> {
    /// The awaiter gave up (its task was cancelled, a timeout fired): cancel, as asyncio's
    /// cancelled `wrap_future` cancels the concurrent future it chains to.
    fn drop(&mut self) {
        if self.awaited {
            self.cancel();
        }
    }
}

impl<T> fmt::Debug for ConcurrentFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Python's repr words: `<Future at 0x… state=cancelled>`.
        let state = {
            let slot = lock(&self.state.slot);
            match (slot.done, slot.cancelled) {
                (false, _) => "pending",
                (true, true) => "cancelled",
                (true, false) => "finished",
            }
        };
        write!(f, "<ConcurrentFuture {state}>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_dropped_setter_cancels_and_a_late_result_is_dropped() {
        let (future, setter) = ConcurrentFuture::<u8>::new();
        drop(setter);
        assert!(future.cancelled() && future.done());
        assert!(future.cancel(), "cancelled already: true");
        let (future, setter) = ConcurrentFuture::<u8>::new();
        assert!(!setter.is_abandoned());
        assert!(future.cancel());
        assert!(setter.is_abandoned());
        setter.set_result(1);
        assert_eq!(format!("{future:?}"), "<ConcurrentFuture cancelled>");
        assert_eq!(future.result(), Err(TaskError::Cancelled));
    }

    #[test]
    fn a_panicking_callback_does_not_stop_the_others_and_late_ones_run_at_once() {
        let (future, setter) = ConcurrentFuture::<u8>::new();
        let ran = Arc::new(AtomicUsize::new(0));
        future.add_done_callback(|_| panic!("callback boom"));
        let counter = Arc::clone(&ran);
        future.add_done_callback(move |f| {
            assert!(!f.cancelled());
            counter.fetch_add(1, Ordering::SeqCst);
        });
        setter.set_result(3);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
        let counter = Arc::clone(&ran);
        future.add_done_callback(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(ran.load(Ordering::SeqCst), 2, "done already: run now");
        assert!(!future.cancel(), "completed: refused");
        assert_eq!(future.result(), Ok(3));
    }

    #[test]
    fn dropped_unpolled_it_cancels_nothing_dropped_after_a_poll_it_cancels() {
        let noop = Waker::noop();
        let (future, setter) = ConcurrentFuture::<u8>::new();
        drop(future);
        assert!(setter.is_abandoned(), "nobody reads it");
        let watch = setter.watch();
        let cancelled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&cancelled);
        watch.on_cancel(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        setter.set_result(1);
        assert_eq!(cancelled.load(Ordering::SeqCst), 0, "unpolled: detached");

        let (mut future, setter) = ConcurrentFuture::<u8>::new();
        let counter = Arc::clone(&cancelled);
        setter.watch().on_cancel(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let polled = Pin::new(&mut future).poll(&mut Context::from_waker(noop));
        assert!(polled.is_pending());
        drop(future);
        assert_eq!(cancelled.load(Ordering::SeqCst), 1, "awaited, then dropped");
        assert!(setter.is_abandoned());
    }
}
