//! The loop's deadlines: one small module so the store behind them is one file.
//!
//! Entries are either a callback (`call_later`) or a waker (`sleep`, `timeout`): a fired
//! entry goes to the ready queue, so a sleeper's step runs the iteration after its timer
//! fired, as in CPython. Whether an entry has fired is answered from the deadline alone
//! (every entry due by the last processed instant has been popped), so a `Sleep` needs no
//! shared flag and costs its timer entry only.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::task::Waker;
use std::time::Instant;

use crate::handle::Callback;

/// What a timer does when it fires.
pub(crate) enum TimerEntry {
    Callback(Rc<dyn Callback>),
    Wake(Waker),
}

/// Names one timer: cancelling it is O(log n) in this store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerId {
    deadline: Instant,
    seq: u64,
}

/// Pending timers in deadline order, ties in the order they were set.
pub(crate) struct Timers {
    map: BTreeMap<(Instant, u64), TimerEntry>,
    seq: u64,
    /// Every entry due by this instant has been popped.
    processed: Option<Instant>,
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            map: BTreeMap::new(),
            seq: 0,
            processed: None,
        }
    }

    pub(crate) fn insert(&mut self, deadline: Instant, entry: TimerEntry) -> TimerId {
        self.seq += 1;
        self.map.insert((deadline, self.seq), entry);
        TimerId {
            deadline,
            seq: self.seq,
        }
    }

    /// Removes a timer that has not fired.
    pub(crate) fn cancel(&mut self, id: TimerId) -> Option<TimerEntry> {
        self.map.remove(&(id.deadline, id.seq))
    }

    /// Whether the timer has been popped (or is due and about to be: then it must not be
    /// cancelled, and its owner may treat it as expired).
    pub(crate) fn has_fired(&self, id: TimerId) -> bool {
        self.processed
            .is_some_and(|processed| id.deadline <= processed)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.map
            .first_key_value()
            .map(|((deadline, _), _)| *deadline)
    }

    /// Pops the earliest entry due by `now`; when none is left, records `now` as processed.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<TimerEntry> {
        match self.map.first_entry() {
            Some(first) if first.key().0 <= now => Some(first.remove()),
            _ => {
                if self.processed.is_none_or(|p| p < now) {
                    self.processed = Some(now);
                }
                None
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
