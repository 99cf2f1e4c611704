//! Layer 1 (the raw task): the loop's FIFO ready queue and its items. Task steps,
//! `call_soon` callbacks, fired timers, I/O callbacks and remote callbacks are all items of
//! one queue, which is what keeps the order FIFO and the interleavings CPython's.
//!
//! The queue sits this low, below the wakers, so that a wake on the loop's own thread
//! reaches it directly: `context.rs` keeps the running loop's queue beside its
//! `dyn Schedule`, and the hottest path of the loop (wake, then queue the step) calls no
//! trait object.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::ptr::NonNull;
use std::rc::Rc;
use std::task::Waker;

use crate::callback::Callback;
use crate::flags::Flag;
use crate::header::{Header, TaskRc};

/// One item of the ready queue.
pub(crate) enum Ready {
    /// A task's next step.
    Step(TaskRc),
    Callback(Rc<dyn Callback>),
    /// A fired `sleep`/`timeout` timer: wakes the task, whose step runs next iteration.
    Wake(Waker),
    /// The same for a timer set by the task that awaits it (the usual case): the task
    /// itself instead of a clone of its waker, so firing touches no waker count.
    WakeTask(TaskRc),
    /// A descriptor is ready for reading or writing.
    Io(IoReady),
    /// `stop()` as a callback: `run_until_complete`'s done callback, or a remote stop.
    Stop,
    /// A `call_soon_threadsafe` callback.
    Remote(Box<dyn FnOnce() + Send>),
}

/// Which descriptor is ready, and for what. Aligned like a pointer so that every payload
/// of [`Ready`] starts at the same aligned offset: with a `bool` right after the tag, moving
/// a `Ready` took overlapping unaligned copies that stalled on store forwarding, on every
/// item the loop runs.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(crate) struct IoReady {
    pub(crate) fd: RawFd,
    pub(crate) writable: bool,
}

/// Whether a wake of the task behind `header` must queue a step: it is pending and not
/// queued already. Marks it queued.
fn claim_step(header: &Header) -> bool {
    !header.done() && !header.flags().replace(Flag::SCHEDULED, true)
}

/// A loop's ready queue, and whether the loop is closed (a closed loop queues no callback).
#[derive(Default)]
pub(crate) struct ReadyQueue {
    items: RefCell<VecDeque<Ready>>,
    closed: Cell<bool>,
}

impl ReadyQueue {
    pub(crate) fn push(&self, item: Ready) {
        self.items.borrow_mut().push_back(item);
    }

    /// Runs `f` with the queue, to push many items under one borrow. `f` must not reach
    /// the queue again.
    pub(crate) fn with_items<R>(&self, f: impl FnOnce(&mut VecDeque<Ready>) -> R) -> R {
        f(&mut self.items.borrow_mut())
    }

    pub(crate) fn pop(&self) -> Option<Ready> {
        self.items.borrow_mut().pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        self.items.borrow().len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    /// Gives back what a burst left: shrinks the queue once it holds under a quarter of
    /// its room, keeping `keep` items' worth (and twice what it holds).
    pub(crate) fn shrink(&self, keep: usize) {
        let mut items = self.items.borrow_mut();
        let len = items.len();
        if items.capacity() > keep && len * 4 < items.capacity() {
            items.shrink_to(keep.max(2 * len));
        }
    }

    /// Takes every item, to drop them outside any borrow (closing).
    pub(crate) fn take(&self) -> VecDeque<Ready> {
        std::mem::take(&mut *self.items.borrow_mut())
    }

    /// Queues the next step of `task`, unless it is queued already or done.
    pub(crate) fn schedule(&self, task: &TaskRc) {
        if claim_step(task.header()) {
            self.push(Ready::Step(task.clone()));
        }
    }

    /// Queues the first step of `task`, just made: pending and never queued, so
    /// [`schedule`](Self::schedule)'s checks are skipped.
    pub(crate) fn schedule_new(&self, task: TaskRc) {
        debug_assert!(!task.header().done() && !task.header().flags().get(Flag::SCHEDULED));
        task.header().flags().set(Flag::SCHEDULED, true);
        self.push(Ready::Step(task));
    }

    /// [`schedule`](Self::schedule) for a task known by a waker's pointer; nothing if the
    /// loop side has already let go of the task.
    ///
    /// # Safety
    ///
    /// `task` is a task of this queue's loop, kept alive by a waker the caller holds, and
    /// this is the loop's thread (which `&self` of a `!Send` queue already says).
    pub(crate) unsafe fn schedule_woken(&self, task: NonNull<Header>) {
        // SAFETY: passed on from our caller.
        if let Some(task) = unsafe { TaskRc::from_waker(task) }
            && claim_step(task.header())
        {
            self.push(Ready::Step(task));
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub(crate) fn close(&self) {
        self.closed.set(true);
    }
}
