//! Model 3: a task's waker count (`acquire_waker_unit` / `release_waker_unit` in
//! `header.rs`, `Arc`'s algorithm), on the real header, waker vtable and `TaskRc`.
//!
//! Two threads clone, wake and drop wakers while the loop steps the task, lets its last
//! reference go (dropping the stage and releasing the loop side's unit) and closes,
//! dropping the wakes queued by then. Whichever thread releases the last unit frees the
//! task: exactly once (`dealloc` asserts it and the model checks it happened), and after
//! every use by any holder (loom reports a race between a holder's read and the free when
//! the Release decrement and the Acquire load after it do not order them).

use loom::thread;

use super::check;
use super::task::{self, TaskPtr};
use crate::shared::Shared;

/// The most preemptions per execution loom explores here (`None`: every interleaving).
const PREEMPTIONS: Option<usize> = None;

#[test]
fn loom_waker_count_frees_a_task_once_after_its_last_use() {
    check(
        "refcount: wakers on two threads, the loop letting go",
        PREEMPTIONS,
        || {
            let shared = std::sync::Arc::new(Shared::new());
            let ptr = task::new(&shared);
            // SAFETY: this thread is the task's loop, and adopts the one loop-side reference.
            let rc = unsafe { task::adopt(ptr) };
            // SAFETY: `rc` holds the task.
            let (first, second) = unsafe { (task::waker(ptr), task::waker(ptr)) };
            let remote = TaskPtr::new(ptr);
            let cloning = thread::spawn(move || {
                let ptr = remote.get();
                let clone = first.clone();
                // SAFETY: the memory outlives the model's threads (`task.rs`).
                unsafe { task::touch(ptr) };
                // A remote wake: sets `queued` and injects a clone of itself, or gets it back
                // from the closed loop and drops it here.
                first.wake();
                // SAFETY: as above; `clone` still holds a unit.
                unsafe { task::touch(ptr) };
                drop(clone);
            });
            let waking = thread::spawn(move || {
                let ptr = remote.get();
                second.wake_by_ref();
                // SAFETY: as above; `second` still holds a unit.
                unsafe { task::touch(ptr) };
                drop(second);
            });
            // The loop: a step, then the task's end (its last `TaskRc` goes), then `close()`,
            // which hands back the wakes injected by then; they are dropped here.
            task::step(&rc);
            drop(rc);
            drop(shared.close());
            cloning.join().unwrap();
            waking.join().unwrap();
            // SAFETY: every other thread is joined.
            unsafe { task::free_memory(ptr) };
        },
    );
}
