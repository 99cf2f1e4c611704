//! A task allocation for the models: the real [`Header`] (its waker count, `queued` flag
//! and way to the loop, used by the real waker vtable and `TaskRc`), followed by cells that
//! record who touches the task, in place of `raw.rs`'s typed stage.
//!
//! `dealloc` marks the task freed instead of returning the memory, which the model's
//! thread frees once every other thread has been joined: so a use after the free is a
//! loom-detected race on the `freed` cell (or a failed assertion), never real undefined
//! behaviour, and a second free is a failed assertion.

use std::ptr::NonNull;
use std::sync::Arc;
use std::task::Waker;

use loom::cell::UnsafeCell;

use crate::header::{Header, TaskRc, TaskVTable};
use crate::shared::Shared;
use crate::waker;

#[repr(C)]
struct TestTask {
    header: Header,
    /// Stands for the stage (the future, then its output): the loop side writes it while
    /// it steps the task, and `drop_stage` writes it last.
    stage: UnsafeCell<u32>,
    /// Set by `dealloc`. Whoever holds a reference reads it before using the task, so
    /// every use must happen before the free.
    freed: UnsafeCell<bool>,
}

static VTABLE: TaskVTable = TaskVTable {
    step: unused_step,
    abort: unused_abort,
    panic: unused_panic,
    take_output: unused_take_output,
    visit: unused_visit,
    drop_stage,
    dealloc,
};

unsafe fn unused_step(_: NonNull<Header>) -> bool {
    unreachable!("the models step the task by hand")
}

unsafe fn unused_abort(_: NonNull<Header>) {
    unreachable!("the models never abort")
}

unsafe fn unused_panic(_: NonNull<Header>) -> Option<crate::Panic> {
    unreachable!("the models never ask for a panic")
}

unsafe fn unused_take_output(_: NonNull<Header>, _: *mut ()) {
    unreachable!("the models never take an output")
}

unsafe fn unused_visit(_: NonNull<Header>, _: &mut crate::header::OutcomeVisitor<'_>) {
    unreachable!("the models never look at an outcome")
}

/// # Safety
///
/// `ptr` is a [`TestTask`] whose memory is not returned yet (true until [`free_memory`]).
unsafe fn test_task<'a>(ptr: NonNull<Header>) -> &'a TestTask {
    // SAFETY: `repr(C)` with the header first; the memory lives until `free_memory`.
    unsafe { ptr.cast::<TestTask>().as_ref() }
}

unsafe fn drop_stage(ptr: NonNull<Header>) {
    // SAFETY: called by the last `TaskRc`, which held the task alive.
    let task = unsafe { test_task(ptr) };
    // SAFETY: loom checks this write against every other access of the cell.
    task.stage.with_mut(|stage| unsafe { *stage = u32::MAX });
}

unsafe fn dealloc(ptr: NonNull<Header>) {
    // SAFETY: the memory outlives every thread of the model (`free_memory`).
    let task = unsafe { test_task(ptr) };
    // SAFETY: loom checks this write against every other access of the cell.
    task.freed.with_mut(|freed| unsafe {
        assert!(!*freed, "task freed twice");
        *freed = true;
    });
}

/// A task's pointer, to hand to another model thread (a `NonNull` is not `Send`).
#[derive(Clone, Copy)]
pub(super) struct TaskPtr(NonNull<Header>);

// SAFETY: the models only touch the task's `Sync` wake side from other threads (through
// wakers and `touch`), as real wakers do; the loop-side part stays on the model's thread.
unsafe impl Send for TaskPtr {}

impl TaskPtr {
    pub(super) fn new(ptr: NonNull<Header>) -> TaskPtr {
        TaskPtr(ptr)
    }

    pub(super) fn get(self) -> NonNull<Header> {
        self.0
    }
}

/// A task of the loop owning `shared`, with one loop-side reference (returned, to be
/// adopted on the loop's thread) and the loop side's unit of the waker count.
pub(super) fn new(shared: &Arc<Shared>) -> NonNull<Header> {
    let task = Box::new(TestTask {
        header: Header::new(&VTABLE, shared, None, false),
        stage: UnsafeCell::new(0),
        freed: UnsafeCell::new(false),
    });
    NonNull::from(Box::leak(task)).cast()
}

/// The loop-side reference `new` counted.
///
/// # Safety
///
/// Once per task, on the thread acting as the task's loop.
pub(super) unsafe fn adopt(ptr: NonNull<Header>) -> TaskRc {
    // SAFETY: passed on from our caller.
    unsafe { TaskRc::adopt(ptr) }
}

/// A step of the task by the loop: writes the stage, as polling the future would.
pub(super) fn step(task: &TaskRc) {
    // SAFETY: `task` keeps it alive.
    let cell = unsafe { test_task(task.as_ptr()) };
    // SAFETY: loom checks this write against every other access of the cell.
    cell.stage.with_mut(|stage| unsafe { *stage += 1 });
}

/// A new waker of the task (one more unit of its count).
///
/// # Safety
///
/// The caller holds a reference to the task.
pub(super) unsafe fn waker(ptr: NonNull<Header>) -> Waker {
    // SAFETY: alive through the caller's reference; the clone takes its own unit.
    let borrowed = unsafe { waker::borrowed(ptr) };
    Waker::clone(&borrowed)
}

/// What a holder does before using the task: asserts it is not freed. loom reports a race
/// if this read is not ordered before a `dealloc` on another thread.
///
/// # Safety
///
/// `ptr` is a task of [`new`] whose memory is not returned yet.
pub(super) unsafe fn touch(ptr: NonNull<Header>) {
    // SAFETY: passed on from our caller.
    let task = unsafe { test_task(ptr) };
    // SAFETY: loom checks this read against the write in `dealloc`.
    let freed = task.freed.with(|freed| unsafe { *freed });
    assert!(!freed, "task used after it was freed");
}

/// Returns the memory once every thread that could reach the task is joined, asserting it
/// was freed (a task never freed is a leak).
///
/// # Safety
///
/// `ptr` is a task of [`new`], no other thread can reach it, and it is not used again.
pub(super) unsafe fn free_memory(ptr: NonNull<Header>) {
    // SAFETY: made by `Box::new` in `new`, and nobody else holds it (our caller).
    let task = unsafe { Box::from_raw(ptr.cast::<TestTask>().as_ptr()) };
    // SAFETY: every thread that wrote it was joined.
    let freed = task.freed.with(|freed| unsafe { *freed });
    assert!(freed, "task never freed");
    // The loop side dropped the `Local` part already (as `TaskRc` does, it is a
    // `ManuallyDrop`), so this drops the wake side only, as `raw.rs`'s `dealloc` does.
    drop(task);
}
