//! Layer 4 (the public surface): [`Future`], asyncio's settable future (`loop.create_future()`), shared by clones.

use std::cell::RefCell;
use std::fmt;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use crate::error::{CancelledError, InvalidStateError};
use crate::in_context::bind_ref;
use crate::scheduler::LoopInner;

enum FutureState<T> {
    Pending,
    Done(T),
    Cancelled,
}

type FutureCallback<T> = Box<dyn FnOnce(&Future<T>)>;

enum Action<T> {
    Callback(FutureCallback<T>),
    Waker(Waker),
}

struct Inner<T> {
    state: RefCell<FutureState<T>>,
    actions: RefCell<Vec<Action<T>>>,
    event_loop: Weak<LoopInner>,
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
                event_loop,
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
    /// iteration if it already is.
    pub fn add_done_callback(&self, callback: impl FnOnce(&Future<T>) + 'static) {
        // contextvars: it runs in a copy of the context current now, as asyncio's.
        let callback = bind_ref(callback);
        if self.done() {
            self.schedule(Box::new(callback));
        } else {
            self.inner
                .actions
                .borrow_mut()
                .push(Action::Callback(Box::new(callback)));
        }
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
                Action::Callback(callback) => self.schedule(callback),
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
            FutureState::Cancelled => Ok(Err(CancelledError)),
        }
    }
}

impl<T: Clone> std::future::Future for Future<T> {
    type Output = Result<T, CancelledError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &*self.inner.state.borrow() {
            FutureState::Done(value) => return Poll::Ready(Ok(value.clone())),
            FutureState::Cancelled => return Poll::Ready(Err(CancelledError)),
            FutureState::Pending => {}
        }
        let mut actions = self.inner.actions.borrow_mut();
        let known = actions
            .iter()
            .any(|a| matches!(a, Action::Waker(w) if w.will_wake(cx.waker())));
        if !known {
            actions.push(Action::Waker(cx.waker().clone()));
        }
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
