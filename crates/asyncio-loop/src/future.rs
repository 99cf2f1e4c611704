//! Layer 4 (the public surface): [`Future`], asyncio's settable future (`loop.create_future()`), shared by clones,
//! and [`FutureSetter`], which sets it from another thread (asyncio's
//! `loop.call_soon_threadsafe(fut.set_result, value)`).

use std::any::Any;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::callback::DoneCallbackId;
use crate::cancel_state::CancelTarget;
use crate::catch::note_waiting_on;
use crate::error::{CancelledError, InvalidStateError, RunError};
use crate::exception::ExceptionContext;
use crate::in_context::bind_ref;
use crate::running::running_loop;
use crate::scheduler::LoopInner;
use crate::shared::{Injected, Shared};
use crate::waker::wakes_a_finished_task;

enum FutureState<T> {
    Pending,
    Done(T),
    Cancelled,
}

type FutureCallback<T> = Box<dyn FnOnce(&Future<T>)>;

enum Action<T> {
    Callback(DoneCallbackId, FutureCallback<T>),
    Waker(Waker),
}

struct Inner<T> {
    state: RefCell<FutureState<T>>,
    actions: RefCell<Vec<Action<T>>>,
    /// The id of the next done callback added.
    next_callback: Cell<u64>,
    event_loop: Weak<LoopInner>,
    /// What an awaiting task records it is suspended on (`note_waiting_on`): made at the
    /// first pending poll and shared by the later ones, so a poll allocates nothing. It
    /// points back weakly, so it keeps nothing alive.
    target: OnceCell<Rc<dyn CancelTarget>>,
}

/// A [`Future`] as the [`CancelTarget`] of the tasks awaiting it.
struct FutureTarget<T>(Weak<Inner<T>>);

impl<T: 'static> CancelTarget for FutureTarget<T> {
    fn cancel(&self) -> bool {
        match self.0.upgrade() {
            Some(inner) => Future { inner }.cancel(),
            None => false,
        }
    }
}

/// A result some code sets later and other code awaits (asyncio's `Future`). Clones share
/// the same state. Completing it wakes its awaiters (their steps run the next iteration)
/// and schedules its done callbacks with `call_soon`, in the order they were added.
///
/// Awaiting needs `T: Clone`: every awaiter gets a copy (wrap large values in `Rc`).
/// Awaiting gives `Err(CancelledError)` once it was cancelled. Dropping an awaiter does not
/// cancel the future (others may await it too).
///
/// ```
/// use asyncio_loop::EventLoop;
///
/// let event_loop = EventLoop::new();
/// let future = event_loop.create_future::<&str>();
/// let setter = future.clone();
/// event_loop.call_soon(move || setter.set_result("hello").unwrap());
/// assert_eq!(event_loop.run_until_complete(future), Ok(Ok("hello")));
/// ```
pub struct Future<T> {
    inner: Rc<Inner<T>>,
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T: 'static> Future<T> {
    pub(crate) fn new(event_loop: Weak<LoopInner>) -> Future<T> {
        Future {
            inner: Rc::new(Inner {
                state: RefCell::new(FutureState::Pending),
                actions: RefCell::new(Vec::new()),
                next_callback: Cell::new(0),
                event_loop,
                target: OnceCell::new(),
            }),
        }
    }

    /// Sets the result; `Err(InvalidStateError)` if it is already done (set or cancelled).
    pub fn set_result(&self, value: T) -> Result<(), InvalidStateError> {
        {
            let mut state = self.inner.state.borrow_mut();
            if !matches!(*state, FutureState::Pending) {
                return Err(InvalidStateError::ALREADY_DONE);
            }
            *state = FutureState::Done(value);
        }
        self.complete();
        Ok(())
    }

    /// Cancels the future; `false` if it is already done.
    pub fn cancel(&self) -> bool {
        {
            let mut state = self.inner.state.borrow_mut();
            if !matches!(*state, FutureState::Pending) {
                return false;
            }
            *state = FutureState::Cancelled;
        }
        self.complete();
        true
    }

    /// Whether it has a result or was cancelled.
    pub fn done(&self) -> bool {
        !matches!(*self.inner.state.borrow(), FutureState::Pending)
    }

    /// Whether it was cancelled.
    pub fn cancelled(&self) -> bool {
        matches!(*self.inner.state.borrow(), FutureState::Cancelled)
    }

    /// Runs `callback` with the future (through `call_soon`) once it is done; next
    /// iteration if it already is. It runs in a copy of the context current now, as
    /// asyncio's. Returns the registration's id, for
    /// [`remove_done_callback`](Self::remove_done_callback).
    pub fn add_done_callback(&self, callback: impl FnOnce(&Future<T>) + 'static) -> DoneCallbackId {
        let id = DoneCallbackId(self.inner.next_callback.get());
        self.inner.next_callback.set(id.0 + 1);
        let callback = bind_ref(callback);
        if self.done() {
            self.schedule(Box::new(callback));
        } else {
            self.inner
                .actions
                .borrow_mut()
                .push(Action::Callback(id, Box::new(callback)));
        }
        id
    }

    /// Removes the done callback `id` (asyncio's `remove_done_callback`): it will not run,
    /// and it is dropped now. Returns how many callbacks were removed, as asyncio does: 1,
    /// or 0 when it is not there any more (removed already, or scheduled because the
    /// future is done: asyncio too empties the list when it schedules the callbacks).
    ///
    /// ```
    /// let event_loop = asyncio_loop::EventLoop::new();
    /// let future = event_loop.create_future::<u8>();
    /// let id = future.add_done_callback(|_| unreachable!("removed"));
    /// assert_eq!(future.remove_done_callback(id), 1);
    /// assert_eq!(future.remove_done_callback(id), 0);
    /// future.set_result(1).unwrap();
    /// event_loop.run_until_complete(future).unwrap().unwrap();
    /// ```
    pub fn remove_done_callback(&self, id: DoneCallbackId) -> usize {
        let removed = {
            let mut actions = self.inner.actions.borrow_mut();
            let at = actions
                .iter()
                .position(|action| matches!(action, Action::Callback(of, _) if *of == id));
            at.map(|at| actions.remove(at))
        };
        // Dropped outside the borrow: the closure's captures may reach this future.
        usize::from(removed.is_some())
    }

    /// A `Send` handle that sets this future's result (or cancels it) from any thread,
    /// through the loop: asyncio's `loop.call_soon_threadsafe(fut.set_result, value)`,
    /// without `unsafe` although the future itself never leaves this thread. The loop
    /// keeps a clone of the future until the setter is used or dropped.
    /// `Err(RunError::Closed)` if the future's loop is closed (or gone).
    ///
    /// ```
    /// use asyncio_loop::EventLoop;
    ///
    /// let event_loop = EventLoop::new();
    /// let future = event_loop.create_future::<String>();
    /// let setter = future.threadsafe_setter().unwrap();
    /// let worker = std::thread::spawn(move || setter.set_result("from a thread".into()));
    /// assert_eq!(
    ///     event_loop.run_until_complete(future),
    ///     Ok(Ok("from a thread".to_owned()))
    /// );
    /// worker.join().unwrap().unwrap();
    /// ```
    pub fn threadsafe_setter(&self) -> Result<FutureSetter<T>, RunError>
    where
        T: Send,
    {
        let event_loop = self.inner.event_loop.upgrade();
        let Some(event_loop) = event_loop.filter(|event_loop| !event_loop.is_closed()) else {
            return Err(RunError::Closed);
        };
        let key = with_remote(&event_loop, |remote| {
            let key = remote.next;
            remote.next += 1;
            remote.futures.insert(key, Box::new(self.clone()));
            key
        });
        Ok(FutureSetter {
            shared: Arc::clone(&event_loop.shared),
            key,
            armed: true,
            value: PhantomData,
        })
    }

    fn schedule(&self, callback: FutureCallback<T>) {
        if let Some(event_loop) = self.inner.event_loop.upgrade() {
            let future = self.clone();
            event_loop.call_soon(move || callback(&future));
        }
    }

    fn complete(&self) {
        let actions = self.inner.actions.take();
        for action in actions {
            match action {
                Action::Waker(waker) => waker.wake(),
                Action::Callback(_, callback) => self.schedule(callback),
            }
        }
    }
}

impl<T: Clone + 'static> Future<T> {
    /// The result without waiting: `Err(InvalidStateError)` while pending, else what
    /// awaiting would give.
    pub fn result(&self) -> Result<Result<T, CancelledError>, InvalidStateError> {
        match &*self.inner.state.borrow() {
            FutureState::Pending => Err(InvalidStateError::NOT_SET),
            FutureState::Done(value) => Ok(Ok(value.clone())),
            FutureState::Cancelled => Ok(Err(CancelledError::new())),
        }
    }
}

/// Cancelling a task that awaits a future cancels the future first, as asyncio's
/// `Task.cancel()` cancels `_fut_waiter`: every awaiter then gets `CancelledError`, and the
/// task's own cancellation comes when the future's wakes it.
impl<T: 'static> CancelTarget for Future<T> {
    fn cancel(&self) -> bool {
        Future::cancel(self)
    }
}

impl<T: Clone + 'static> std::future::Future for Future<T> {
    type Output = Result<T, CancelledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &*self.inner.state.borrow() {
            FutureState::Done(value) => return Poll::Ready(Ok(value.clone())),
            FutureState::Cancelled => return Poll::Ready(Err(CancelledError::new())),
            FutureState::Pending => {}
        }
        let mut actions = self.inner.actions.borrow_mut();
        let known = actions
            .iter()
            .any(|a| matches!(a, Action::Waker(w) if w.will_wake(cx.waker())));
        if !known {
            // Awaiters that gave up and whose task has ended leave their waker behind:
            // forget those whenever the list doubles, so it holds about what still waits.
            if actions.len() >= 8 && actions.len().is_power_of_two() {
                actions.retain(|a| !matches!(a, Action::Waker(w) if wakes_a_finished_task(w)));
            }
            actions.push(Action::Waker(cx.waker().clone()));
        }
        drop(actions);
        let target = self.inner.target.get_or_init(|| {
            let target: Rc<dyn CancelTarget> = Rc::new(FutureTarget(Rc::downgrade(&self.inner)));
            target
        });
        note_waiting_on(Rc::clone(target));
        Poll::Pending
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &*self.inner.state.borrow() {
            FutureState::Pending => "pending",
            FutureState::Done(_) => "finished",
            FutureState::Cancelled => "cancelled",
        };
        write!(f, "<Future {state}>")
    }
}

/// Sets a loop's [`Future`] from any thread ([`Future::threadsafe_setter`]). Each call
/// hands the loop a callback through its injection queue, as `call_soon_threadsafe` does,
/// so the future is set in the loop's next iteration, on its thread; it is used once.
/// Dropped unused, it leaves the future as it is (other code on the loop may still set
/// it) and only lets the loop forget it.
pub struct FutureSetter<T> {
    shared: Arc<Shared>,
    /// The future's entry in its loop's [`Remote`] table.
    key: u64,
    /// Until a callback that takes the entry out is on its way.
    armed: bool,
    /// `T` travels through `set_result`'s callback only, which requires `T: Send`.
    value: PhantomData<fn(T)>,
}

impl<T: Send + 'static> FutureSetter<T> {
    /// Sets the future's result in the loop's next iteration (asyncio's
    /// `loop.call_soon_threadsafe(fut.set_result, value)`). If the future is done by then,
    /// the loop's exception handler hears of the `InvalidStateError`, as asyncio's callback
    /// raising it would be reported. `Err(RunError::Closed)` (the value dropped) if the loop
    /// is closed.
    pub fn set_result(self, value: T) -> Result<(), RunError> {
        self.send(Some(value))
    }

    /// Cancels the future in the loop's next iteration (asyncio's
    /// `loop.call_soon_threadsafe(fut.cancel)`); nothing happens if it is done by then.
    /// `Err(RunError::Closed)` if the loop is closed.
    pub fn cancel(self) -> Result<(), RunError> {
        self.send(None)
    }

    fn send(mut self, value: Option<T>) -> Result<(), RunError> {
        self.armed = false;
        let key = self.key;
        self.shared
            .inject(Injected::Call(Box::new(move || {
                complete_remote(key, value)
            })))
            .map_err(|_| RunError::Closed)
    }
}

impl<T> Drop for FutureSetter<T> {
    fn drop(&mut self) {
        if self.armed {
            let key = self.key;
            // A closed loop has dropped its table already.
            let forget = move || drop(running_loop().map(|l| take_remote(&l, key)));
            let _ = self.shared.inject(Injected::Call(Box::new(forget)));
        }
    }
}

impl<T> fmt::Debug for FutureSetter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.armed { "armed" } else { "used" };
        write!(f, "<FutureSetter loop={} {state}>", self.shared.id())
    }
}

/// The futures of a loop that have a [`FutureSetter`] out, by key: how a setter's callback
/// finds its future on the loop's thread (a `Future` is `!Send`, so the setter carries the
/// key). One per loop, kept as the loop's extension, so it goes when the loop closes.
#[derive(Default)]
struct Remote {
    next: u64,
    futures: HashMap<u64, Box<dyn Any>>,
}

/// Runs `f` on `event_loop`'s table, made on first use. `f` runs no user code: what it
/// takes out is dropped or used by the caller, after the borrow.
fn with_remote<R>(event_loop: &LoopInner, f: impl FnOnce(&mut Remote) -> R) -> R {
    let mut extensions = event_loop.extensions.borrow_mut();
    let at = match extensions.iter().position(|value| value.is::<Remote>()) {
        Some(at) => at,
        None => {
            extensions.push(Box::new(Remote::default()));
            extensions.len() - 1
        }
    };
    let remote = extensions[at].downcast_mut::<Remote>();
    f(remote.expect("found by its type"))
}

fn take_remote(event_loop: &LoopInner, key: u64) -> Option<Box<dyn Any>> {
    with_remote(event_loop, |remote| remote.futures.remove(&key))
}

/// A setter's callback, on the loop's thread: sets (or, with `None`, cancels) the future
/// `key` of the running loop, the one whose injection queue ran it.
fn complete_remote<T: 'static>(key: u64, value: Option<T>) {
    let Some(event_loop) = running_loop() else {
        return;
    };
    let Some(future) = take_remote(&event_loop, key) else {
        return;
    };
    let future = future
        .downcast::<Future<T>>()
        .expect("a setter's key names a future of its type");
    match value {
        Some(value) => {
            if let Err(error) = future.set_result(value) {
                let message = format!("Exception in callback Future.set_result(): {error}");
                event_loop.call_exception_handler(&ExceptionContext::new(message, None, None));
            }
        }
        None => drop(future.cancel()),
    }
}
