//! Layer 1 (the raw task): what a task's end sets off. Its awaiter (the task or executor
//! awaiting its handle) and its done actions (done callbacks, wakers of `cancel_all_tasks`)
//! are recorded in the header in the order they were registered; when the task finishes,
//! the loop runs them in that order: callbacks through `call_soon`, wakers woken (which
//! queues their step), so both land in the ready queue as asyncio's done callbacks do.

use std::task::Waker;

use crate::callback::CallbackCell;
use crate::context::Schedule;
use crate::header::{DoneAction, DoneActions, Header, TaskRc};
use crate::waker::{into_waker, own, will_wake};

/// Records `waker` as the one to wake when the task ends (the [`Task`](crate::Task)
/// handle's awaiter), keeping its place among the done actions.
pub(crate) fn register_awaiter(header: &Header, waker: &Waker) {
    match header.take_awaiter() {
        Some(current) if will_wake(&current, waker) => header.set_awaiter(current),
        Some(_) => header.set_awaiter(own(waker.clone())),
        None => {
            header.mark_awaiter_place();
            header.set_awaiter(own(waker.clone()));
        }
    }
}

/// Runs a finished task's done actions in order, with its awaiter woken in its place among
/// them. `scheduler` is the task's loop (`None`: gone, so callbacks are dropped unrun).
///
/// Most tasks have no done callback and no extras at all: they only wake their awaiter,
/// without building and dropping an empty action list (about 45 instructions of every
/// spawn+await, `floors` group).
pub(crate) fn run_done_actions<S: Schedule + ?Sized>(task: &TaskRc, scheduler: Option<&S>) {
    let header = task.header();
    match header.take_done_actions() {
        None => wake_awaiter(header),
        Some(actions) => run_in_order(actions, task, scheduler),
    }
}

/// Wakes the task's awaiter, if it has one (or still has one).
fn wake_awaiter(header: &Header) {
    if let Some(awaiter) = header.take_awaiter() {
        into_waker(awaiter).wake();
    }
}

/// The done actions, then the awaiter in its place. Out of line: the common case above
/// stays small.
#[inline(never)]
fn run_in_order<S: Schedule + ?Sized>(actions: DoneActions, task: &TaskRc, scheduler: Option<&S>) {
    let header = task.header();
    for (index, action) in actions.actions.into_iter().enumerate() {
        if actions.awaiter_at == Some(index) {
            wake_awaiter(header);
        }
        match action {
            DoneAction::Callback(_, callback) => {
                if let Some(scheduler) = scheduler {
                    let task = task.clone();
                    scheduler.call_soon(CallbackCell::new_rc(move || callback(&task)));
                }
            }
            DoneAction::Waker(waker) => waker.wake(),
        }
    }
    // After every action, or at the end if it was not placed among them; a no-op if it
    // was woken in its place already.
    wake_awaiter(header);
}
