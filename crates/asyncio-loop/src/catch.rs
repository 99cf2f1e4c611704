//! Layer 2 (the parts the loop drives): catch scopes, the Rust spelling of
//! `try: ... except CancelledError: ...`.
//!
//! [`catch_cancelled`] wraps a future; while it is alive its task's cancellation is not a
//! drop of the whole task but an error this scope returns: the innermost scope polled
//! drops its own future (whose `Drop` cleanup runs) and returns `Err(CancelledError)`.
//! The code after it may `await` cleanup, then swallow the cancellation or pass it on with
//! [`CancelledError::reraise`], which hands it to the next scope out, or, with none left,
//! ends the task cancelled. [`finally`] packs the common shape. Where the cancellation
//! waits and how a step hands it over is `cancelling.rs`; the record is `cancel_state.rs`.
//!
//! A timeout (`sleep.rs`) cancels through the same path with a cancellation only the
//! scopes inside it may catch; the helpers it calls are at the end of this file.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::cancel_state::{CancelTarget, Delivery};
use crate::cancelling::update;
use crate::context::with_running;
use crate::error::{CancelOrigin, CancelledError};
use crate::flags::{Flag, State};
use crate::header::{Header, TaskRc};
use crate::task_ref::request_cancel;

/// The task whose step is running on this thread, if any.
fn running_task() -> Option<TaskRc> {
    with_running(|scheduler| scheduler.current_task()).flatten()
}

/// A live scope's place in its task: registered at its depth until dropped.
struct Seat {
    task: TaskRc,
    depth: u32,
}

impl Seat {
    /// The seat of a scope being polled now: the one it has if it is still in the same
    /// task at the same depth, else a new one. `None` outside a task.
    fn refresh(slot: &mut Option<Seat>) -> Option<&Seat> {
        let Some(task) = running_task() else {
            *slot = None;
            return None;
        };
        let depth = task.header().with_cancel_state(|state| state.polling);
        let same = matches!(slot, Some(seat) if seat.task.ptr_eq(&task) && seat.depth == depth);
        if !same {
            *slot = None;
            update(task.header(), |state| state.add_scope(depth));
            *slot = Some(Seat { task, depth });
        }
        slot.as_ref()
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let depth = self.depth;
        update(self.task.header(), |state| state.remove_scope(depth));
    }
}

/// One more scope polling in `header`'s task while alive: the depth scopes polled inside
/// get.
struct Polling<'a>(&'a Header);

impl<'a> Polling<'a> {
    fn enter(header: &'a Header) -> Polling<'a> {
        header.with_cancel_state(|state| state.polling += 1);
        Polling(header)
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        self.0.with_cancel_state(|state| state.polling -= 1);
    }
}

impl From<Delivery> for CancelledError {
    fn from(delivery: Delivery) -> CancelledError {
        CancelledError {
            message: delivery.message,
            origin: delivery.origin,
        }
    }
}

pin_project! {
    /// The future of [`catch_cancelled`].
    #[must_use = "futures do nothing unless awaited"]
    pub struct CatchCancelled<F> {
        #[pin]
        future: Option<F>,
        seat: Option<Seat>,
    }
}

/// Runs `future` so that a cancellation of the task reaches this code as
/// `Err(CancelledError)` instead of dropping the whole task: asyncio's
/// `try: await future except CancelledError: ...`.
///
/// When the task is cancelled (by [`Task::cancel`](crate::Task::cancel), or by a
/// [`timeout`](crate::timeout) around this scope), the innermost scope polled drops
/// `future` (its `Drop` cleanup runs) and returns the error at the task's next step. The
/// code after it may then `await` its cleanup and either go on (the cancellation is
/// swallowed, as asyncio allows; [`Task::cancelling`](crate::Task::cancelling) still
/// counts it) or pass it on with [`CancelledError::reraise`]. A task that is cancelled
/// while suspended on another task cancels that one first, and its scope receives the
/// cancellation once that task has ended, as in asyncio.
///
/// Outside a task of a running loop the scope catches nothing: it is `future` with its
/// output in `Ok`.
///
/// Cancel safety: dropping the scope drops `future`; nothing is lost that `future` itself
/// would not lose.
///
/// ```
/// use std::time::Duration;
/// use asyncio_loop::{EventLoop, catch_cancelled, create_task, sleep};
///
/// let out = EventLoop::new().run_until_complete(async {
///     let worker = create_task(async {
///         let result = catch_cancelled(sleep(Duration::from_secs(3600))).await;
///         // The cleanup of `except CancelledError:` may await.
///         sleep(Duration::from_millis(1)).await;
///         match result {
///             Ok(()) => "slept",
///             Err(_cancelled) => "cleaned up, cancellation swallowed",
///         }
///     });
///     sleep(Duration::ZERO).await;
///     worker.cancel();
///     worker.await
/// });
/// assert_eq!(out, Ok(Ok("cleaned up, cancellation swallowed")));
/// ```
pub fn catch_cancelled<F: Future>(future: F) -> CatchCancelled<F> {
    CatchCancelled {
        future: Some(future),
        seat: None,
    }
}

impl<F: Future> Future for CatchCancelled<F> {
    type Output = Result<F::Output, CancelledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            panic!("catch_cancelled: polled after completion");
        };
        let Some(seat) = Seat::refresh(this.seat) else {
            return future.poll(cx).map(Ok);
        };
        let header = seat.task.header();
        let depth = seat.depth;
        // With no scope alive deeper than this one, none inside can take it: take it
        // without polling the future again, as the exception is thrown at the await.
        let leaf = update(header, |state| {
            if state.live_from(depth + 1) {
                None
            } else {
                state.take_for_scope(depth)
            }
        });
        let caught = match leaf {
            Some(delivery) => delivery,
            None => {
                let polled = {
                    let _polling = Polling::enter(header);
                    future.poll(cx)
                };
                if let Poll::Ready(output) = polled {
                    this.future.set(None);
                    *this.seat = None;
                    return Poll::Ready(Ok(output));
                }
                match update(header, |state| state.take_for_scope(depth)) {
                    Some(delivery) => delivery,
                    None => return Poll::Pending,
                }
            }
        };
        this.future.set(None);
        *this.seat = None;
        Poll::Ready(Err(caught.into()))
    }
}

/// The future of [`CancelledError::reraise`]: it never completes.
#[must_use = "futures do nothing unless awaited"]
pub struct Reraise<T> {
    error: Option<CancelledError>,
    output: PhantomData<fn() -> T>,
}

impl CancelledError {
    /// Passes a caught cancellation on (asyncio's bare `raise` in `except
    /// CancelledError:`): the next catch scope out receives it; with none left the task
    /// ends cancelled. Awaiting it never completes, so it fits any return type.
    ///
    /// # Panics
    ///
    /// When polled outside a task of a running loop: there is no task to cancel.
    ///
    /// ```
    /// use std::time::Duration;
    /// use asyncio_loop::{EventLoop, TaskError, catch_cancelled, create_task, sleep};
    ///
    /// let out = EventLoop::new().run_until_complete(async {
    ///     let worker = create_task(async {
    ///         if let Err(cancelled) = catch_cancelled(sleep(Duration::from_secs(3600))).await {
    ///             sleep(Duration::from_millis(1)).await; // async cleanup
    ///             return cancelled.reraise().await;
    ///         }
    ///         "slept"
    ///     });
    ///     sleep(Duration::ZERO).await;
    ///     worker.cancel();
    ///     worker.await
    /// });
    /// assert_eq!(out, Ok(Err(TaskError::Cancelled)));
    /// ```
    pub fn reraise<T>(self) -> Reraise<T> {
        Reraise {
            error: Some(self),
            output: PhantomData,
        }
    }
}

impl<T> Future for Reraise<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        if let Some(error) = self.error.take() {
            let task = running_task().expect("reraise: not in a task of a running event loop");
            update(task.header(), |state| {
                state.deliver(Delivery {
                    origin: error.origin,
                    min_depth: 0,
                    message: error.message,
                });
            });
        }
        Poll::Pending
    }
}

/// Runs `body`, then `cleanup` whether `body` finished or was cancelled, then passes the
/// cancellation on if there was one: asyncio's `try: await body finally: await cleanup`.
///
/// A second cancellation during `cleanup` interrupts it, as in asyncio.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use asyncio_loop::{EventLoop, TaskError, create_task, finally, sleep};
///
/// let closed = Rc::new(Cell::new(false));
/// let flag = Rc::clone(&closed);
/// let out = EventLoop::new().run_until_complete(async move {
///     let worker = create_task(finally(sleep(Duration::from_secs(3600)), async move {
///         sleep(Duration::from_millis(1)).await; // e.g. writer.wait_closed()
///         flag.set(true);
///     }));
///     sleep(Duration::ZERO).await;
///     worker.cancel();
///     worker.await
/// });
/// assert_eq!(out, Ok(Err(TaskError::Cancelled)));
/// assert!(closed.get());
/// ```
pub async fn finally<T>(body: impl Future<Output = T>, cleanup: impl Future<Output = ()>) -> T {
    let outcome = catch_cancelled(body).await;
    cleanup.await;
    match outcome {
        Ok(output) => output,
        Err(cancelled) => cancelled.reraise().await,
    }
}

/// Records that the running task's step is suspended on `target`, so that cancelling the
/// task cancels `target` first and the task's own cancellation (its drop, or its catch
/// scope's error) comes once `target` has woken it, after `target`'s cleanup: asyncio's
/// `_fut_waiter`. Call it from a future's `poll` each time it returns `Pending`; a step
/// forgets it when the next one starts. Does nothing outside a task.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use asyncio_loop::{CancelTarget, EventLoop, create_task, note_waiting_on, sleep};
/// use std::time::Duration;
///
/// struct Probe(Rc<Cell<bool>>);
/// impl CancelTarget for Probe {
///     fn cancel(&self) -> bool {
///         self.0.set(true);
///         false // nothing to wait for: the task is cancelled at once
///     }
/// }
///
/// let asked = Rc::new(Cell::new(false));
/// let flag = asked.clone();
/// EventLoop::new().run_until_complete(async move {
///     let task = create_task(std::future::poll_fn(move |_| {
///         note_waiting_on(Rc::new(Probe(flag.clone())));
///         std::task::Poll::<()>::Pending
///     }));
///     sleep(Duration::ZERO).await;
///     task.cancel();
///     assert!(task.await.is_err());
/// })
/// .unwrap();
/// assert!(asked.get());
/// ```
pub fn note_waiting_on(target: Rc<dyn CancelTarget>) {
    if let Some(task) = running_task() {
        task.header().set_waiting_target(target);
    }
}

/// How a timeout's deadline passing while its future is pending goes on (`sleep.rs`).
pub(crate) enum Expiry {
    /// Nothing inside can catch it: drop the future and report the timeout.
    Drop,
    /// The future is awaiting a task, now being cancelled: wait for it to end.
    Forwarded,
    /// The future is awaiting a [`CancelTarget`] (a gather), now cancelled: wait for the
    /// future to end, with the cancellation as its outcome.
    ForwardedTarget,
    /// A cancellation is on its way to the scopes inside: poll the future with it.
    Delivered,
}

/// The deadline of the timeout `origin` passed. `awaited` is the task its future was
/// found suspended on, if any (see [`forget_awaited`] and [`awaited_task`]).
pub(crate) fn expire(origin: usize, awaited: Option<Awaited>) -> Expiry {
    let Some(task) = running_task() else {
        return Expiry::Drop;
    };
    let header = task.header();
    match awaited {
        Some(Awaited::Task(awaited)) if !awaited.header().done() => {
            request_cancel(&awaited, None);
            update(header, |state| {
                state.forwarded.retain(|(o, _)| *o != origin);
                state.forwarded.push((origin, awaited));
            });
            Expiry::Forwarded
        }
        Some(Awaited::Target(target)) if target.cancel() => Expiry::ForwardedTarget,
        _ => deliver_timeout(header, origin),
    }
}

/// Sends the timeout `origin`'s cancellation to the scopes inside it, if there are any.
fn deliver_timeout(header: &Header, origin: usize) -> Expiry {
    if !header.flags().get(Flag::CATCHING) {
        return Expiry::Drop;
    }
    update(header, |state| {
        if !state.live_from(state.polling) {
            return Expiry::Drop;
        }
        let delivery = Delivery {
            origin: CancelOrigin::Timeout(origin),
            min_depth: state.polling,
            message: None,
        };
        state.deliver(delivery);
        Expiry::Delivered
    })
}

/// A timeout whose future awaited a task that has now ended: what to do next. `Drop`
/// when nothing inside can catch the cancellation; `Delivered` when scopes can.
pub(crate) fn after_forwarded(origin: usize) -> Expiry {
    match running_task() {
        Some(task) => deliver_timeout(task.header(), origin),
        None => Expiry::Drop,
    }
}

/// The task the timeout `origin` cancelled, whether it ended cancelled (`None`: there is
/// none, or it has not ended).
pub(crate) fn forwarded_cancelled(origin: usize) -> Option<bool> {
    let task = running_task()?;
    let header = task.header();
    let found = header.with_existing_cancel_state(|state| {
        state
            .forwarded
            .iter()
            .find(|(o, _)| *o == origin)
            .map(|(_, t)| (t.header().done(), t.header().state() == State::Cancelled))
    });
    match found.flatten() {
        Some((true, cancelled)) => {
            update(header, |state| state.take_forwarded(origin));
            Some(cancelled)
        }
        _ => None,
    }
}

/// Takes the timeout `origin`'s own cancellation back if no scope took it: `true` when it
/// was still waiting (the timeout then reports itself), `false` when a scope has it.
pub(crate) fn take_own(origin: usize) -> bool {
    match running_task() {
        Some(task) => update(task.header(), |state| {
            state.take_for_timeout(origin).is_some()
        }),
        None => false,
    }
}

/// What a task's step was found suspended on, for cancellation to go to first.
pub(crate) enum Awaited {
    Task(TaskRc),
    Target(Rc<dyn CancelTarget>),
}

/// Forgets what the running task's step is suspended on, so that the next poll says
/// afresh (a timeout asks about its own future only).
pub(crate) fn forget_awaited() {
    if let Some(task) = running_task() {
        drop(task.header().local.waiting_on.take());
        drop(task.header().take_waiting_target());
    }
}

/// What the running task's step was last found suspended on.
pub(crate) fn awaited() -> Option<Awaited> {
    let task = running_task()?;
    let header = task.header();
    let cell = &header.local.waiting_on;
    let awaited = cell.take();
    cell.set(awaited.clone());
    if let Some(task) = awaited {
        return Some(Awaited::Task(task));
    }
    let target = header.take_waiting_target()?;
    header.set_waiting_target(Rc::clone(&target));
    Some(Awaited::Target(target))
}
