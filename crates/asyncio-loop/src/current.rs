//! The thread's loops: the running one (what `get_running_loop`, `create_task`,
//! `current_task` and local wakes use) and the one set with `set_event_loop`.

use std::cell::RefCell;
use std::ptr::NonNull;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use crate::error::RuntimeError;
use crate::event_loop::{EventLoop, LoopInner};
use crate::header::Header;
use crate::shared::Shared;
use crate::task::{Task, TaskRef};

thread_local! {
    static RUNNING: RefCell<Option<Rc<LoopInner>>> = const { RefCell::new(None) };
    static SET_LOOP: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
    /// Every live loop of this thread, by its `Shared` address: a wake on this thread of a
    /// loop that is not running (a host program between two `run_once` calls) still goes
    /// straight to that loop's ready queue, in order with its `call_soon`s, as in CPython.
    static LOOPS: RefCell<Vec<(usize, Weak<LoopInner>)>> = const { RefCell::new(Vec::new()) };
}

fn shared_id(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

/// Records a new loop of this thread.
pub(crate) fn register_loop(event_loop: &Rc<LoopInner>) {
    let entry = (shared_id(&event_loop.shared), Rc::downgrade(event_loop));
    let _ = LOOPS.try_with(|loops| loops.borrow_mut().push(entry));
}

/// Forgets a loop being dropped.
pub(crate) fn unregister_loop(shared: &Arc<Shared>) {
    let id = shared_id(shared);
    let _ = LOOPS.try_with(|loops| loops.borrow_mut().retain(|(other, _)| *other != id));
}

pub(crate) fn set_running(event_loop: Option<Rc<LoopInner>>) {
    let previous = RUNNING.with(|slot| slot.replace(event_loop));
    drop(previous);
}

pub(crate) fn running_loop() -> Option<Rc<LoopInner>> {
    RUNNING
        .try_with(|slot| slot.borrow().clone())
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
    let woke_running = RUNNING
        .try_with(|slot| match &*slot.borrow() {
            Some(event_loop) if Arc::ptr_eq(&event_loop.shared, shared) => {
                // SAFETY: the running loop of this thread owns `shared`, so this is the
                // task's loop's thread; the caller keeps the task alive.
                unsafe { event_loop.schedule_woken(task) };
                true
            }
            _ => false,
        })
        .unwrap_or(false);
    // SAFETY: passed on from our caller.
    woke_running || unsafe { wake_idle_local(shared, task) }
}

/// The slower path of [`wake_local`]: the waker's loop lives on this thread but is not the
/// running one.
///
/// # Safety
///
/// As for [`wake_local`].
unsafe fn wake_idle_local(shared: &Arc<Shared>, task: NonNull<Header>) -> bool {
    match live_loop_of(shared) {
        Some(event_loop) if !event_loop.is_closed() => {
            // SAFETY: a live loop of this thread owns `shared`: this is the task's loop's
            // thread; the caller keeps the task alive.
            unsafe { event_loop.schedule_woken(task) };
            true
        }
        _ => false,
    }
}

/// The live loop of this thread that owns `shared` (the loop of a task, for its handles):
/// the running loop, or else one of the thread's other live loops.
pub(crate) fn loop_of(shared: &Arc<Shared>) -> Option<Rc<LoopInner>> {
    match running_loop() {
        Some(running) if Arc::ptr_eq(&running.shared, shared) => Some(running),
        _ => live_loop_of(shared),
    }
}

/// The loop of this thread that owns `shared`, from the table of its live loops.
fn live_loop_of(shared: &Arc<Shared>) -> Option<Rc<LoopInner>> {
    let id = shared_id(shared);
    LOOPS
        .try_with(|loops| {
            loops
                .borrow()
                .iter()
                .find(|(other, _)| *other == id)
                .and_then(|(_, event_loop)| event_loop.upgrade())
        })
        .ok()
        .flatten()
}

/// Records that the running task's step is suspended on `task` (asyncio's `_fut_waiter`),
/// so cancelling the running task cancels `task` first.
pub(crate) fn note_waiting_on(task: TaskRef) {
    if let Some(event_loop) = running_loop()
        && let Some(current) = &*event_loop.current.borrow()
    {
        current.header().local.waiting_on.set(Some(task));
    }
}

/// The loop running on this thread (asyncio's `get_running_loop()`); the error says
/// "no running event loop".
pub fn get_running_loop() -> Result<EventLoop, RuntimeError> {
    running_loop()
        .map(|inner| EventLoop { inner })
        .ok_or(RuntimeError::NO_RUNNING_LOOP)
}

/// A new loop (asyncio's `new_event_loop()`).
pub fn new_event_loop() -> EventLoop {
    EventLoop::new()
}

/// The running loop; else the loop set for this thread; else a new loop, which becomes
/// the thread's loop (the old `asyncio.get_event_loop()` behaviour that seed programs use).
pub fn get_event_loop() -> EventLoop {
    if let Ok(running) = get_running_loop() {
        return running;
    }
    SET_LOOP.with(|slot| slot.borrow_mut().get_or_insert_with(EventLoop::new).clone())
}

/// Sets (or with `None` clears) this thread's loop for [`get_event_loop`].
pub fn set_event_loop(event_loop: Option<&EventLoop>) {
    let previous = SET_LOOP.with(|slot| slot.replace(event_loop.cloned()));
    drop(previous);
}

/// Wraps `future` in a task on the running loop, scheduled for the next iteration.
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop (as `tokio::spawn`
/// panics outside a runtime); use [`EventLoop::create_task`] there.
pub fn create_task<F: std::future::Future + 'static>(future: F) -> Task<F::Output> {
    match running_loop() {
        Some(event_loop) => event_loop.spawn(None, future),
        None => panic!("create_task: no running event loop"),
    }
}

/// [`create_task`] with a name.
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop.
pub fn create_task_named<F: std::future::Future + 'static>(
    name: impl Into<String>,
    future: F,
) -> Task<F::Output> {
    match running_loop() {
        Some(event_loop) => event_loop.spawn(Some(name.into()), future),
        None => panic!("create_task: no running event loop"),
    }
}

/// The task whose step is running now, if any.
pub fn current_task() -> Option<TaskRef> {
    let event_loop = running_loop()?;
    let current = event_loop.current.borrow();
    current.as_ref().map(|task| TaskRef { task: task.clone() })
}

/// The pending tasks of the running loop (empty when none runs).
pub fn all_tasks() -> Vec<TaskRef> {
    get_running_loop()
        .map(|event_loop| event_loop.all_tasks())
        .unwrap_or_default()
}
