//! Layer 1 (the raw task): cancellation requests, and how a step hands them to the task's
//! catch scopes instead of dropping its future.
//!
//! By default a cancel request drops the task's future at its next step: cheap, and what
//! Rust code expects. A task with live catch scopes (`catch.rs`) has its `CATCHING` flag
//! set; for it, the step turns the request into a [`Delivery`] and polls the future, so
//! that the innermost scope polled receives it as a `CancelledError`, drops its own inner
//! future and lets the code after it clean up with `await`s. After the poll, a delivery
//! nobody took with no scope left (or a future that finished meanwhile, as asyncio's
//! `_must_cancel`) ends the task cancelled after all. The common step pays one flag test
//! before and one after its poll.

use std::sync::Arc;

use crate::cancel_state::{CancelState, Delivery};
use crate::error::CancelOrigin;
use crate::flags::Flag;
use crate::header::{Header, TaskRc};

/// Counts a cancel request of a pending task (asyncio's `cancelling()` goes up by one) and
/// keeps its message; sets `CANCEL_REQUESTED`, which the next step acts on.
pub(crate) fn count_request(header: &Header, message: Option<Arc<str>>) {
    header.with_cancel_state(|state| {
        state.requests = state.requests.saturating_add(1);
        if message.is_some() {
            state.message = message;
        }
    });
    header.flags().set(Flag::CANCEL_REQUESTED, true);
}

/// asyncio's `cancelling()`: cancel requests not yet `uncancel`ed.
pub(crate) fn cancelling(header: &Header) -> u32 {
    header
        .with_existing_cancel_state(|state| state.requests)
        .unwrap_or(0)
}

/// asyncio's `uncancel()`: one request fewer; the count left.
pub(crate) fn uncancel(header: &Header) -> u32 {
    header
        .with_existing_cancel_state(|state| {
            state.requests = state.requests.saturating_sub(1);
            state.requests
        })
        .unwrap_or(0)
}

/// Runs `f` on the task's record and sets `CATCHING` to what it now says.
pub(crate) fn update<R>(header: &Header, f: impl FnOnce(&mut CancelState<TaskRc>) -> R) -> R {
    let (out, catching) = header.with_cancel_state(|state| {
        let out = f(state);
        (out, state.catching())
    });
    header.flags().set(Flag::CATCHING, catching);
    out
}

/// At the start of a step: whether a cancel request ends the task now (its future is
/// dropped unpolled). With catch scopes alive it is sent towards them instead.
#[inline(always)]
pub(crate) fn cancel_at_step(header: &Header) -> bool {
    header.flags().get(Flag::CANCEL_REQUESTED) && cancel_or_deliver(header)
}

#[cold]
#[inline(never)]
fn cancel_or_deliver(header: &Header) -> bool {
    if !header.flags().get(Flag::CATCHING) {
        return true;
    }
    header.flags().set(Flag::CANCEL_REQUESTED, false);
    update(header, |state| {
        let delivery = Delivery {
            origin: CancelOrigin::Task,
            min_depth: 0,
            message: state.message.clone(),
        };
        state.deliver(delivery);
    });
    false
}

/// After a poll (`finished`: the future completed): whether a cancellation that no scope
/// took ends the task now. It waits while a scope is alive to take it at its next poll.
#[inline(always)]
pub(crate) fn cancel_after_poll(header: &Header, finished: bool) -> bool {
    header.flags().get(Flag::CATCHING) && undelivered(header, finished)
}

#[cold]
#[inline(never)]
fn undelivered(header: &Header, finished: bool) -> bool {
    update(header, |state| {
        if state.pending.is_none() || (!finished && state.live_from(0)) {
            return false;
        }
        state.pending = None;
        true
    })
}
