//! The untyped part of a task: what the loop, the handles and the wakers know of any task,
//! whatever its future and output.
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
//!   thread has dropped it (see `raw.rs`).

use std::cell::Cell;
use std::fmt;
use std::mem::ManuallyDrop;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::task::Waker;

use crate::event_loop::LoopInner;
use crate::raw::TaskVTable;
use crate::shared::Shared;
use crate::task::TaskRef;
use crate::waker::OwnWaker;

/// The process-wide counter behind the default names `Task-1`, `Task-2`, ...
static TASK_COUNTER: AtomicU64 = AtomicU64::new(0);

/// How a task ended, or that it has not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    Pending,
    Finished,
    Cancelled,
    Panicked,
}

impl State {
    const ALL: [State; 4] = [
        State::Pending,
        State::Finished,
        State::Cancelled,
        State::Panicked,
    ];
}

/// One of a task's yes/no facts, a bit of its [`Flags`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Flag(u16);

impl Flag {
    /// `cancel()` was called: the next step throws the cancellation in.
    pub(crate) const CANCEL_REQUESTED: Flag = Flag(1 << 0);
    /// The step is in the ready queue: waking again adds nothing.
    pub(crate) const SCHEDULED: Flag = Flag(1 << 1);
    /// A panic was handed to someone (awaited or `result()`), so nobody needs telling.
    pub(crate) const RETRIEVED: Flag = Flag(1 << 2);
    /// A [`Task`](crate::Task) handle exists: a panic may still be retrieved through it.
    pub(crate) const HANDLE_ALIVE: Flag = Flag(1 << 3);
    /// The [`Task`](crate::Task) handle (there is one at most) was polled: dropping it
    /// before the task ends means its awaiter gave up, which cancels the task. Kept here
    /// rather than in the handle so the handle is one pointer.
    pub(crate) const HANDLE_AWAITED: Flag = Flag(1 << 4);
    /// The stage (future or output) is in use: the borrow flag of `raw::StageGuard`, kept
    /// here rather than in a `RefCell` word of its own.
    pub(crate) const STAGE_BUSY: Flag = Flag(1 << 5);
    /// The loop's own task around `run_until_complete`'s future, not a user's task.
    pub(crate) const IS_MAIN: Flag = Flag(1 << 6);
}

/// Where [`State`] sits in the [`Flags`] word.
const STATE_SHIFT: u32 = 8;

/// A task's [`State`] and [`Flag`]s, packed in one 16-bit word.
///
/// The word sits in `WakeSide`, where it fills what would be padding and so keeps the
/// header at 64 bytes; a spawn costs mostly the memory it touches. Only the loop's thread
/// reads or writes it, so a read-modify-write needs no atomic instruction: it is an atomic
/// only so that `WakeSide` stays `Sync`, and `Relaxed` loads and stores are plain moves.
pub(crate) struct Flags(AtomicU16);

impl Flags {
    fn new(is_main: bool) -> Flags {
        let main = if is_main { Flag::IS_MAIN.0 } else { 0 };
        Flags(AtomicU16::new(
            main | ((State::Pending as u16) << STATE_SHIFT),
        ))
    }

    fn bits(&self) -> u16 {
        self.0.load(Ordering::Relaxed)
    }

    /// Whether `flag` is set.
    pub(crate) fn get(&self, flag: Flag) -> bool {
        self.bits() & flag.0 != 0
    }

    /// Sets or clears `flag`.
    pub(crate) fn set(&self, flag: Flag, on: bool) {
        self.replace(flag, on);
    }

    /// Sets or clears `flag`, returning whether it was set before.
    pub(crate) fn replace(&self, flag: Flag, on: bool) -> bool {
        let bits = self.bits();
        let new = if on { bits | flag.0 } else { bits & !flag.0 };
        self.0.store(new, Ordering::Relaxed);
        bits & flag.0 != 0
    }

    fn state(&self) -> State {
        State::ALL[usize::from(self.bits() >> STATE_SHIFT) & 3]
    }

    fn set_state(&self, state: State) {
        let flags = self.bits() & ((1 << STATE_SHIFT) - 1);
        self.0
            .store(flags | ((state as u16) << STATE_SHIFT), Ordering::Relaxed);
    }
}

/// What to do when a task finishes, in the order it was asked for.
enum DoneAction {
    /// A done callback: scheduled with `call_soon` (asyncio's order).
    Callback(Box<dyn FnOnce(&TaskRef)>),
    /// A waker registered through a [`TaskRef`] (used by `cancel_all_tasks`).
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

/// The loop-thread part of a task.
pub(crate) struct Local {
    /// `N` of the default name `Task-N`; the string is made only when asked for.
    number: u64,
    /// Who awaits the task through its [`Task`](crate::Task) handle, when that is a task;
    /// any other awaiter is `Extras::foreign_awaiter`.
    awaiter: Cell<Option<OwnWaker>>,
    /// The task this one's current step is suspended on, for asyncio's cancel propagation.
    pub(crate) waiting_on: Cell<Option<TaskRef>>,
    extras: Cell<Option<Box<Extras>>>,
}

/// The rarely used part of a task.
#[derive(Default)]
struct Extras {
    /// A name given at creation or by `set_name`.
    name: Option<String>,
    done_actions: Vec<DoneAction>,
    /// How many done actions were registered before the awaiter (woken in that place),
    /// once there is an awaiter.
    awaiter_at: Option<usize>,
    /// The awaiter when its waker is not a task's (a `block_on`, another executor).
    foreign_awaiter: Option<Waker>,
}

impl Header {
    /// A pending task's header: named `name`, or `Task-N` with the next process-wide `N`.
    pub(crate) fn new(
        vtable: &'static TaskVTable,
        event_loop: &Rc<LoopInner>,
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
        Header {
            wake: WakeSide {
                vtable,
                shared: Arc::clone(&event_loop.shared),
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

    pub(crate) fn name(&self) -> String {
        let extras = self.local.extras.take();
        let given = extras.as_ref().and_then(|extras| extras.name.clone());
        self.local.extras.set(extras);
        given.unwrap_or_else(|| format!("Task-{}", self.local.number))
    }

    pub(crate) fn set_name(&self, name: String) {
        let old = self.with_extras(|extras| extras.name.replace(name));
        drop(old);
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

    pub(crate) fn unretrieved_panic(&self) -> bool {
        self.state() == State::Panicked && !self.flags().get(Flag::RETRIEVED)
    }

    /// Takes the done actions; the loop runs them in order when the task finishes.
    pub(crate) fn take_done_actions(&self) -> DoneActions {
        let extras = self.local.extras.take();
        let (actions, awaiter_at) = match extras {
            None => (Vec::new(), None),
            Some(mut extras) => {
                let taken = (
                    std::mem::take(&mut extras.done_actions),
                    extras.awaiter_at.take(),
                );
                self.local.extras.set(Some(extras));
                taken
            }
        };
        DoneActions {
            actions,
            awaiter_at,
        }
    }

    /// Queues a done callback (the caller checked the task is pending).
    pub(crate) fn push_done_callback(&self, callback: Box<dyn FnOnce(&TaskRef)>) {
        self.with_extras(|extras| extras.done_actions.push(DoneAction::Callback(callback)));
    }

    /// Queues a waker to wake when the task ends (the caller checked it is pending).
    pub(crate) fn push_done_waker(&self, waker: &Waker) {
        let action = DoneAction::Waker(waker.clone());
        self.with_extras(|extras| extras.done_actions.push(action));
    }

    /// Records `waker` as the one to wake when the task ends (the [`Task`](crate::Task)
    /// handle's awaiter), keeping its place among the done actions.
    pub(crate) fn register_awaiter(&self, waker: &Waker) {
        match self.take_awaiter() {
            Some(current) if current.will_wake(waker) => self.set_awaiter(current),
            Some(_) => self.set_awaiter(waker.clone()),
            None => {
                let extras = self.local.extras.take();
                if let Some(mut extras) = extras {
                    let before = extras.done_actions.len();
                    extras.awaiter_at.get_or_insert(before);
                    self.local.extras.set(Some(extras));
                }
                self.set_awaiter(waker.clone());
            }
        }
    }

    /// Stores the awaiter (there is none): in the header if it is a task's waker.
    fn set_awaiter(&self, waker: Waker) {
        match OwnWaker::new(waker) {
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

    /// Takes the awaiter's waker, if there is one.
    fn take_awaiter(&self) -> Option<Waker> {
        match self.local.awaiter.take() {
            Some(own) => Some(own.into_waker()),
            None => self.take_foreign_awaiter(),
        }
    }

    fn take_foreign_awaiter(&self) -> Option<Waker> {
        let mut extras = self.local.extras.take()?;
        let foreign = extras.foreign_awaiter.take();
        self.local.extras.set(Some(extras));
        foreign
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
    actions: Vec<DoneAction>,
    /// Where the awaiter goes among them; `None`: after all of them (or there is none).
    awaiter_at: Option<usize>,
}

impl DoneActions {
    /// Runs them in order: callbacks through `call_soon`, awaiters woken (which queues their
    /// step), so both land in the ready queue in the order they were registered.
    pub(crate) fn run(self, task: &TaskRef, event_loop: Option<&Rc<LoopInner>>) {
        let header = task.task.header();
        let wake_awaiter = || {
            if let Some(waker) = header.take_awaiter() {
                waker.wake();
            }
        };
        for (index, action) in self.actions.into_iter().enumerate() {
            if self.awaiter_at == Some(index) {
                wake_awaiter();
            }
            match action {
                DoneAction::Callback(callback) => {
                    if let Some(event_loop) = event_loop {
                        let task = task.clone();
                        event_loop.call_soon(move || callback(&task));
                    }
                }
                DoneAction::Waker(waker) => waker.wake(),
            }
        }
        // After every action, or none were registered (the common case); a no-op if it
        // was woken in its place already.
        wake_awaiter();
    }
}
