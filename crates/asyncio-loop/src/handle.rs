//! Callbacks scheduled with `call_soon`, `call_later` and `call_at`, and their handles.
//!
//! A callback is one `Rc` allocation (its closure and its flags); the ready queue or the
//! timer wheel holds one reference and the [`Handle`] / [`TimerHandle`] another, so
//! cancelling drops the closure at once and the queue skips the empty shell.

use std::cell::Cell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Instant;

use crate::event_loop::LoopInner;
use crate::timers::TimerId;

/// A scheduled callback of any closure type.
pub(crate) trait Callback {
    /// Runs the closure unless cancelled; at most once.
    fn run(&self);
    /// Drops the closure unrun; returns whether it was still pending.
    fn cancel(&self) -> bool;
    fn cancelled(&self) -> bool;
    /// The timer popped it into the ready queue: cancelling no longer touches the wheel.
    fn mark_fired(&self);
    fn fired(&self) -> bool;
}

pub(crate) struct CallbackCell<F> {
    f: Cell<Option<F>>,
    cancelled: Cell<bool>,
    fired: Cell<bool>,
}

impl<F: FnOnce() + 'static> CallbackCell<F> {
    pub(crate) fn new_rc(f: F) -> Rc<dyn Callback> {
        Rc::new(CallbackCell {
            f: Cell::new(Some(f)),
            cancelled: Cell::new(false),
            fired: Cell::new(false),
        })
    }
}

impl<F: FnOnce()> Callback for CallbackCell<F> {
    fn run(&self) {
        if let Some(f) = self.f.take() {
            f();
        }
    }

    fn cancel(&self) -> bool {
        if self.cancelled.replace(true) {
            return false;
        }
        let pending = self.f.take();
        let was_pending = pending.is_some();
        drop(pending);
        was_pending
    }

    fn cancelled(&self) -> bool {
        self.cancelled.get()
    }

    fn mark_fired(&self) {
        self.fired.set(true);
    }

    fn fired(&self) -> bool {
        self.fired.get()
    }
}

/// A callback scheduled with [`EventLoop::call_soon`](crate::EventLoop::call_soon).
#[derive(Clone)]
pub struct Handle {
    pub(crate) callback: Rc<dyn Callback>,
}

impl Handle {
    /// Keeps the callback from running (and drops it now). Harmless once it has run.
    pub fn cancel(&self) {
        self.callback.cancel();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.callback.cancelled()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.cancelled() { " cancelled" } else { "" };
        write!(f, "<Handle{state}>")
    }
}

/// A callback scheduled with [`EventLoop::call_later`](crate::EventLoop::call_later) or
/// [`EventLoop::call_at`](crate::EventLoop::call_at).
#[derive(Clone)]
pub struct TimerHandle {
    pub(crate) callback: Rc<dyn Callback>,
    pub(crate) when: Instant,
    pub(crate) timer: TimerId,
    pub(crate) event_loop: Weak<LoopInner>,
}

impl TimerHandle {
    /// Keeps the callback from running: removes its timer (O(1)) and drops the closure.
    pub fn cancel(&self) {
        if self.callback.cancel()
            && !self.callback.fired()
            && let Some(event_loop) = self.event_loop.upgrade()
        {
            event_loop.cancel_timer(self.timer);
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn cancelled(&self) -> bool {
        self.callback.cancelled()
    }

    /// When the callback is due, on the loop's clock.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.cancelled() { " cancelled" } else { "" };
        write!(f, "<TimerHandle{state} when={:?}>", self.when)
    }
}
