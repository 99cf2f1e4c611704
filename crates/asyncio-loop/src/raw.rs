//! A task's single allocation (header, future, output together) and [`TaskRc`], the
//! loop-side reference to it.
//!
//! A task is referred to from two kinds of places, with two counts:
//!
//! - On the loop's thread: the registry (while pending), [`Task`](crate::Task) and
//!   [`TaskRef`](crate::TaskRef) handles, ready-queue items, timers. Each is a [`TaskRc`],
//!   `!Send`, counted in the plain `Cell` `Header::refs`, as an `Rc` would count.
//! - Anywhere: wakers (`waker.rs`), counted in the atomic `WakeSide::wakers`, as an `Arc`
//!   would count. All `TaskRc`s together hold one unit of that count.
//!
//! When the last `TaskRc` goes (always on the loop's thread, since `TaskRc` is `!Send`),
//! everything that is not `Send` is dropped there: the stage (future or output) and the
//! header's [`Local`](crate::header::Local) part. Then the loop side's unit of `wakers` is
//! released. Whoever releases the last unit, a `TaskRc` or a waker on any thread, frees the
//! memory; by then only `Send + Sync` data is left in it (the `WakeSide`). So a `!Send`
//! future and output are never touched off their thread, and a waker can outlive its task
//! (or its loop) and still be woken or dropped harmlessly.

use std::cell::UnsafeCell;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::{Deref, DerefMut};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{Ordering, fence};
use std::task::{Context, Poll};

use crate::error::InvalidStateError;
use crate::event_loop::LoopInner;
use crate::header::{Flag, Header, State};
use crate::task::{Panic, TaskError};

/// What a task's type-erased pointer can do; one static table per future type.
pub(crate) struct TaskVTable {
    /// Polls the future once, or drops it when a cancel was asked for; whether the task is
    /// now done (its state says how).
    step: unsafe fn(NonNull<Header>) -> bool,
    /// Drops the future without another poll and marks the task cancelled.
    abort: unsafe fn(NonNull<Header>),
    /// The panic the task ended with, while its outcome has not been taken.
    panic: unsafe fn(NonNull<Header>) -> Option<Panic>,
    /// Writes `Result<Result<Output, TaskError>, InvalidStateError>` to the pointer.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops the stage in place (loop thread, last `TaskRc`).
    drop_stage: unsafe fn(NonNull<Header>),
    /// Frees the allocation (any thread, last reference of all).
    dealloc: unsafe fn(NonNull<Header>),
}

/// A task's future while it runs, then its outcome until someone takes it. Flat rather
/// than `Done(Result<..>)`, so a small output costs no more room than the future.
enum Stage<F: std::future::Future> {
    Running(F),
    Finished(F::Output),
    Failed(TaskError),
    Taken,
}

impl<F: std::future::Future> Stage<F> {
    fn done(outcome: Result<F::Output, TaskError>) -> Stage<F> {
        match outcome {
            Ok(output) => Stage::Finished(output),
            Err(error) => Stage::Failed(error),
        }
    }
}

/// The allocation. `repr(C)` with the header first: `NonNull<Header>` and
/// `NonNull<TaskCell<F>>` are the same address.
#[repr(C)]
struct TaskCell<F: std::future::Future> {
    header: Header,
    /// Reached only through a [`StageGuard`]. Dropped by `drop_stage` on the loop's
    /// thread, never by the allocation's own drop.
    stage: ManuallyDrop<UnsafeCell<Stage<F>>>,
}

/// Exclusive use of a task's stage, as a `RefCell` borrow gives, with the flag in the
/// header's spare byte (`Local::stage_busy`) instead of a word of every task.
struct StageGuard<'a, F: std::future::Future> {
    cell: &'a TaskCell<F>,
}

impl<F: std::future::Future> Deref for StageGuard<'_, F> {
    type Target = Stage<F>;

    fn deref(&self) -> &Stage<F> {
        // SAFETY: `stage_busy` is set for this guard's whole life and every other access to
        // the stage takes a guard first (or is `drop_stage`, which runs only once no
        // `TaskRc`, hence no guard, is left): this guard is the stage's only user.
        unsafe { &*self.cell.stage.get() }
    }
}

impl<F: std::future::Future> DerefMut for StageGuard<'_, F> {
    fn deref_mut(&mut self) -> &mut Stage<F> {
        // SAFETY: as in `deref`; `&mut self` makes this borrow the guard's only one.
        unsafe { &mut *self.cell.stage.get() }
    }
}

impl<F: std::future::Future> Drop for StageGuard<'_, F> {
    fn drop(&mut self) {
        self.cell.header.flags().set(Flag::STAGE_BUSY, false);
    }
}

impl<F: std::future::Future + 'static> TaskCell<F> {
    const VTABLE: TaskVTable = TaskVTable {
        step: Self::step,
        abort: Self::abort,
        panic: Self::panic,
        take_output: Self::take_output,
        drop_stage: Self::drop_stage,
        dealloc: Self::dealloc,
    };

    /// # Safety
    ///
    /// `ptr` points to a live `TaskCell<F>` whose stage has not been dropped, and the caller
    /// is on its loop's thread (it holds a `TaskRc`, or a waker and has checked `refs > 0`).
    unsafe fn cell<'a>(ptr: NonNull<Header>) -> &'a TaskCell<F> {
        // SAFETY: the header is the first field of a `repr(C)` `TaskCell<F>` (the vtable that
        // brought us here is `TaskCell::<F>::VTABLE`, so `F` is right); the caller keeps the
        // allocation alive and, being on the loop's thread, may read its `Cell`s.
        unsafe { ptr.cast::<TaskCell<F>>().as_ref() }
    }

    /// The stage, unless it is in use already: a re-entrant call from the task's own poll
    /// or drop, through one of its handles.
    fn stage(&self) -> Option<StageGuard<'_, F>> {
        if self.header.flags().replace(Flag::STAGE_BUSY, true) {
            return None;
        }
        Some(StageGuard { cell: self })
    }

    /// The stage, where only the loop can be asking (a step, a finish): never re-entrant.
    fn stage_for_loop(&self) -> StageGuard<'_, F> {
        self.stage()
            .expect("a task's stage is in use only by its own step")
    }

    /// Ends the task with `outcome`, dropping the future in place; a panic in its `Drop`
    /// becomes the outcome instead.
    fn finish(&self, outcome: Result<F::Output, TaskError>) {
        let state = match &outcome {
            Ok(_) => State::Finished,
            Err(TaskError::Cancelled) => State::Cancelled,
            Err(TaskError::Panicked(_)) => State::Panicked,
        };
        let dropped = catch_unwind(AssertUnwindSafe(|| {
            // Assignment drops the old stage in place (the future is never moved), and
            // stores the new one even if that drop unwinds.
            *self.stage_for_loop() = Stage::done(outcome);
        }));
        match dropped {
            Ok(()) => self.header.set_state(state),
            Err(payload) => {
                *self.stage_for_loop() =
                    Stage::Failed(TaskError::Panicked(Panic::from_payload(&*payload)));
                self.header.set_state(State::Panicked);
            }
        }
    }

    unsafe fn step(ptr: NonNull<Header>) -> bool {
        // SAFETY: called through the vtable by a `TaskRc` holder (`TaskRc::step`).
        let this = unsafe { Self::cell(ptr) };
        let header = &this.header;
        if header.done() {
            return true;
        }
        if header.flags().get(Flag::CANCEL_REQUESTED) {
            this.finish(Err(TaskError::Cancelled));
            return true;
        }
        // SAFETY: the `TaskRc` our caller holds keeps the task alive for the whole poll.
        let waker = unsafe { crate::waker::borrowed(ptr) };
        let mut cx = Context::from_waker(&waker);
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let mut stage = this.stage_for_loop();
            let Stage::Running(future) = &mut *stage else {
                unreachable!("a pending task holds its future");
            };
            // SAFETY: the future lives in the task's heap allocation, which never moves, and
            // it is never moved out of `Stage::Running`: it is only ever dropped in place (by
            // assigning a new stage in `finish`, or by `drop_stage`). So it stays pinned
            // until dropped.
            let future = unsafe { Pin::new_unchecked(future) };
            future.poll(&mut cx)
        }));
        match polled {
            Ok(Poll::Pending) => false,
            Ok(Poll::Ready(output)) => {
                this.finish(Ok(output));
                true
            }
            Err(payload) => {
                this.finish(Err(TaskError::Panicked(Panic::from_payload(&*payload))));
                true
            }
        }
    }

    unsafe fn abort(ptr: NonNull<Header>) {
        // SAFETY: called through the vtable by a `TaskRc` holder.
        let this = unsafe { Self::cell(ptr) };
        if !this.header.done() {
            this.finish(Err(TaskError::Cancelled));
        }
    }

    unsafe fn panic(ptr: NonNull<Header>) -> Option<Panic> {
        // SAFETY: called through the vtable by a `TaskRc` holder.
        let this = unsafe { Self::cell(ptr) };
        match this.stage().as_deref() {
            Some(Stage::Failed(TaskError::Panicked(panic))) => Some(panic.clone()),
            _ => None,
        }
    }

    unsafe fn take_output(ptr: NonNull<Header>, out: *mut ()) {
        // SAFETY: called through the vtable by a `TaskRc` holder.
        let this = unsafe { Self::cell(ptr) };
        let outcome = match this.stage() {
            // Asked from inside the task's own step: it is not done.
            None => Err(InvalidStateError::NOT_SET),
            Some(mut stage) => Self::take_outcome(&this.header, &mut stage),
        };
        // SAFETY: `Task<T>::result` passes a slot for exactly this type: a `Task<T>` is only
        // made for a task whose future outputs `T` (`Task::from_raw`).
        unsafe {
            out.cast::<Result<Result<F::Output, TaskError>, InvalidStateError>>()
                .write(outcome)
        };
    }

    /// Moves a finished task's outcome out, leaving `Taken`; a pending future is never
    /// moved (it is pinned).
    fn take_outcome(
        header: &Header,
        stage: &mut Stage<F>,
    ) -> Result<Result<F::Output, TaskError>, InvalidStateError> {
        match stage {
            Stage::Running(_) => return Err(InvalidStateError::NOT_SET),
            Stage::Taken => return Err(InvalidStateError::TAKEN),
            Stage::Finished(_) | Stage::Failed(_) => {}
        }
        header.flags().set(Flag::RETRIEVED, true);
        match std::mem::replace(stage, Stage::Taken) {
            Stage::Finished(output) => Ok(Ok(output)),
            Stage::Failed(error) => Ok(Err(error)),
            Stage::Running(_) | Stage::Taken => unreachable!("matched above"),
        }
    }

    unsafe fn drop_stage(ptr: NonNull<Header>) {
        // SAFETY: the last `TaskRc` is being dropped on the loop's thread, and the stage is
        // dropped exactly once, here; nothing reads it afterwards (no `TaskRc` is left, and
        // wakers never read the stage).
        unsafe { ManuallyDrop::drop(&mut (*ptr.cast::<TaskCell<F>>().as_ptr()).stage) };
    }

    unsafe fn dealloc(ptr: NonNull<Header>) {
        // SAFETY: the last reference of either kind is gone, so nothing else can reach the
        // allocation, which `TaskRc::new` made with `Box::new`. Dropping the box drops only
        // the `WakeSide` (`Send + Sync`): the stage and the `Local` part are `ManuallyDrop`
        // and were dropped on the loop's thread already.
        drop(unsafe { Box::from_raw(ptr.cast::<TaskCell<F>>().as_ptr()) });
    }
}

/// A loop-side reference to a task: `!Send`, counted without atomics.
pub(crate) struct TaskRc {
    ptr: NonNull<Header>,
    _not_send: PhantomData<Rc<()>>,
}

impl TaskRc {
    /// A new pending task of `event_loop` running `future`, named `name` (or `Task-N`).
    pub(crate) fn new<F: std::future::Future + 'static>(
        event_loop: &Rc<LoopInner>,
        name: Option<String>,
        is_main: bool,
        future: F,
    ) -> TaskRc {
        let cell = Box::new(TaskCell {
            header: Header::new(&TaskCell::<F>::VTABLE, event_loop, name, is_main),
            stage: ManuallyDrop::new(UnsafeCell::new(Stage::Running(future))),
        });
        TaskRc {
            ptr: NonNull::from(Box::leak(cell)).cast(),
            _not_send: PhantomData,
        }
    }

    /// A new reference from a waker's pointer, unless the loop side has let go of the task.
    ///
    /// # Safety
    ///
    /// `ptr` is kept alive by a waker the caller holds, and the caller is on the task's
    /// loop's thread.
    pub(crate) unsafe fn from_waker(ptr: NonNull<Header>) -> Option<TaskRc> {
        // SAFETY: alive through the caller's waker; `refs` is read on the loop's thread,
        // the only thread that ever touches it.
        let header = unsafe { ptr.as_ref() };
        if header.refs.get() == 0 {
            // Its stage and `Local` part are gone: the task is over for the loop.
            return None;
        }
        // SAFETY: alive, on the loop's thread, and the loop side still holds it (`refs > 0`).
        Some(unsafe { TaskRc::acquire(ptr) })
    }

    /// One more loop-side reference.
    ///
    /// # Safety
    ///
    /// The caller is on the task's loop's thread, holds something that keeps `ptr` alive,
    /// and the loop side has not let go of the task (`refs > 0`).
    unsafe fn acquire(ptr: NonNull<Header>) -> TaskRc {
        // SAFETY: alive and on the loop's thread, as our caller promises.
        let refs = unsafe { &ptr.as_ref().refs };
        match refs.get().checked_add(1) {
            Some(n) => refs.set(n),
            // Only reachable by leaking references on purpose, as `Rc` reasons.
            None => std::process::abort(),
        }
        TaskRc {
            ptr,
            _not_send: PhantomData,
        }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: this reference keeps the allocation and its `Local` part alive, and being
        // `!Send` it is used on the loop's thread only.
        unsafe { self.ptr.as_ref() }
    }

    pub(crate) fn as_ptr(&self) -> NonNull<Header> {
        self.ptr
    }

    fn vtable(&self) -> &'static TaskVTable {
        self.header().wake.vtable
    }

    /// Runs one step; whether the task is now done.
    pub(crate) fn step(&self) -> bool {
        // SAFETY: we hold a `TaskRc` on the loop's thread, as the vtable functions require.
        unsafe { (self.vtable().step)(self.ptr) }
    }

    /// Drops the future without another poll and marks the task cancelled (loop close).
    pub(crate) fn abort(&self) {
        // SAFETY: as in `step`.
        unsafe { (self.vtable().abort)(self.ptr) }
    }

    /// The panic the task ended with, while its outcome has not been taken.
    pub(crate) fn panic(&self) -> Option<Panic> {
        // SAFETY: as in `step`.
        unsafe { (self.vtable().panic)(self.ptr) }
    }

    /// Takes the outcome of a task whose future outputs `T`.
    ///
    /// # Safety
    ///
    /// The task's future outputs `T`.
    pub(crate) unsafe fn take_output<T>(&self) -> Result<Result<T, TaskError>, InvalidStateError> {
        let mut out = MaybeUninit::<Result<Result<T, TaskError>, InvalidStateError>>::uninit();
        // SAFETY: we hold a `TaskRc` on the loop's thread; the slot has the type the vtable
        // writes, since the caller promises the output type, and `take_output` always
        // writes it (every path ends in the one `write`; a panic there would unwind past
        // `assume_init`).
        unsafe {
            (self.vtable().take_output)(self.ptr, out.as_mut_ptr().cast());
            out.assume_init()
        }
    }

    /// Whether two references name the same task.
    pub(crate) fn ptr_eq(&self, other: &TaskRc) -> bool {
        self.ptr == other.ptr
    }
}

impl Clone for TaskRc {
    fn clone(&self) -> TaskRc {
        // SAFETY: `self` is a loop-side reference: the task is alive, `refs > 0`, and a
        // `TaskRc` lives on the loop's thread only.
        unsafe { TaskRc::acquire(self.ptr) }
    }
}

impl Drop for TaskRc {
    fn drop(&mut self) {
        let refs = &self.header().refs;
        let left = refs.get() - 1;
        refs.set(left);
        if left > 0 {
            return;
        }
        // The last loop-side reference: drop what is not `Send`, here on the loop's thread,
        // then give up the loop side's unit of the waker count. The guard finishes the job
        // if a `Drop` in the stage panics.
        struct ReleaseLocal(NonNull<Header>);
        impl Drop for ReleaseLocal {
            fn drop(&mut self) {
                // SAFETY: the allocation is alive (the loop side's unit of `wakers` is not
                // released yet), we are on the loop's thread, and no `TaskRc` is left to
                // read `Local` after this drop, which happens once (refs reached zero once:
                // `from_waker` never revives a task at zero).
                unsafe { ManuallyDrop::drop(&mut (*self.0.as_ptr()).local) };
                // SAFETY: the loop side's unit, released once, here.
                unsafe { release_waker_unit(self.0) };
            }
        }
        let release = ReleaseLocal(self.ptr);
        // SAFETY: the last `TaskRc`, on the loop's thread: the stage is dropped once, here.
        unsafe { (self.vtable().drop_stage)(self.ptr) };
        drop(release);
    }
}

/// Gives up one unit of a task's waker count, freeing the allocation if it was the last.
///
/// # Safety
///
/// The caller owns that unit (a waker being dropped, or the loop side's own) and does not
/// use `ptr` afterwards.
pub(crate) unsafe fn release_waker_unit(ptr: NonNull<Header>) {
    // SAFETY: the caller's unit keeps the allocation alive until the `fetch_sub`; only the
    // `WakeSide` is touched, which is `Sync`.
    let wake = unsafe { &(*ptr.as_ptr()).wake };
    // Release, then Acquire on the last one: as `Arc`, every use of the task by other
    // holders happens before the free.
    if wake.wakers.fetch_sub(1, Ordering::Release) != 1 {
        return;
    }
    fence(Ordering::Acquire);
    let dealloc = wake.vtable.dealloc;
    // SAFETY: the count reached zero: no reference of either kind is left.
    unsafe { dealloc(ptr) };
}

/// Takes one more unit of a task's waker count (a waker is being cloned).
///
/// # Safety
///
/// The caller holds a unit already (the waker being cloned), so the task is alive.
pub(crate) unsafe fn acquire_waker_unit(ptr: NonNull<Header>) {
    // SAFETY: alive through the caller's unit; `WakeSide` is `Sync`.
    let wake = unsafe { &(*ptr.as_ptr()).wake };
    // Relaxed, as `Arc::clone`: the new unit is made from one the caller already holds.
    let old = wake.wakers.fetch_add(1, Ordering::Relaxed);
    if old > i32::MAX as u32 {
        // Only reachable by leaking wakers on purpose, as `Arc` reasons.
        std::process::abort();
    }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::TaskCell;
    use crate::header::Header;

    /// A task's size is most of what a spawn costs, and what every parked task holds: keep
    /// it from growing unnoticed.
    #[test]
    fn a_small_task_is_one_small_allocation_and_its_handle_one_pointer() {
        assert_eq!(size_of::<Header>(), 64);
        assert_eq!(size_of::<crate::TaskError>(), size_of::<usize>());
        // With malloc's 8-byte chunk header, 88 bytes is a 96-byte chunk.
        let cell = size_of::<TaskCell<std::future::Ready<u64>>>();
        assert!(cell <= 88, "a trivial task takes {cell} bytes");
        fn cell_of<F: std::future::Future>(_: &F) -> usize {
            size_of::<TaskCell<F>>()
        }
        let i = 7_usize;
        let cell = cell_of(&async move { i });
        assert!(
            cell <= 88,
            "an `async move {{ i }}` task takes {cell} bytes"
        );
        assert_eq!(size_of::<crate::Task<u64>>(), size_of::<usize>());
        assert_eq!(size_of::<crate::TaskRef>(), size_of::<usize>());
    }
}
