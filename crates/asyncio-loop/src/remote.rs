//! Layer 4 (the public surface): [`LoopHandle`], the loop as other threads see it:
//! `call_soon_threadsafe`, and `spawn` (asyncio's `run_coroutine_threadsafe`), whose
//! outcome comes back as a [`ConcurrentFuture`] (`concurrent.rs`).

use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use asyncio_contextvars::{SendContext, capture, capture_send};
use pin_project_lite::pin_project;

use crate::concurrent::ConcurrentFuture;
use crate::error::{PAYLOAD_DROP_PANICKED, Panic, RunError, TaskError};
use crate::exception::ExceptionContext;
use crate::linked::{self, Unlink};
use crate::ready::Ready;
use crate::running::running_loop;
use crate::shared::{Injected, LoopId, Shared};

/// A `Send + Sync` handle to a loop, for other threads.
///
/// Handles compare (and hash) by the loop they reach: two handles of one loop are equal
/// wherever they were made, those of two loops never are, even after one was dropped (the
/// loop's [`LoopId`] is never reused).
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
        // On the loop's own thread while it runs, straight onto the ready queue, in order
        // with `call_soon`: asyncio appends to its one `_ready` for both. Through the
        // injection queue it would wait for the next poll's drain, behind whatever
        // `call_soon` queued meanwhile (tests/python/threadsafe_own_thread.py).
        if let Some(event_loop) = running_loop() {
            if event_loop.shared.id() == self.shared.id() {
                event_loop.push_ready(Ready::Remote(f));
                return Ok(());
            }
        }
        self.shared
            .inject(Injected::Call(f))
            .map_err(|_| RunError::Closed)
    }

    /// Runs `future` as a task of the loop (asyncio's `run_coroutine_threadsafe`). The
    /// returned [`ConcurrentFuture`] can be awaited anywhere or blocked on; it gives
    /// `Err(TaskError::Cancelled)` if the loop closes (or the task is cancelled) first.
    ///
    /// Cancelling it ([`ConcurrentFuture::cancel`], from any thread, or dropping it while
    /// it is awaited) cancels the task, through this loop's `call_soon_threadsafe`, as
    /// CPython's `_chain_future` does: cancelled before the loop made the task, the task
    /// is still made, takes its first step and is cancelled at its first suspension.
    /// Dropped unawaited, it cancels nothing: the task runs on, detached.
    ///
    /// On a closed loop this does not panic, unlike `create_task` on the loop's own thread
    /// (another thread cannot know, without a race, whether the loop is still open): the
    /// future is dropped unpolled and the returned one is cancelled.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, TaskError, sleep};
    /// use std::time::Duration;
    ///
    /// let event_loop = EventLoop::new();
    /// let handle = event_loop.handle();
    /// let slow = std::thread::spawn(move || handle.spawn(sleep(Duration::from_secs(3600))))
    ///     .join()
    ///     .unwrap();
    /// assert!(slow.cancel());
    /// // The loop runs the task's first step, then the cancel it was sent.
    /// event_loop.run_until_complete(sleep(Duration::ZERO)).unwrap();
    /// assert!(event_loop.all_tasks().is_empty(), "the task was cancelled");
    /// assert_eq!(slow.result(), Err(TaskError::Cancelled));
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> ConcurrentFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (concurrent, setter) = ConcurrentFuture::new();
        // The caller's line, taken here: the spawn itself happens in a closure on the
        // loop's thread, where `#[track_caller]` no longer reaches.
        let created_at = Location::caller();
        // If the loop is closed the closure is dropped unrun, and with it the setter,
        // which reports the cancellation.
        let _ = self.call_soon_threadsafe(move || {
            // Remote callbacks run inside the loop's run, so it is the running loop.
            let event_loop = running_loop().expect("a remote callback runs on its running loop");
            let key = linked::reserve();
            let watch = setter.watch();
            let future = async move {
                let _unlink = Unlink(key);
                let outcome = CatchUnwind { future }.await;
                setter.complete(outcome);
            };
            let task = event_loop.spawn_in(capture(), None, future, created_at);
            linked::link(&event_loop, key, task.as_ref(), &watch);
        });
        concurrent
    }

    /// [`spawn`](Self::spawn) for a future that need not be `Send`: `make` (which is) is
    /// sent to the loop's thread and builds the future there, so it may hold `Rc`s, the
    /// loop's sockets, its `Task`s. Only `make` and the output cross threads. This is how
    /// work is handed to another loop of a set (`asyncio::Loops`).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use asyncio_loop::EventLoop;
    ///
    /// let event_loop = EventLoop::new();
    /// let handle = event_loop.handle();
    /// let answer = std::thread::spawn(move || {
    ///     handle.spawn_with(|| {
    ///         let local = Rc::new(40); // not Send: made on the loop's thread
    ///         async move { *local + 2 }
    ///     })
    /// });
    /// let answer = answer.join().unwrap();
    /// assert_eq!(event_loop.run_until_complete(answer), Ok(Ok(42)));
    /// ```
    pub fn spawn_with<M, F>(&self, make: M) -> ConcurrentFuture<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let (concurrent, setter) = ConcurrentFuture::new();
        // As `spawn`: a closed loop drops the closure unrun, and the setter reports it;
        // cancelling the future cancels the task as there.
        let _ = self.call_soon_threadsafe(move || {
            let event_loop = running_loop().expect("a remote callback runs on its running loop");
            let key = linked::reserve();
            let watch = setter.watch();
            let task = event_loop.spawn(None, async move {
                let _unlink = Unlink(key);
                // `make` runs inside the task, so a panic in it is the task's, reported
                // to the awaiting side like one in the future.
                let outcome = CatchUnwind {
                    future: async move { make().await },
                }
                .await;
                setter.complete(outcome);
            });
            linked::link(&event_loop, key, task.as_ref(), &watch);
        });
        concurrent
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

    /// The loop's identity, as [`EventLoop::id`](crate::EventLoop::id) gives it on the
    /// loop's thread.
    pub fn id(&self) -> LoopId {
        self.shared.id()
    }
}

impl PartialEq for LoopHandle {
    fn eq(&self, other: &LoopHandle) -> bool {
        self.id() == other.id()
    }
}

impl Eq for LoopHandle {}

impl Hash for LoopHandle {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl fmt::Debug for LoopHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<LoopHandle id={} closed={}>",
            self.id(),
            self.is_closed()
        )
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
