//! Layer 4 (the public surface): asyncio's free functions about the thread's loops:
//! the running one (`get_running_loop`, `create_task`, `current_task`, `all_tasks`) and
//! the one set with `set_event_loop` (`get_event_loop`).

use std::cell::RefCell;
use std::panic::Location;

use asyncio_contextvars::Context;

use crate::error::RuntimeError;
use crate::event_loop::EventLoop;
use crate::running::running_loop;
use crate::task::Task;
use crate::task_ref::TaskRef;
use crate::try_task::TryTask;

thread_local! {
    static SET_LOOP: RefCell<Option<EventLoop>> = const { RefCell::new(None) };
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

/// Wraps `future` in a task on the running loop, scheduled for the next iteration. The task
/// runs in a copy of the current context (asyncio-contextvars), taken now: it sees the
/// context variables its creator set before this call, and what it sets is its own.
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop (as `tokio::spawn`
/// panics outside a runtime); use [`EventLoop::create_task`] there.
#[track_caller]
pub fn create_task<F: std::future::Future + 'static>(future: F) -> Task<F::Output> {
    match running_loop() {
        Some(event_loop) => event_loop.spawn(None, future),
        None => panic!("create_task: no running event loop"),
    }
}

/// [`create_task`] for a future whose `Err` output is a failure, as an exception is in
/// asyncio: an `Err` nobody retrieves (by awaiting the task, `result`, `exception`...) is
/// reported through the loop's exception handler as "Task exception was never retrieved",
/// [`TaskRef::failed`] is true, `wait`'s `FirstException` returns at it, and
/// `asyncio::run`'s shutdown reports it. A plain [`create_task`] treats every output as a
/// value: generic code cannot tell an `Err` apart.
///
/// ```
/// use asyncio_loop::{EventLoop, create_try_task, sleep};
/// use std::time::Duration;
///
/// let event_loop = EventLoop::new();
/// let reports = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let seen = reports.clone();
/// event_loop.set_exception_handler(Some(move |context: &asyncio_loop::ExceptionContext| {
///     seen.borrow_mut().push(format!("{}: {}", context.message(), context.error().unwrap()));
/// }));
/// event_loop.run_until_complete(async {
///     drop(create_try_task(async { Err::<(), _>("disk full") }));
///     sleep(Duration::ZERO).await;
/// })
/// .unwrap();
/// assert_eq!(*reports.borrow(), ["Task exception was never retrieved: \"disk full\""]);
/// ```
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop.
#[track_caller]
pub fn create_try_task<T, E, F>(future: F) -> Task<Result<T, E>>
where
    T: 'static,
    E: std::fmt::Debug + 'static,
    F: std::future::Future<Output = Result<T, E>> + 'static,
{
    create_task(TryTask::new(future))
}

/// [`create_task`] with a name.
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop.
#[track_caller]
pub fn create_task_named<F: std::future::Future + 'static>(
    name: impl Into<String>,
    future: F,
) -> Task<F::Output> {
    match running_loop() {
        Some(event_loop) => event_loop.spawn(Some(name.into()), future),
        None => panic!("create_task: no running event loop"),
    }
}

/// [`create_task`] running in `context` itself rather than a copy of the current one
/// (asyncio's `create_task(coro, context=ctx)`): what the task sets stays in `context`.
///
/// # Panics
///
/// With "no running event loop" when called outside a running loop.
#[track_caller]
pub fn create_task_with_context<F: std::future::Future + 'static>(
    context: &Context,
    future: F,
) -> Task<F::Output> {
    match running_loop() {
        Some(event_loop) => {
            event_loop.spawn_in(Some(context.clone()), None, future, Location::caller())
        }
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
