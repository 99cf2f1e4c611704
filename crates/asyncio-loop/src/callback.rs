//! Layer 0 (leaf types): a scheduled callback of any closure type, as the ready queue and
//! the timer wheel hold it. The public handles to it (`Handle`, `TimerHandle`) are in
//! `handle.rs`, at the surface. Depends on nothing in the crate.
//!
//! A callback is one `Rc` allocation (its closure and its flags); the ready queue or the
//! timer wheel holds one reference and the handle another, so cancelling drops the closure
//! at once and the queue skips the empty shell.

use std::cell::Cell;
use std::rc::Rc;

/// A done callback of a [`Future`](crate::Future) or a task, as `add_done_callback`
/// returns it, for `remove_done_callback`. asyncio finds the callback to remove by the
/// function object; a Rust closure has no identity to compare, so each registration gets
/// this id (unique among the callbacks of its future or task).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DoneCallbackId(pub(crate) u64);

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
