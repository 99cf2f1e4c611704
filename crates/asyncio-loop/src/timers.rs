//! Layer 2 (the parts the loop drives): the loop's deadlines, on the `asyncio-timer` wheel: one small module, so the rest of
//! the loop never sees the wheel's types.
//!
//! Entries are either a callback (`call_later`) or a waker (`sleep`, `timeout`): a fired
//! entry goes to the ready queue, so a sleeper's step runs the iteration after its timer
//! fired, as in CPython. Whether an entry has fired is the wheel's `contains` (keys carry a
//! generation), so a `Sleep` needs no shared flag and costs its timer entry only.
//!
//! Resolution: 1 µs ticks. asyncio orders timers by their exact (float) deadline; with
//! 1 ms ticks two sleeps 0.3 ms apart would fire in the order they were set instead. At
//! 1 µs, deadlines fire in deadline order to the microsecond (ties in the order set), at
//! most 1 µs late (the wheel rounds deadlines up and never fires early); `polling` waits
//! with a timerfd, so such deadlines are honoured. The wheel's six levels still span 19
//! hours before its overflow list, and every insert and cancel stays O(1).

use std::rc::Rc;
use std::task::Waker;
use std::time::{Duration, Instant};

use asyncio_timer::{TimerKey, Wheel};

use crate::callback::Callback;
use crate::header::TaskRc;

/// The wheel's tick.
const RESOLUTION: Duration = Duration::from_micros(1);

/// `start + delay`, or when that is past what `Instant` can hold, the latest instant near
/// it that it can: a deadline that never comes, which the wheel files in its overflow list.
pub(crate) fn saturating_add(start: Instant, delay: Duration) -> Instant {
    if let Some(at) = start.checked_add(delay) {
        return at;
    }
    // Add the largest halves that still fit: within a nanosecond of the limit, in at most
    // one step per bit of a `Duration`.
    let (mut at, mut step) = (start, delay);
    while !step.is_zero() {
        step /= 2;
        if let Some(next) = at.checked_add(step) {
            at = next;
        }
    }
    at
}

/// What a timer does when it fires.
pub(crate) enum TimerEntry {
    Callback(Rc<dyn Callback>),
    Wake(Waker),
    /// Wakes this task (see `LoopInner::wake_entry` in `scheduler.rs`).
    WakeTask(TaskRc),
}

/// Names one timer.
pub(crate) type TimerId = TimerKey;

/// Pending timers in deadline order, ties in the order they were set.
pub(crate) struct Timers {
    wheel: Wheel<TimerEntry>,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            wheel: Wheel::with_resolution(Instant::now(), RESOLUTION),
        }
    }

    pub(crate) fn insert(&mut self, deadline: Instant, entry: TimerEntry) -> TimerId {
        self.wheel.insert(deadline, entry)
    }

    /// Removes a timer that has not fired (O(1)); a stale id is a no-op.
    pub(crate) fn cancel(&mut self, id: TimerId) -> Option<TimerEntry> {
        self.wheel.cancel(id)
    }

    /// What the pending timer `id` does, to change in place (it keeps its deadline and its
    /// place among equal deadlines); `None` once it has fired or was cancelled.
    pub(crate) fn get_mut(&mut self, id: TimerId) -> Option<&mut TimerEntry> {
        self.wheel.get_mut(id)
    }

    /// Whether the timer has left the wheel: fired (or cancelled, which its owner knows).
    pub(crate) fn has_fired(&self, id: TimerId) -> bool {
        !self.wheel.contains(id)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.wheel.next_deadline()
    }

    /// Pops the earliest entry due by `now`.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<TimerEntry> {
        self.wheel.poll_expired(now).map(|(_, entry)| entry)
    }

    /// Takes any entry, due or not, until none is left: a closing loop drops them one by
    /// one, each under its own guard (their drops are user code).
    pub(crate) fn pop_any(&mut self) -> Option<TimerEntry> {
        self.wheel
            .poll_expired_at_tick(u64::MAX)
            .map(|(_, entry)| entry)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.wheel.is_empty()
    }
}
