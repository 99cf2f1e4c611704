//! Layer 0 (leaf types): what a task records about its cancellation beyond the one
//! `CANCEL_REQUESTED` flag of its header, in its rarely used extras (`header.rs`): asyncio's
//! count of pending requests (`cancelling()`), the message of the last one, the catch
//! scopes alive in the task by depth, and a cancellation on its way to one of them.
//!
//! A cancellation reaches a task's code like an exception thrown at its await point: the
//! innermost catch scope (`catch.rs`) that is polled receives it. Depth makes "innermost"
//! checkable without a tree: a scope's depth is the number of scopes polling around it
//! when it is polled, and a scope with no live scope deeper than itself takes a
//! cancellation without polling its future again. Otherwise it polls, and the scopes
//! inside return first, so the deepest one polled takes it (post-order). A [`Delivery`]
//! names who sent it: the task's own `cancel()`, or a timeout, which only the scopes inside
//! that timeout may catch.
//!
//! Generic over the task reference `R` so that this leaf knows no task type: the header
//! stores here the tasks a timeout cancelled on the way (`wait_for` on a task).

use std::sync::Arc;

use crate::error::CancelOrigin;
use crate::waiting::TaskId;

/// Something a task can be suspended on that cancelling the task cancels first, as
/// asyncio's `Task.cancel()` cancels the future in `_fut_waiter`: a gather's outer future,
/// for one. Recorded with [`note_waiting_on`](crate::note_waiting_on).
pub trait CancelTarget {
    /// Cancels it; whether there was anything left to cancel. When `true`, the waiting
    /// task's own cancellation waits until the target wakes it (its end), so the task's
    /// cleanup runs after the target's.
    fn cancel(&self) -> bool;

    /// How a task dump (`EventLoop::dump`) shows it, after "waiting on": asyncio's name
    /// for it (`"gather()"`); by default `"Future"`.
    fn describe(&self) -> String {
        "Future".to_owned()
    }

    /// The tasks it waits for, which a task dump nests under the task awaiting it (a
    /// gather's or a task group's children); by default none.
    fn awaited_tasks(&self) -> Vec<TaskId> {
        Vec::new()
    }
}

/// A cancellation on its way to a catch scope.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    pub(crate) origin: CancelOrigin,
    /// Only scopes at this depth or deeper may take it: a timeout's cancellation stays
    /// inside the timeout.
    pub(crate) min_depth: u32,
    pub(crate) message: Option<Arc<str>>,
}

/// A task's cancellation record.
#[derive(Debug)]
pub(crate) struct CancelState<R> {
    /// asyncio's `cancelling()`: requests made and not `uncancel`ed.
    pub(crate) requests: u32,
    /// The message of the latest request that had one (`cancel_with`).
    pub(crate) message: Option<Arc<str>>,
    /// Live catch scopes, counted by depth.
    live: Vec<u32>,
    /// Scopes polling their future right now: the depth a scope polled now has.
    pub(crate) polling: u32,
    /// A cancellation no scope has taken yet.
    pub(crate) pending: Option<Delivery>,
    /// Tasks a timeout cancelled because its future was awaiting them, by the timeout's
    /// origin: when the future ends, the timeout reports a timeout if that task ended
    /// cancelled (asyncio's `wait_for` on a task).
    pub(crate) forwarded: Vec<(usize, R)>,
}

impl<R> Default for CancelState<R> {
    fn default() -> Self {
        CancelState {
            requests: 0,
            message: None,
            live: Vec::new(),
            polling: 0,
            pending: None,
            forwarded: Vec::new(),
        }
    }
}

impl<R> CancelState<R> {
    /// Whether a catch scope is alive or a cancellation is on its way: what the task's
    /// `CATCHING` flag mirrors, so that a step without scopes looks at none of this.
    pub(crate) fn catching(&self) -> bool {
        self.pending.is_some() || self.live.iter().any(|&n| n > 0)
    }

    /// Whether any catch scope is alive at `depth` or deeper.
    pub(crate) fn live_from(&self, depth: u32) -> bool {
        let from = usize::try_from(depth).unwrap_or(usize::MAX);
        self.live.iter().skip(from).any(|&n| n > 0)
    }

    /// A scope at `depth` came alive.
    pub(crate) fn add_scope(&mut self, depth: u32) {
        let at = usize::try_from(depth).expect("scope depth fits usize");
        if self.live.len() <= at {
            self.live.resize(at + 1, 0);
        }
        self.live[at] += 1;
    }

    /// A scope at `depth` went away.
    pub(crate) fn remove_scope(&mut self, depth: u32) {
        let at = usize::try_from(depth).expect("scope depth fits usize");
        let count = &mut self.live[at];
        *count -= 1;
        while self.live.last() == Some(&0) {
            self.live.pop();
        }
    }

    /// Sends a cancellation towards the scopes. The task's own request wins over a
    /// timeout's: that one would only be caught to be cancelled again from outside.
    pub(crate) fn deliver(&mut self, delivery: Delivery) {
        match &self.pending {
            Some(old) if old.origin == CancelOrigin::Task && delivery.origin != old.origin => {}
            _ => self.pending = Some(delivery),
        }
    }

    /// The pending cancellation, if a catch scope at `depth` may take it.
    pub(crate) fn take_for_scope(&mut self, depth: u32) -> Option<Delivery> {
        match &self.pending {
            Some(delivery) if delivery.min_depth <= depth => self.pending.take(),
            _ => None,
        }
    }

    /// The pending cancellation, if it is the timeout `origin`'s own.
    pub(crate) fn take_for_timeout(&mut self, origin: usize) -> Option<Delivery> {
        match &self.pending {
            Some(delivery) if delivery.origin == CancelOrigin::Timeout(origin) => {
                self.pending.take()
            }
            _ => None,
        }
    }

    /// Takes the task the timeout `origin` cancelled, if it did.
    pub(crate) fn take_forwarded(&mut self, origin: usize) -> Option<R> {
        let at = self.forwarded.iter().position(|(o, _)| *o == origin)?;
        Some(self.forwarded.swap_remove(at).1)
    }
}

#[cfg(test)]
mod tests {
    use super::{CancelState, Delivery};
    use crate::error::CancelOrigin;

    fn delivery(origin: CancelOrigin, min_depth: u32) -> Delivery {
        Delivery {
            origin,
            min_depth,
            message: None,
        }
    }

    #[test]
    fn scopes_are_counted_by_depth() {
        let mut state = CancelState::<()>::default();
        assert!(!state.catching());
        state.add_scope(0);
        state.add_scope(2);
        assert!(state.catching());
        assert!(state.live_from(1) && state.live_from(2) && !state.live_from(3));
        state.remove_scope(2);
        assert!(!state.live_from(1));
        state.remove_scope(0);
        assert!(!state.catching());
    }

    #[test]
    fn a_timeout_cancellation_stays_inside_its_timeout() {
        let mut state = CancelState::<()>::default();
        state.deliver(delivery(CancelOrigin::Timeout(7), 2));
        assert!(
            state.take_for_scope(1).is_none(),
            "a scope outside the timeout"
        );
        assert!(state.take_for_timeout(8).is_none(), "another timeout");
        assert!(state.take_for_scope(2).is_some());
        state.deliver(delivery(CancelOrigin::Timeout(7), 2));
        assert!(state.take_for_timeout(7).is_some());
    }

    #[test]
    fn the_tasks_own_cancellation_wins_over_a_timeouts() {
        let mut state = CancelState::<()>::default();
        state.deliver(delivery(CancelOrigin::Task, 0));
        state.deliver(delivery(CancelOrigin::Timeout(7), 1));
        assert_eq!(state.pending.as_ref().unwrap().origin, CancelOrigin::Task);
        state.pending = None;
        state.deliver(delivery(CancelOrigin::Timeout(7), 1));
        state.deliver(delivery(CancelOrigin::Task, 0));
        assert_eq!(state.pending.as_ref().unwrap().origin, CancelOrigin::Task);
    }
}
