//! Layer 1 (the raw task): a task's single allocation, typed by its future: the header
//! (`header.rs`) first, then the stage (the future while it runs, its outcome after), and
//! the functions of its [`TaskVTable`] that the type-erased [`TaskRc`] calls. A step polls
//! the future with the task's own waker (`waker.rs`).

use std::cell::UnsafeCell;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::cancelling::{cancel_after_poll, cancel_at_step};
use crate::context::report_to;
use crate::error::{InvalidStateError, PAYLOAD_DROP_PANICKED, Panic, TaskError};
use crate::flags::{Flag, State};
use crate::header::{Header, Outcome, OutcomeVisitor, TaskRc, TaskVTable};
use crate::shared::Shared;

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
        visit: Self::visit,
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
    /// becomes the outcome instead. Returns the panic of that panic's payload's own `Drop`,
    /// if it had one, for the caller to report (see [`report_payload_drop`]).
    #[must_use = "a payload's drop panic must be reported"]
    fn finish(&self, outcome: Result<F::Output, TaskError>) -> Option<Panic> {
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
        let payload_drop = match dropped {
            Ok(()) => {
                self.header.set_state(state);
                None
            }
            Err(payload) => {
                let (panic, payload_drop) = Panic::from_caught(payload);
                *self.stage_for_loop() = Stage::Failed(TaskError::Panicked(panic));
                self.header.set_state(State::Panicked);
                payload_drop
            }
        };
        #[cfg(feature = "tracing")]
        self.header.trace_done();
        payload_drop
    }

    unsafe fn step(ptr: NonNull<Header>) -> bool {
        // SAFETY: called through the vtable by a `TaskRc` holder (`TaskRc::step`).
        let this = unsafe { Self::cell(ptr) };
        let header = &this.header;
        if header.done() {
            return true;
        }
        if cancel_at_step(header) {
            let payload_drop = this.finish(Err(TaskError::Cancelled));
            // SAFETY: our caller holds a `TaskRc` of this task, on its loop's thread.
            unsafe { report_payload_drop(ptr, payload_drop) };
            return true;
        }
        // SAFETY: the `TaskRc` our caller holds keeps the task alive for the whole poll.
        let waker = unsafe { crate::waker::borrowed(ptr) };
        let mut cx = Context::from_waker(&waker);
        // Left (and the poll span closed) before the task's end is recorded below.
        #[cfg(feature = "tracing")]
        let step = header.local.trace.enter_step();
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
        #[cfg(feature = "tracing")]
        drop(step);
        let payload_drop = match polled {
            Ok(Poll::Pending) if cancel_after_poll(header, false) => {
                this.finish(Err(TaskError::Cancelled))
            }
            Ok(Poll::Pending) => return false,
            // asyncio's `_must_cancel`: a cancellation no scope took cancels the task even
            // though its future just completed.
            Ok(Poll::Ready(output)) if cancel_after_poll(header, true) => {
                let dropped = catch_unwind(AssertUnwindSafe(|| drop(output)));
                let output_drop = dropped.err().map(|payload| Panic::from_caught(payload).0);
                this.finish(Err(TaskError::Cancelled)).or(output_drop)
            }
            Ok(Poll::Ready(output)) => this.finish(Ok(output)),
            Err(payload) => {
                let (panic, payload_drop) = Panic::from_caught(payload);
                let future_drop = this.finish(Err(TaskError::Panicked(panic)));
                payload_drop.or(future_drop)
            }
        };
        // SAFETY: our caller holds a `TaskRc` of this task, on its loop's thread.
        unsafe { report_payload_drop(ptr, payload_drop) };
        true
    }

    unsafe fn abort(ptr: NonNull<Header>) {
        // SAFETY: called through the vtable by a `TaskRc` holder.
        let this = unsafe { Self::cell(ptr) };
        if !this.header.done() {
            let payload_drop = this.finish(Err(TaskError::Cancelled));
            // SAFETY: our caller holds a `TaskRc` of this task, on its loop's thread.
            unsafe { report_payload_drop(ptr, payload_drop) };
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

    unsafe fn visit(ptr: NonNull<Header>, f: &mut OutcomeVisitor<'_>) {
        // SAFETY: called through the vtable by a `TaskRc` holder.
        let this = unsafe { Self::cell(ptr) };
        match this.stage().as_deref() {
            None | Some(Stage::Running(_)) => f(Outcome::Pending),
            Some(Stage::Finished(output)) => f(Outcome::Output(std::ptr::from_ref(output).cast())),
            Some(Stage::Failed(error)) => f(Outcome::Failed(error)),
            Some(Stage::Taken) => f(Outcome::Taken),
        }
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

/// Reports through the task's loop that a panic's payload panicked when dropped
/// ([`Panic::from_caught`] caught it): in a step, that must not unwind into the loop,
/// which would lose the task's end (it would never leave the registry nor wake its
/// awaiter).
///
/// Inline, the rare report out of line: every step that ends a task calls this, nearly
/// always with `None` (a call of its own cost 15 instructions of every spawn+await).
///
/// # Safety
///
/// `ptr` is a task the caller holds through a `TaskRc`, on its loop's thread.
#[inline(always)]
unsafe fn report_payload_drop(ptr: NonNull<Header>, panic: Option<Panic>) {
    if let Some(panic) = panic {
        // SAFETY: passed on from our caller.
        unsafe { report_payload_drop_now(ptr, panic) };
    }
}

/// [`report_payload_drop`]'s report.
///
/// # Safety
///
/// As for [`report_payload_drop`].
#[cold]
#[inline(never)]
unsafe fn report_payload_drop_now(ptr: NonNull<Header>, panic: Panic) {
    // SAFETY: alive and held by the loop side (`refs > 0`) through the caller's `TaskRc`,
    // on the loop's thread, as `from_waker` requires.
    let task = unsafe { TaskRc::from_waker(ptr) };
    // SAFETY: alive, as just said; only the `Sync` wake side is read.
    let shared = unsafe { &(*ptr.as_ptr()).wake.shared };
    report_to(shared, PAYLOAD_DROP_PANICKED.to_owned(), task, Some(panic));
}

/// A new pending task of the loop owning `shared`, running `future`, named `name` (or
/// `Task-N`): one allocation, header and future together.
pub(crate) fn new_task<F: std::future::Future + 'static>(
    shared: &Arc<Shared>,
    name: Option<String>,
    is_main: bool,
    future: F,
) -> TaskRc {
    let cell = Box::new(TaskCell {
        header: Header::new(&TaskCell::<F>::VTABLE, shared, name, is_main),
        stage: ManuallyDrop::new(UnsafeCell::new(Stage::Running(future))),
    });
    let ptr = NonNull::from(Box::leak(cell)).cast();
    // SAFETY: just made, with the one reference its header counts, which nobody else has.
    unsafe { TaskRc::adopt(ptr) }
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::TaskCell;
    use crate::header::Header;

    /// A task's size is most of what a spawn costs, and what every parked task holds: keep
    /// it from growing unnoticed. The `tracing` feature adds the task's span and id to the
    /// header (two words), and its tasks grow by as much.
    #[test]
    fn a_small_task_is_one_small_allocation_and_its_handle_one_pointer() {
        const TRACING: usize = if cfg!(feature = "tracing") { 16 } else { 0 };
        assert_eq!(size_of::<Header>(), 64 + TRACING);
        assert_eq!(size_of::<crate::TaskError>(), size_of::<usize>());
        // With malloc's 8-byte chunk header, 88 bytes is a 96-byte chunk.
        let cell = size_of::<TaskCell<std::future::Ready<u64>>>();
        assert!(cell <= 88 + TRACING, "a trivial task takes {cell} bytes");
        fn cell_of<F: std::future::Future>(_: &F) -> usize {
            size_of::<TaskCell<F>>()
        }
        let i = 7_usize;
        let cell = cell_of(&async move { i });
        assert!(
            cell <= 88 + TRACING,
            "an `async move {{ i }}` task takes {cell} bytes"
        );
        assert_eq!(size_of::<crate::Task<u64>>(), size_of::<usize>());
        assert_eq!(size_of::<crate::TaskRef>(), size_of::<usize>());
    }
}
