//! Layer 4 (the public surface): the handles to callbacks scheduled with `call_soon`,
//! `call_later` and `call_at`. The callback itself (`callback.rs`) is one `Rc` allocation;
//! the ready queue or the timer wheel holds one reference and the [`Handle`] /
//! [`TimerHandle`] another, so cancelling drops the closure at once and the queue skips
//! the empty shell.

use std::fmt;
use std::rc::{Rc, Weak};
use std::time::Instant;

use crate::callback::Callback;
use crate::scheduler::LoopInner;
use crate::timers::TimerId;

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
