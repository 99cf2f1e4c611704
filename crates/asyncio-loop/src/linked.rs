//! Layer 4 (the public surface, below `remote.rs`): the tasks `LoopHandle::spawn` made,
//! linked to their [`ConcurrentFuture`](crate::ConcurrentFuture), so that cancelling the
//! future from any thread cancels the task (CPython's `futures._chain_future`: the
//! concurrent future's done callback calls `loop.call_soon_threadsafe(task.cancel)`).
//!
//! A `TaskRef` is `!Send`, so the cancel sent to the loop carries a number, and the loop
//! finds the task by it here. One table per loop, kept as the loop's extension (as
//! `future.rs` keeps its remote setters), so it goes when the loop closes; a task leaves
//! it when its future ends or is dropped, whichever way.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::concurrent::CancelWatch;
use crate::running::running_loop;
use crate::scheduler::LoopInner;
use crate::shared::{Injected, Shared};
use crate::task_ref::TaskRef;

/// The linked tasks of one loop, by number.
#[derive(Default)]
struct Linked {
    tasks: HashMap<u64, TaskRef>,
}

/// Link numbers, unique in the process rather than per loop: an [`Unlink`] dropped while
/// another loop runs on the thread (a loop closed from a task of another) looks in that
/// loop's table, and must find nothing there.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Runs `f` on `event_loop`'s table, made on first use; `None` if the extensions are
/// borrowed (the loop is dropping them as it closes: nothing is left to link or cancel).
/// `f` runs no user code.
fn with_linked<R>(event_loop: &LoopInner, f: impl FnOnce(&mut Linked) -> R) -> Option<R> {
    let mut extensions = event_loop.extensions.try_borrow_mut().ok()?;
    let at = match extensions.iter().position(|value| value.is::<Linked>()) {
        Some(at) => at,
        None => {
            extensions.push(Box::new(Linked::default()));
            extensions.len() - 1
        }
    };
    extensions[at].downcast_mut::<Linked>().map(f)
}

/// A number for a task about to be spawned and linked.
pub(crate) fn reserve() -> u64 {
    // Relaxed: only uniqueness matters.
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Links `task`, spawned under number `key` on `event_loop` (the running loop), to the
/// future `watch` watches: cancelling that future, from any thread, sends the cancel to
/// this loop. Its [`Unlink`] guard, in the task's future, takes it out again.
pub(crate) fn link<T>(event_loop: &LoopInner, key: u64, task: TaskRef, watch: &CancelWatch<T>) {
    with_linked(event_loop, |linked| linked.tasks.insert(key, task));
    let shared: Arc<Shared> = Arc::clone(&event_loop.shared);
    watch.on_cancel(move || {
        // A closed loop has cancelled the task already (or is about to): nothing to send.
        let _ = shared.inject(Injected::Call(Box::new(move || cancel(key))));
    });
}

/// On the loop's thread: cancels the linked task `key`, if it has not ended.
fn cancel(key: u64) {
    let Some(event_loop) = running_loop() else {
        return;
    };
    // Taken out first: `cancel` runs no user code now, but the table stays unborrowed.
    let task = with_linked(&event_loop, |linked| linked.tasks.remove(&key)).flatten();
    if let Some(task) = task {
        task.cancel();
    }
}

/// Held by a linked task's future: takes the task out of the table when the future ends
/// or is dropped (cancelled by anyone, or by the loop's close).
pub(crate) struct Unlink(pub(crate) u64);

impl Drop for Unlink {
    fn drop(&mut self) {
        if let Some(event_loop) = running_loop() {
            let task = with_linked(&event_loop, |linked| linked.tasks.remove(&self.0)).flatten();
            drop(task);
        }
    }
}
