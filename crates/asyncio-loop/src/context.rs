//! Layer 1 (the raw task): how the task machinery reaches its loop without naming it. The
//! loop implements [`Schedule`]; this module keeps, per thread, the running loop and every
//! live loop as their [`ReadyQueue`] and a `dyn Schedule`, found by the never-reused id of
//! the [`Shared`] part that a task's header points to. As tokio's `runtime/task` calls its scheduler through a
//! `Schedule` trait, nothing below the loop (`header`, `waker`, `raw`, `done`, the task
//! handles) imports it. Queueing a step needs only the queue, a type of this layer, so the
//! hot path (a wake, a cancel) makes no dynamic call; the trait carries the rest.
//!
//! A wake on a loop's own thread goes straight to its ready queue, even when that loop is
//! not the running one (a host program between two `run_once` calls), in order with its
//! `call_soon`s, as in CPython.

use std::cell::RefCell;
use std::ptr::NonNull;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use crate::callback::Callback;
use crate::error::Panic;
use crate::header::{Header, TaskRc};
use crate::ready::ReadyQueue;
use crate::shared::{LoopId, Shared};
use crate::waiting::Waiting;

/// What a task and its handles ask of their loop beyond queueing a step, on the loop's
/// thread.
pub(crate) trait Schedule {
    /// Queues `callback` at the end of the ready queue (`call_soon`); dropped unrun when
    /// the loop is closed.
    fn call_soon(&self, callback: Rc<dyn Callback>);

    /// Records that the running task's step is suspended on `task` (asyncio's
    /// `_fut_waiter`), so cancelling the running task cancels `task` first.
    fn note_waiting_on(&self, task: TaskRc);

    /// Records what the running task's step is suspended on, for the task dump, when it is
    /// not a task (`waiting.rs`).
    fn note_waiting(&self, waiting: Waiting);

    /// Reports through the loop's exception handler (asyncio's
    /// `call_exception_handler`); `error` is the `Debug` of an `Err` a task failed with.
    fn report(
        &self,
        message: String,
        task: Option<TaskRc>,
        panic: Option<Panic>,
        error: Option<String>,
    );

    /// The task whose step is running, if any.
    fn current_task(&self) -> Option<TaskRc>;
}

/// A loop as this module knows it: its queue and the rest of it.
#[derive(Clone)]
pub(crate) struct LoopRef {
    pub(crate) queue: Rc<ReadyQueue>,
    pub(crate) scheduler: Rc<dyn Schedule>,
}

/// A loop of this thread, with the identity its tasks know it by.
struct Entry {
    id: LoopId,
    queue: Weak<ReadyQueue>,
    scheduler: Weak<dyn Schedule>,
}

impl Entry {
    fn upgrade(&self) -> Option<LoopRef> {
        Some(LoopRef {
            queue: self.queue.upgrade()?,
            scheduler: self.scheduler.upgrade()?,
        })
    }
}

thread_local! {
    /// The running loop, with its identity.
    static RUNNING: RefCell<Option<(LoopId, LoopRef)>> = const { RefCell::new(None) };
    /// Every live loop of this thread.
    static LOOPS: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

/// A loop's identity for its tasks: the never-reused id of its [`Shared`] part, which every
/// task's header holds. Not the part's address: a loop made after another was dropped may
/// get the same memory, and would then be taken for it.
pub(crate) fn loop_id(shared: &Shared) -> LoopId {
    shared.id()
}

/// Records a new loop of this thread.
pub(crate) fn register_loop(shared: &Arc<Shared>, event_loop: &LoopRef) {
    let entry = Entry {
        id: loop_id(shared),
        queue: Rc::downgrade(&event_loop.queue),
        scheduler: Rc::downgrade(&event_loop.scheduler),
    };
    let _ = LOOPS.try_with(|loops| loops.borrow_mut().push(entry));
}

/// Forgets a loop being dropped.
pub(crate) fn unregister_loop(shared: &Arc<Shared>) {
    let id = loop_id(shared);
    let _ = LOOPS.try_with(|loops| loops.borrow_mut().retain(|entry| entry.id != id));
}

/// Sets (or with `None` clears) the loop running on this thread.
pub(crate) fn set_running(running: Option<(&Arc<Shared>, LoopRef)>) {
    let running = running.map(|(shared, event_loop)| (loop_id(shared), event_loop));
    let previous = RUNNING.with(|slot| slot.replace(running));
    drop(previous);
}

/// Reports through the exception handler of the loop owning `shared` (running or live on
/// this thread); with that loop gone, on stderr, one line, as the default handler would.
pub(crate) fn report_to(
    shared: &Shared,
    message: String,
    task: Option<TaskRc>,
    panic: Option<Panic>,
) {
    match loop_of(shared) {
        Some(event_loop) => event_loop.scheduler.report(message, task, panic, None),
        None => match panic {
            Some(panic) => eprintln!("{message}; {panic}"),
            None => eprintln!("{message}"),
        },
    }
}

/// The loop running on this thread, when it is not the loop owning `shared`.
pub(crate) fn other_running_loop(shared: &Shared) -> Option<LoopRef> {
    let id = loop_id(shared);
    RUNNING
        .try_with(|slot| match &*slot.borrow() {
            Some((running, event_loop)) if *running != id => Some(event_loop.clone()),
            _ => None,
        })
        .ok()
        .flatten()
}

/// Runs `f` with the running loop, if any.
pub(crate) fn with_running<R>(f: impl FnOnce(&dyn Schedule) -> R) -> Option<R> {
    RUNNING
        .try_with(|slot| {
            let slot = slot.borrow();
            slot.as_ref().map(|(_, running)| f(&*running.scheduler))
        })
        .ok()
        .flatten()
}

/// A wake on the task's loop's own thread: straight onto its ready queue, no lock.
/// Returns `false` when this thread does not own the waker's loop (`shared`).
///
/// # Safety
///
/// `task` is a live task (the caller holds one of its wakers) of the loop owning `shared`.
pub(crate) unsafe fn wake_local(shared: &Arc<Shared>, task: NonNull<Header>) -> bool {
    let id = loop_id(shared);
    let woke_running = RUNNING
        .try_with(|slot| match &*slot.borrow() {
            Some((running, event_loop)) if *running == id => {
                // SAFETY: the running loop of this thread owns `shared`, so this is the
                // task's loop's thread; the caller keeps the task alive.
                unsafe { event_loop.queue.schedule_woken(task) };
                true
            }
            _ => false,
        })
        .unwrap_or(false);
    // SAFETY: passed on from our caller.
    woke_running || unsafe { wake_idle_local(id, task) }
}

/// The slower path of [`wake_local`]: the waker's loop lives on this thread but is not the
/// running one.
///
/// # Safety
///
/// As for [`wake_local`].
unsafe fn wake_idle_local(id: LoopId, task: NonNull<Header>) -> bool {
    match live_loop(id) {
        Some(event_loop) if !event_loop.queue.is_closed() => {
            // SAFETY: a live loop of this thread owns `shared`: this is the task's loop's
            // thread; the caller keeps the task alive.
            unsafe { event_loop.queue.schedule_woken(task) };
            true
        }
        _ => false,
    }
}

/// The live loop of this thread that owns `shared` (the loop of a task, for its handles):
/// the running loop, or else one of the thread's other live loops.
pub(crate) fn loop_of(shared: &Shared) -> Option<LoopRef> {
    let id = loop_id(shared);
    let running = RUNNING
        .try_with(|slot| match &*slot.borrow() {
            Some((running, event_loop)) if *running == id => Some(event_loop.clone()),
            _ => None,
        })
        .ok()
        .flatten();
    running.or_else(|| live_loop(id))
}

/// The loop of this thread with identity `id`, from the table of its live loops.
fn live_loop(id: LoopId) -> Option<LoopRef> {
    LOOPS
        .try_with(|loops| {
            loops
                .borrow()
                .iter()
                .find(|entry| entry.id == id)
                .and_then(Entry::upgrade)
        })
        .ok()
        .flatten()
}
