//! Layer 4 (the public surface): [`LoopHandle`], the loop as other threads see it, and [`ConcurrentFuture`], the result
//! of a future handed to the loop from another thread (asyncio's
//! `run_coroutine_threadsafe` and its `concurrent.futures.Future`).

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use asyncio_contextvars::{SendContext, capture_send};
use pin_project_lite::pin_project;

use crate::error::{PAYLOAD_DROP_PANICKED, Panic, RunError, TaskError};
use crate::exception::ExceptionContext;
use crate::running::running_loop;
use crate::shared::{Injected, Shared};

/// A `Send + Sync` handle to a loop, for other threads.
///
/// ```
/// use asyncio_loop::EventLoop;
///
/// let event_loop = EventLoop::new();
/// let handle = event_loop.handle();
/// let answer = std::thread::spawn(move || handle.spawn(async { 40 + 2 }));
/// let answer = answer.join().unwrap();
/// // The loop runs the spawned future while it waits for the answer.
/// assert_eq!(event_loop.run_until_complete(answer), Ok(Ok(42)));
/// ```
#[derive(Clone)]
pub struct LoopHandle {
    shared: Arc<Shared>,
}

impl LoopHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> LoopHandle {
        LoopHandle { shared }
    }

    /// Schedules `f` on the loop's thread and wakes the loop if it sleeps; it runs in the
    /// loop's next iteration, in a copy of the calling thread's current context
    /// (asyncio-contextvars), as asyncio's. `Err(RunError::Closed)` if the loop is closed.
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> Result<(), RunError> {
        match capture_send() {
            None => self.inject(Box::new(f)),
            Some(context) => self.inject(Box::new(move || context.run(f))),
        }
    }

    /// [`call_soon_threadsafe`](Self::call_soon_threadsafe) running `f` in a context
    /// holding `context`'s values (asyncio's `context=`; a `Context` stays on its thread,
    /// so `f` runs in a new one made from the copy, and what it sets stays there).
    pub fn call_soon_threadsafe_with_context(
        &self,
        context: SendContext,
        f: impl FnOnce() + Send + 'static,
    ) -> Result<(), RunError> {
        self.inject(Box::new(move || context.run(f)))
    }

    fn inject(&self, f: Box<dyn FnOnce() + Send>) -> Result<(), RunError> {
        self.shared
            .inject(Injected::Call(f))
            .map_err(|_| RunError::Closed)
    }

    /// Runs `future` as a task of the loop (asyncio's `run_coroutine_threadsafe`). The
    /// returned [`ConcurrentFuture`] can be awaited anywhere or blocked on; it gives
    /// `Err(TaskError::Cancelled)` if the loop closes (or the task is cancelled) first.
    pub fn spawn<F>(&self, future: F) -> ConcurrentFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let state = Arc::new(State {
            slot: Mutex::new(Slot {
                outcome: None,
                done: false,
                waker: None,
            }),
            ready: Condvar::new(),
        });
        let completer = Completer {
            state: Some(Arc::clone(&state)),
        };
        // If the loop is closed the closure is dropped unrun, and with it the completer,
        // which reports the cancellation.
        let _ = self.call_soon_threadsafe(move || {
            // Remote callbacks run inside the loop's run, so it is the running loop.
            let event_loop = running_loop().expect("a remote callback runs on its running loop");
            event_loop.spawn(None, async move {
                let outcome = CatchUnwind { future }.await;
                completer.complete(outcome);
            });
        });
        ConcurrentFuture { state }
    }

    /// Asks the loop to stop, as `call_soon_threadsafe(stop)`: it stops after the
    /// iteration in which that callback runs.
    pub fn stop(&self) {
        let _ = self.shared.inject(Injected::Stop);
    }

    /// Wakes the loop if it sleeps in its poller (and runs the wake hook).
    pub fn wake(&self) {
        self.shared.notify();
    }

    /// Whether the loop has been closed.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<LoopHandle closed={}>", self.is_closed())
    }
}

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

/// Delivers the outcome once; if dropped first (the task was cancelled or never ran),
/// delivers `Cancelled`.
struct Completer<T> {
    state: Option<Arc<State<T>>>,
}

impl<T> Completer<T> {
    fn complete(mut self, outcome: Result<T, TaskError>) {
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

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        self.deliver(Err(TaskError::Cancelled));
    }
}

pin_project! {
    /// Turns a panic of `future` into `Err(TaskError::Panicked)`.
    struct CatchUnwind<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let future = self.project().future;
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => {
                // A payload whose `Drop` panics must not end the task here: the remote
                // side would hear `Cancelled` instead of the panic.
                let (panic, payload_drop) = Panic::from_caught(payload);
                if let Some(second) = payload_drop
                    && let Some(event_loop) = running_loop()
                {
                    let message = PAYLOAD_DROP_PANICKED.to_owned();
                    let context = ExceptionContext::new(message, None, Some(second));
                    event_loop.call_exception_handler(&context);
                }
                Poll::Ready(Err(TaskError::Panicked(panic)))
            }
        }
    }
}

/// The outcome of a future spawned through [`LoopHandle::spawn`]: await it (from any
/// runtime), or block on it with [`result`](Self::result) / [`wait`](Self::wait).
pub struct ConcurrentFuture<T> {
    state: Arc<State<T>>,
}

impl<T> ConcurrentFuture<T> {
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

    /// Blocks until the outcome is there and returns it (asyncio's
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

impl<T> Future for ConcurrentFuture<T> {
    type Output = Result<T, TaskError>;

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
