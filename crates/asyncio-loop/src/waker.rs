//! Layer 1 (the raw task): a task's [`Waker`], a pointer to the task's own allocation, so making one allocates
//! nothing and polling a task clones nothing.
//!
//! Wakers are `Send + Sync`, as std requires. A wake on the thread of the task's loop puts
//! the step straight on the ready queue (no lock, no atomic beyond the waker's own count);
//! a wake from any other thread hands a clone of the waker to the loop's injection queue
//! and notifies the poller, once until the loop drains it (`WakeSide::queued`). Waking a
//! task that has finished, or whose loop is gone, does nothing.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::task::{RawWaker, RawWakerVTable, Waker};

use crate::context::wake_local;
use crate::flags::State;
use crate::header::{Awaiter, Header, OwnWaker, acquire_waker_unit, release_waker_unit};
use crate::shared::Injected;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker for the task at `ptr` that owns no reference: for a `Context` while the task is
/// polled, or to compare with (`will_wake`). Cloning it takes a real reference.
///
/// # Safety
///
/// The task stays alive while the returned waker (not its clones) is used.
pub(crate) unsafe fn borrowed(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &VTABLE);
    // SAFETY: the vtable's functions keep `RawWaker`'s contract for a data pointer to a
    // live task header (see each one); `ManuallyDrop` keeps this waker from releasing a
    // reference it never took.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// The task a waker of ours points to; `None` for any other waker.
pub(crate) fn task_of(waker: &Waker) -> Option<NonNull<Header>> {
    if std::ptr::eq(waker.vtable(), &VTABLE) {
        NonNull::new(waker.data().cast_mut().cast())
    } else {
        None
    }
}

/// Whether `waker` is one of our tasks' wakers and that task has ended: waking it would do
/// nothing, so whoever keeps it for a wake-up may drop it.
pub(crate) fn wakes_a_finished_task(waker: &Waker) -> bool {
    let Some(task) = task_of(waker) else {
        return false;
    };
    // SAFETY: `waker` holds a unit of the task's waker count, so the allocation is alive;
    // only the `WakeSide` is read, which is `Sync` (its flags are an atomic, so reading
    // them from any thread is no data race; the state of an ended task no longer changes).
    let wake = unsafe { &(*task.as_ptr()).wake };
    wake.flags.state() != State::Pending
}

/// `waker` as an [`OwnWaker`] (one word) if it is one of ours; any other waker is handed
/// back.
pub(crate) fn own(waker: Waker) -> Awaiter {
    match task_of(&waker) {
        Some(ptr) => {
            // Its unit moves into the `OwnWaker`.
            std::mem::forget(waker);
            // SAFETY: the unit `waker` owned is handed over.
            Ok(unsafe { OwnWaker::from_unit(ptr) })
        }
        None => Err(waker),
    }
}

/// The `Waker` again, with the unit.
pub(crate) fn into_waker(awaiter: Awaiter) -> Waker {
    match awaiter {
        Ok(own) => {
            let ptr = own.into_unit();
            // SAFETY: the unit `own` owned keeps the task alive, and moves to the returned
            // waker (out of the `ManuallyDrop` that `borrowed` wraps it in), which releases
            // it when dropped.
            ManuallyDrop::into_inner(unsafe { borrowed(ptr) })
        }
        Err(foreign) => foreign,
    }
}

/// Whether `awaiter` and `waker` wake the same task, as [`Waker::will_wake`] says.
pub(crate) fn will_wake(awaiter: &Awaiter, waker: &Waker) -> bool {
    match awaiter {
        Ok(own) => task_of(waker) == Some(own.task()),
        Err(foreign) => foreign.will_wake(waker),
    }
}

fn header_ptr(data: *const ()) -> NonNull<Header> {
    // SAFETY: every `RawWaker` with this vtable is made by `borrowed` from a `NonNull`.
    unsafe { NonNull::new_unchecked(data.cast_mut().cast()) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the task alive (it holds a unit, or is the
    // borrowed waker of a task being polled).
    unsafe { acquire_waker_unit(header_ptr(data)) };
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: the waker, alive until the drop below, keeps the task alive.
    unsafe { wake_by_ref(data) };
    // SAFETY: `wake` consumes the waker and its unit.
    unsafe { drop_waker(data) };
}

unsafe fn wake_by_ref(data: *const ()) {
    let ptr = header_ptr(data);
    // SAFETY: the waker keeps the task alive; only the `Sync` `WakeSide` is read here.
    let wake = unsafe { &(*ptr.as_ptr()).wake };
    // SAFETY: as just said; `wake_local` touches the loop-side part only once it has
    // established that this thread is the task's loop's.
    if unsafe { wake_local(&wake.shared, ptr) } {
        return;
    }
    if !wake.queued.swap(true, Ordering::AcqRel) {
        // SAFETY: the waker keeps the task alive while the clone takes its own unit.
        let this = unsafe { borrowed(ptr) };
        let waker = Waker::clone(&this);
        // The queue owns the clone now; a closed loop hands it back and it is dropped here:
        // the task is gone, so waking it is harmless.
        let _ = wake.shared.inject(Injected::Wake(waker));
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: a waker being dropped owns one unit and is never used again.
    unsafe { release_waker_unit(header_ptr(data)) };
}
