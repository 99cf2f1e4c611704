//! Layer 1 (the raw task): the untyped part of a task, what the loop, the handles and the
//! wakers know of any task whatever its future and output, and [`TaskRc`], the loop-side
//! reference to it. It names no loop: a task knows its loop only as the [`Shared`] part
//! other threads may touch; everything a task asks of its loop goes through the
//! `Schedule` trait of `context.rs`, one layer up.
//!
//! A [`Header`] has two parts, because a task's wakers may live on any thread while
//! everything else about it belongs to its loop's thread:
//!
//! - [`WakeSide`]: what a waker touches from any thread (the reference count of wakers,
//!   the "a remote wake is queued" flag, the way to the loop). Atomic or immutable, `Sync`.
//!   It also carries the task's [`Flags`], in what would be its padding; only the loop's
//!   thread uses those.
//! - [`Local`]: everything else (name, done callbacks, the awaiter...), only ever
//!   read, written or dropped on the loop's thread. It sits in a `ManuallyDrop` because the
//!   allocation may be freed on another thread, by the last waker; by then the loop's
//!   thread has dropped it.
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
//! everything that is not `Send` is dropped there: the stage (future or output, see
//! `raw.rs`) and the header's [`Local`] part. Then the loop side's unit of `wakers` is
//! released. Whoever releases the last unit, a `TaskRc` or a waker on any thread, frees the
//! memory; by then only `Send + Sync` data is left in it (the `WakeSide`). So a `!Send`
//! future and output are never touched off their thread, and a waker can outlive its task
//! (or its loop) and still be woken or dropped harmlessly.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Waker;
use std::time::Instant;

use asyncio_contextvars::Context;

use crate::cancel_state::{CancelState, CancelTarget};
use crate::error::{InvalidStateError, Panic, TaskError};
use crate::flags::{Flag, Flags, State};
use crate::shared::Shared;
use crate::sync::{AtomicBool, AtomicU32};
use crate::waiting::TaskId;

/// The process-wide counter behind the default names `Task-1`, `Task-2`, ...
static TASK_COUNTER: AtomicU64 = AtomicU64::new(0);

/// What a task's type-erased pointer can do; one static table per future type.
pub(crate) struct TaskVTable {
    /// Polls the future once, or drops it when a cancel was asked for; whether the task is
    /// now done (its state says how).
    pub(crate) step: unsafe fn(NonNull<Header>) -> bool,
    /// Drops the future without another poll and marks the task cancelled.
    pub(crate) abort: unsafe fn(NonNull<Header>),
    /// The panic the task ended with, while its outcome has not been taken.
    pub(crate) panic: unsafe fn(NonNull<Header>) -> Option<Panic>,
    /// Writes `Result<Result<Output, TaskError>, InvalidStateError>` to the pointer.
    pub(crate) take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Shows the outcome without taking it (the output as a `*const Output`).
    pub(crate) visit: unsafe fn(NonNull<Header>, &mut OutcomeVisitor<'_>),
    /// Drops the stage in place (loop thread, last `TaskRc`).
    pub(crate) drop_stage: unsafe fn(NonNull<Header>),
    /// Frees the allocation (any thread, last reference of all).
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
}

/// What [`TaskRc::visit`] shows a task's outcome to.
pub(crate) type OutcomeVisitor<'a> = dyn FnMut(Outcome<'_>) + 'a;

/// A task's outcome seen in place (`TaskRc::visit`).
pub(crate) enum Outcome<'a> {
    /// Still running (or its stage is in use by its own step).
    Pending,
    /// The output, a `*const Output` of the task's future.
    Output(*const ()),
    Failed(&'a TaskError),
    /// Someone took the outcome already.
    Taken,
}

/// A task's done callback, as its header keeps it.
pub(crate) type DoneCallback = Box<dyn FnOnce(&TaskRc)>;

/// What to do when a task finishes, in the order it was asked for.
pub(crate) enum DoneAction {
    /// A done callback: scheduled with `call_soon` (asyncio's order), with its id for
    /// `remove_done_callback`.
    Callback(u64, DoneCallback),
    /// A waker registered through a [`TaskRef`](crate::TaskRef) (used by
    /// `cancel_all_tasks`).
    Waker(Waker),
}

/// The first field of every task allocation (`#[repr(C)]` there), so a pointer to the
/// allocation is a pointer to its header.
///
/// Small on purpose (64 bytes on 64-bit targets): a program may park a million tasks, and
/// what a spawn costs is mostly the memory it touches. What few tasks use (a given name,
/// done callbacks, a foreign awaiter) lives in [`Extras`], allocated on first use; fields
/// that every access takes out and puts back are `Cell`s, not `RefCell`s, which saves
/// their borrow flags.
pub(crate) struct Header {
    pub(crate) wake: WakeSide,
    /// Loop-side references (the registry's, handles', ready-queue items'). Together they
    /// hold one unit of `wake.wakers`; the last one drops [`Local`] and the stage.
    pub(crate) refs: Cell<u32>,
    /// Index in the loop's registry while the task is pending there.
    pub(crate) slot: Cell<u32>,
    pub(crate) local: ManuallyDrop<Local>,
}

/// The part of a task that wakers use, from any thread.
pub(crate) struct WakeSide {
    pub(crate) vtable: &'static TaskVTable,
    /// The loop's thread-shared part: where remote wakes go, and the loop's identity.
    pub(crate) shared: Arc<Shared>,
    /// Wakers alive, plus one for all loop-side references together. The allocation is
    /// freed when it reaches zero, on whichever thread that happens.
    pub(crate) wakers: AtomicU32,
    /// A remote wake of this task sits in the injection queue: more remote wakes before the
    /// loop drains it push nothing.
    pub(crate) queued: AtomicBool,
    /// Loop-thread only, despite where it sits: see [`Flags`].
    pub(crate) flags: Flags,
}

impl WakeSide {
    /// The loop took the remote wake this flag stood for off the injection queue
    /// (`iteration.rs`): from here on a remote wake queues another.
    pub(crate) fn clear_queued(&self) {
        // A read-modify-write that acquires, not a `Release` store: a remote wake that
        // found `queued` set pushed nothing, coalesced into the one being taken, and what
        // its thread wrote before `wake()` must be visible to the step queued now. Its swap
        // released those writes, but only reading its value acquires them; a plain store
        // reads nothing, which left the step free (in the memory model) to miss them, with
        // no later wake to make up for it. (`loom_models/queued.rs` fails with the store.)
        self.queued.swap(false, Ordering::AcqRel);
    }
}

/// The loop-thread part of a task.
pub(crate) struct Local {
    /// `N` of the default name `Task-N`; the string is made only when asked for.
    number: u64,
    /// Who awaits the task through its [`Task`](crate::Task) handle, when that is a task;
    /// any other awaiter is `Extras::foreign_awaiter`.
    awaiter: Cell<Option<OwnWaker>>,
    /// The task this one's current step is suspended on, for asyncio's cancel propagation.
    pub(crate) waiting_on: Cell<Option<TaskRc>>,
    extras: Cell<Option<Box<Extras>>>,
    /// The task's `tracing` spans and id (`trace.rs`).
    #[cfg(feature = "tracing")]
    pub(crate) trace: crate::trace::TaskTrace,
}

/// The rarely used part of a task.
#[derive(Default)]
struct Extras {
    /// A name given at creation or by `set_name`.
    name: Option<String>,
    done_actions: Vec<DoneAction>,
    /// The id of the next done callback added.
    next_callback: u64,
    /// How many done actions were registered before the awaiter (woken in that place),
    /// once there is an awaiter.
    awaiter_at: Option<usize>,
    /// The awaiter when its waker is not a task's (a `block_on`, another executor).
    foreign_awaiter: Option<Waker>,
    /// Cancellation beyond the `CANCEL_REQUESTED` flag: counts, message, catch scopes.
    cancel: CancelState<TaskRc>,
    /// The `Debug` of the `Err` a `create_try_task` task ended with (`Flag::EXCEPTION`).
    error: Option<String>,
    /// What the current step is suspended on when that is not a task
    /// (`Flag::WAITING_TARGET`).
    waiting_target: Option<Rc<dyn CancelTarget>>,
    /// The task's context (asyncio's `Task._context`), when it has one: taken at creation
    /// from a creator's context with values, or made when the task first sets a variable.
    context: Option<Context>,
    /// When the task was made, recorded in debug mode only (a clock read per spawn is not
    /// free): the age a task dump shows.
    created: Option<Instant>,
}

/// One unit of a task's waker count, held as a bare pointer: one of our wakers in one word,
/// the vtable being implied (`waker.rs` turns a `Waker` into one and back). It releases its
/// unit when dropped.
///
/// A task keeps its awaiter's waker in one of these (a foreign waker goes to its extras):
/// the awaiter is nearly always another task, and the word saved is what takes a small
/// task's allocation down a malloc size class.
pub(crate) struct OwnWaker(NonNull<Header>);

impl OwnWaker {
    /// Takes over a unit of `ptr`'s waker count.
    ///
    /// # Safety
    ///
    /// The caller owns one unit of `ptr`'s waker count and hands it over.
    pub(crate) unsafe fn from_unit(ptr: NonNull<Header>) -> OwnWaker {
        OwnWaker(ptr)
    }

    /// Gives the unit back to the caller, who now owns it.
    pub(crate) fn into_unit(self) -> NonNull<Header> {
        ManuallyDrop::new(self).0
    }

    /// The task it wakes.
    pub(crate) fn task(&self) -> NonNull<Header> {
        self.0
    }
}

impl Drop for OwnWaker {
    fn drop(&mut self) {
        // SAFETY: this owns one unit and is never used again.
        unsafe { release_waker_unit(self.0) };
    }
}

/// Who awaits a task through its handle: a task's waker in one word, or any other waker.
pub(crate) type Awaiter = Result<OwnWaker, Waker>;

impl Header {
    /// A pending task's header for a task of the loop owning `shared`: named `name`, or
    /// `Task-N` with the next process-wide `N`.
    pub(crate) fn new(
        vtable: &'static TaskVTable,
        shared: &Arc<Shared>,
        name: Option<String>,
        is_main: bool,
    ) -> Header {
        let (number, extras) = match name {
            None => (TASK_COUNTER.fetch_add(1, Ordering::Relaxed) + 1, None),
            Some(name) => {
                let extras = Extras {
                    name: Some(name),
                    ..Extras::default()
                };
                (0, Some(Box::new(extras)))
            }
        };
        #[cfg(feature = "tracing")]
        let trace = crate::trace::TaskTrace::new(
            extras.as_ref().and_then(|extras| extras.name.as_deref()),
            number,
        );
        Header {
            wake: WakeSide {
                vtable,
                shared: Arc::clone(shared),
                wakers: AtomicU32::new(1),
                queued: AtomicBool::new(false),
                flags: Flags::new(is_main),
            },
            // The `TaskRc` being made.
            refs: Cell::new(1),
            slot: Cell::new(u32::MAX),
            local: ManuallyDrop::new(Local {
                number,
                awaiter: Cell::new(None),
                waiting_on: Cell::new(None),
                extras: Cell::new(extras),
                #[cfg(feature = "tracing")]
                trace,
            }),
        }
    }

    /// Runs `f` on the extras, made if there were none. `f` must not reach this task's
    /// header again (the extras are out of it meanwhile).
    fn with_extras<R>(&self, f: impl FnOnce(&mut Extras) -> R) -> R {
        let local = &self.local;
        let mut extras = local.extras.take().unwrap_or_else(|| {
            // An awaiter registered before the extras existed came before every action.
            let awaiter = local.awaiter.take();
            let awaiter_at = awaiter.as_ref().map(|_| 0);
            local.awaiter.set(awaiter);
            Box::new(Extras {
                awaiter_at,
                ..Extras::default()
            })
        });
        let out = f(&mut extras);
        local.extras.set(Some(extras));
        out
    }

    /// Runs `f` on the extras if there are any.
    fn with_existing_extras<R>(&self, f: impl FnOnce(&mut Extras) -> R) -> Option<R> {
        let mut extras = self.local.extras.take()?;
        let out = f(&mut extras);
        self.local.extras.set(Some(extras));
        Some(out)
    }

    /// Runs `f` on the task's cancellation record, made if there was none (`cancelling.rs`
    /// keeps the `CATCHING` flag in step with it). `f` must not reach this task's header.
    pub(crate) fn with_cancel_state<R>(&self, f: impl FnOnce(&mut CancelState<TaskRc>) -> R) -> R {
        self.with_extras(|extras| f(&mut extras.cancel))
    }

    /// Runs `f` on the task's cancellation record if the task has extras (a task without
    /// them has a default record: no counts, no scopes).
    pub(crate) fn with_existing_cancel_state<R>(
        &self,
        f: impl FnOnce(&mut CancelState<TaskRc>) -> R,
    ) -> Option<R> {
        self.with_existing_extras(|extras| f(&mut extras.cancel))
    }

    pub(crate) fn name(&self) -> String {
        let given = self
            .with_existing_extras(|extras| extras.name.clone())
            .flatten();
        given.unwrap_or_else(|| format!("Task-{}", self.local.number))
    }

    /// The task ended: its `tracing` span records how, and closes (`trace.rs`).
    #[cfg(feature = "tracing")]
    pub(crate) fn trace_done(&self) {
        self.local.trace.done(match self.state() {
            State::Pending => return,
            State::Finished => "finished",
            State::Cancelled => "cancelled",
            State::Panicked => "panicked",
        });
    }

    pub(crate) fn set_name(&self, name: String) {
        #[cfg(feature = "tracing")]
        self.local.trace.renamed(&name);
        let old = self.with_extras(|extras| extras.name.replace(name));
        drop(old);
    }

    /// The task's context (asyncio-contextvars); with `create`, made empty if it has none.
    pub(crate) fn context(&self, create: bool) -> Option<Context> {
        if create {
            let context = self.with_extras(|extras| extras.context.get_or_insert_default().clone());
            Some(context)
        } else {
            self.with_existing_extras(|extras| extras.context.clone())
                .flatten()
        }
    }

    /// Gives the task its context (at creation).
    pub(crate) fn set_context(&self, context: Context) {
        let old = self.with_extras(|extras| extras.context.replace(context));
        drop(old);
    }

    /// Records when the task was made (debug mode, at spawn).
    pub(crate) fn set_created(&self, at: Instant) {
        self.with_extras(|extras| extras.created = Some(at));
    }

    /// When the task was made, if that was recorded.
    pub(crate) fn created(&self) -> Option<Instant> {
        self.with_existing_extras(|extras| extras.created).flatten()
    }

    /// What the step is suspended on when that is a [`CancelTarget`], without taking it.
    pub(crate) fn waiting_target(&self) -> Option<Rc<dyn CancelTarget>> {
        if !self.flags().get(Flag::WAITING_TARGET) {
            return None;
        }
        self.with_existing_extras(|extras| extras.waiting_target.clone())
            .flatten()
    }

    /// The task it awaits through a task handle, without taking it.
    pub(crate) fn awaited_task(&self) -> Option<TaskRc> {
        let awaited = self.local.waiting_on.take();
        self.local.waiting_on.set(awaited.clone());
        awaited
    }

    /// The task's flags (loop thread only).
    pub(crate) fn flags(&self) -> &Flags {
        &self.wake.flags
    }

    pub(crate) fn state(&self) -> State {
        self.flags().state()
    }

    pub(crate) fn set_state(&self, state: State) {
        self.flags().set_state(state);
    }

    pub(crate) fn done(&self) -> bool {
        self.state() != State::Pending
    }

    /// Whether the task ended with an exception in asyncio's sense: a panic, or the
    /// `Err` output of a `create_try_task` task.
    pub(crate) fn failed(&self) -> bool {
        self.state() == State::Panicked
            || (self.state() == State::Finished && self.flags().get(Flag::EXCEPTION))
    }

    /// Whether it failed and nobody has looked at how.
    pub(crate) fn unretrieved_exception(&self) -> bool {
        self.flags().unretrieved_exception()
    }

    /// Records that the step is suspended on `target`.
    pub(crate) fn set_waiting_target(&self, target: Rc<dyn CancelTarget>) {
        let old = self.with_extras(|extras| extras.waiting_target.replace(target));
        self.flags().set(Flag::WAITING_TARGET, true);
        drop(old);
    }

    /// Takes what the step was suspended on, if it was a [`CancelTarget`].
    pub(crate) fn take_waiting_target(&self) -> Option<Rc<dyn CancelTarget>> {
        if !self.flags().replace(Flag::WAITING_TARGET, false) {
            return None;
        }
        self.with_existing_extras(|extras| extras.waiting_target.take())
            .flatten()
    }

    /// Records the `Err` a `create_try_task` task is ending with.
    pub(crate) fn set_error(&self, debug: String) {
        self.with_extras(|extras| extras.error = Some(debug));
        self.flags().set(Flag::EXCEPTION, true);
    }

    /// The `Debug` of that `Err`.
    pub(crate) fn error(&self) -> Option<String> {
        self.with_existing_extras(|extras| extras.error.clone())
            .flatten()
    }

    /// Takes the done actions; the loop runs them in order when the task finishes
    /// (`done.rs`). `None` for a task without extras (the common case), which has none
    /// and whose awaiter, if any, is a task's waker in the header.
    pub(crate) fn take_done_actions(&self) -> Option<DoneActions> {
        self.with_existing_extras(|extras| DoneActions {
            actions: std::mem::take(&mut extras.done_actions),
            awaiter_at: extras.awaiter_at.take(),
        })
    }

    /// Queues a done callback (the caller checked the task is pending).
    pub(crate) fn push_done_callback(&self, callback: DoneCallback) -> u64 {
        self.with_extras(|extras| {
            let id = extras.next_callback;
            extras.next_callback += 1;
            extras.done_actions.push(DoneAction::Callback(id, callback));
            id
        })
    }

    /// Removes the done callback `id` if it is still registered; whether it was. The
    /// awaiter keeps its place among the actions left.
    pub(crate) fn remove_done_callback(&self, id: u64) -> Option<DoneCallback> {
        self.with_existing_extras(|extras| {
            let at = extras
                .done_actions
                .iter()
                .position(|a| matches!(a, DoneAction::Callback(i, _) if *i == id))?;
            if let Some(place) = &mut extras.awaiter_at
                && at < *place
            {
                *place -= 1;
            }
            match extras.done_actions.remove(at) {
                DoneAction::Callback(_, callback) => Some(callback),
                DoneAction::Waker(_) => unreachable!("matched a callback"),
            }
        })
        .flatten()
    }

    /// Queues a waker to wake when the task ends (the caller checked it is pending).
    pub(crate) fn push_done_waker(&self, waker: &Waker) {
        let action = DoneAction::Waker(waker.clone());
        self.with_extras(|extras| extras.done_actions.push(action));
    }

    /// A first awaiter goes after the done actions registered so far: records that place
    /// (when there are extras to record it in; without them it comes first anyway).
    pub(crate) fn mark_awaiter_place(&self) {
        self.with_existing_extras(|extras| {
            let before = extras.done_actions.len();
            extras.awaiter_at.get_or_insert(before);
        });
    }

    /// Stores the awaiter (there is none): in the header if it is a task's waker.
    pub(crate) fn set_awaiter(&self, awaiter: Awaiter) {
        match awaiter {
            Ok(own) => self.local.awaiter.set(Some(own)),
            Err(foreign) => self.with_extras(|extras| {
                // A replaced awaiter's place is kept; a first one goes after the actions
                // registered so far.
                let before = extras.done_actions.len();
                extras.awaiter_at.get_or_insert(before);
                extras.foreign_awaiter = Some(foreign);
            }),
        }
    }

    /// Takes the awaiter, if there is one.
    pub(crate) fn take_awaiter(&self) -> Option<Awaiter> {
        match self.local.awaiter.take() {
            Some(own) => Some(Ok(own)),
            None => self
                .with_existing_extras(|extras| extras.foreign_awaiter.take())
                .flatten()
                .map(Err),
        }
    }

    pub(crate) fn repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state() {
            State::Pending => "pending",
            State::Finished | State::Panicked => "finished",
            State::Cancelled => "cancelled",
        };
        write!(f, "<Task {state} name='{}'>", self.name())
    }
}

/// The done actions of a finished task, ready to be run by the loop.
pub(crate) struct DoneActions {
    pub(crate) actions: Vec<DoneAction>,
    /// Where the awaiter goes among them; `None`: after all of them (or there is none).
    pub(crate) awaiter_at: Option<usize>,
}

/// A loop-side reference to a task: `!Send`, counted without atomics.
pub(crate) struct TaskRc {
    ptr: NonNull<Header>,
    _not_send: PhantomData<Rc<()>>,
}

impl TaskRc {
    /// Adopts the reference a new task's header counts (`refs` starts at one).
    ///
    /// # Safety
    ///
    /// `ptr` is a task allocation just made (`raw::new_task`), whose one reference nobody
    /// else has taken, on its loop's thread.
    pub(crate) unsafe fn adopt(ptr: NonNull<Header>) -> TaskRc {
        TaskRc {
            ptr,
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

    /// The task's identity while it lives: its address.
    pub(crate) fn id(&self) -> TaskId {
        TaskId(self.ptr.as_ptr() as usize)
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

    /// Shows `f` the task's outcome without taking it.
    pub(crate) fn visit(&self, f: &mut OutcomeVisitor<'_>) {
        // SAFETY: as in `step`.
        unsafe { (self.vtable().visit)(self.ptr, f) }
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
    // An acquiring load rather than `fence(Acquire)`: the same ordering (it reads the value
    // our `fetch_sub` wrote, the last in the count's release sequence), and the form that
    // ThreadSanitizer models; it does not model fences, and std's `Arc` uses this same load
    // when built for it. Only the last release pays it.
    wake.wakers.load(Ordering::Acquire);
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
