//! Tasks: a future the loop drives step by step, and the handles to it.
//!
//! A task is one `Rc` allocation holding its [`Header`] (name, state, waker, done callbacks)
//! and its stage (the future while it runs, then its output), plus the `Arc` behind its
//! `Send + Sync` waker. The loop's registry owns one `Rc` while the task is pending; a
//! [`Task`] handle or a [`TaskRef`] own others. A step is queued on the loop's FIFO ready
//! queue like any callback, which is what makes the interleavings asyncio's.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use crate::error::InvalidStateError;
use crate::event_loop::LoopInner;
use crate::registry::TaskKey;
use crate::shared::{Shared, TaskWaker};

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

/// What to do when a task finishes, in the order it was asked for.
enum DoneAction {
    /// A done callback: scheduled with `call_soon` (asyncio's order).
    Callback(Box<dyn FnOnce(&TaskRef)>),
    /// A waker registered through a [`TaskRef`] (used by `cancel_all_tasks`).
    Waker(Waker),
}

/// The untyped part of a task.
pub(crate) struct Header {
    pub(crate) key: TaskKey,
    /// `N` of the default name `Task-N`; the string is made only when asked for.
    number: u64,
    name: RefCell<Option<String>>,
    state: Cell<State>,
    pub(crate) cancel_requested: Cell<bool>,
    /// The step is in the ready queue: waking again adds nothing.
    pub(crate) scheduled: Cell<bool>,
    pub(crate) waker: Waker,
    pub(crate) event_loop: Weak<LoopInner>,
    done_actions: RefCell<Vec<DoneAction>>,
    awaiter: RefCell<Option<Waker>>,
    /// Where the [`Task`] handle's awaiter stands among the done actions (how many were
    /// registered before it): kept apart from `done_actions` so awaiting a task, the common
    /// case, allocates no `Vec`.
    awaiter_at: Cell<Option<usize>>,
    /// The task this one's current step is suspended on, for asyncio's cancel propagation.
    pub(crate) waiting_on: RefCell<Option<TaskRef>>,
    /// A panic was handed to someone (awaited or `result()`), so nobody needs telling.
    retrieved: Cell<bool>,
    /// A [`Task`] handle exists: a panic may still be retrieved through it.
    pub(crate) handle_alive: Cell<bool>,
    pub(crate) is_main: bool,
}

impl Header {
    pub(crate) fn new(
        key: TaskKey,
        name: Option<String>,
        shared: &Arc<Shared>,
        event_loop: Weak<LoopInner>,
        is_main: bool,
    ) -> Header {
        let number = if name.is_none() {
            TASK_COUNTER.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            0
        };
        let waker = Waker::from(Arc::new(TaskWaker {
            key,
            shared: Arc::clone(shared),
            queued: AtomicBool::new(false),
        }));
        Header {
            key,
            number,
            name: RefCell::new(name),
            state: Cell::new(State::Pending),
            cancel_requested: Cell::new(false),
            scheduled: Cell::new(false),
            waker,
            event_loop,
            done_actions: RefCell::new(Vec::new()),
            awaiter: RefCell::new(None),
            awaiter_at: Cell::new(None),
            waiting_on: RefCell::new(None),
            retrieved: Cell::new(false),
            handle_alive: Cell::new(false),
            is_main,
        }
    }

    pub(crate) fn name(&self) -> String {
        match &*self.name.borrow() {
            Some(name) => name.clone(),
            None => format!("Task-{}", self.number),
        }
    }

    pub(crate) fn state(&self) -> State {
        self.state.get()
    }

    pub(crate) fn set_state(&self, state: State) {
        self.state.set(state);
    }

    pub(crate) fn done(&self) -> bool {
        self.state.get() != State::Pending
    }

    /// Takes the done actions; the loop runs them in order when the task finishes.
    pub(crate) fn take_done_actions(&self) -> DoneActions {
        DoneActions {
            actions: self.done_actions.take(),
            awaiter_at: self.awaiter_at.take(),
        }
    }

    pub(crate) fn unretrieved_panic(&self) -> bool {
        self.state.get() == State::Panicked && !self.retrieved.get()
    }

    fn register_awaiter(&self, waker: &Waker) {
        let mut awaiter = self.awaiter.borrow_mut();
        match &*awaiter {
            Some(current) if current.will_wake(waker) => {}
            Some(_) => *awaiter = Some(waker.clone()),
            None => {
                *awaiter = Some(waker.clone());
                if self.awaiter_at.get().is_none() {
                    self.awaiter_at.set(Some(self.done_actions.borrow().len()));
                }
            }
        }
    }

    fn repr(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.get() {
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
    awaiter_at: Option<usize>,
}

impl DoneActions {
    /// Runs them in order: callbacks through `call_soon`, awaiters woken (which queues their
    /// step), so both land in the ready queue in the order they were registered.
    pub(crate) fn run(self, task: &TaskRef, event_loop: Option<&Rc<LoopInner>>) {
        let header = task.task.header();
        let wake_awaiter = || {
            if let Some(waker) = header.awaiter.take() {
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
        if self.awaiter_at.is_some() {
            // After every action, or none were registered (the common case).
            wake_awaiter();
        }
    }
}

/// What the loop needs of any task, whatever its future and output.
pub(crate) trait TaskDyn {
    fn header(&self) -> &Header;
    /// Runs one step: polls the future, or drops it when a cancel was asked for. Returns
    /// whether the task is now done (its state says how).
    fn step(&self) -> bool;
    /// Drops the future without another poll and marks the task cancelled (loop close).
    fn abort(&self);
    /// The panic the task ended with, while its outcome has not been taken.
    fn panic(&self) -> Option<Panic>;
}

/// A task's future while it runs, then its outcome until someone takes it.
enum Stage<F: std::future::Future> {
    Running(F),
    Done(Result<F::Output, TaskError>),
    Taken,
}

/// The single allocation of a task: header, future and output together.
pub(crate) struct TaskCell<F: std::future::Future> {
    header: Header,
    stage: RefCell<Stage<F>>,
}

impl<F: std::future::Future> TaskCell<F> {
    pub(crate) fn new(header: Header, future: F) -> TaskCell<F> {
        TaskCell {
            header,
            stage: RefCell::new(Stage::Running(future)),
        }
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
            *self.stage.borrow_mut() = Stage::Done(outcome);
        }));
        match dropped {
            Ok(()) => self.header.set_state(state),
            Err(payload) => {
                *self.stage.borrow_mut() =
                    Stage::Done(Err(TaskError::Panicked(Panic::from_payload(&*payload))));
                self.header.set_state(State::Panicked);
            }
        }
    }
}

impl<F: std::future::Future> TaskDyn for TaskCell<F> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn step(&self) -> bool {
        if self.header.done() {
            return true;
        }
        if self.header.cancel_requested.get() {
            self.finish(Err(TaskError::Cancelled));
            return true;
        }
        let mut cx = Context::from_waker(&self.header.waker);
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let mut stage = self.stage.borrow_mut();
            let Stage::Running(future) = &mut *stage else {
                unreachable!("a pending task holds its future");
            };
            // SAFETY: the future lives inside the task's `Rc` allocation, which never moves,
            // and it is never moved out of `Stage::Running`: it is only ever dropped in place
            // by assigning a new stage (see `finish`). So it stays pinned until dropped.
            let future = unsafe { Pin::new_unchecked(future) };
            future.poll(&mut cx)
        }));
        match polled {
            Ok(Poll::Pending) => false,
            Ok(Poll::Ready(output)) => {
                self.finish(Ok(output));
                true
            }
            Err(payload) => {
                self.finish(Err(TaskError::Panicked(Panic::from_payload(&*payload))));
                true
            }
        }
    }

    fn abort(&self) {
        if !self.header.done() {
            self.finish(Err(TaskError::Cancelled));
        }
    }

    fn panic(&self) -> Option<Panic> {
        match &*self.stage.borrow() {
            Stage::Done(Err(TaskError::Panicked(panic))) => Some(panic.clone()),
            _ => None,
        }
    }
}

/// The typed side of a task, for its [`Task`] handle.
pub(crate) trait TaskOutput<T>: TaskDyn {
    fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>>;
    fn take_output(&self) -> Result<Result<T, TaskError>, InvalidStateError>;
    fn erase(self: Rc<Self>) -> Rc<dyn TaskDyn>;
}

impl<F: std::future::Future + 'static> TaskOutput<F::Output> for TaskCell<F> {
    fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<F::Output, TaskError>> {
        if self.header.done() {
            Poll::Ready(self.take_output().unwrap_or(Err(TaskError::Cancelled)))
        } else {
            self.header.register_awaiter(cx.waker());
            Poll::Pending
        }
    }

    fn take_output(&self) -> Result<Result<F::Output, TaskError>, InvalidStateError> {
        let mut stage = self.stage.borrow_mut();
        match &*stage {
            Stage::Running(_) => Err(InvalidStateError::NOT_SET),
            Stage::Taken => Err(InvalidStateError::TAKEN),
            Stage::Done(_) => {
                let Stage::Done(outcome) = std::mem::replace(&mut *stage, Stage::Taken) else {
                    unreachable!("matched Done above");
                };
                self.header.retrieved.set(true);
                Ok(outcome)
            }
        }
    }

    fn erase(self: Rc<Self>) -> Rc<dyn TaskDyn> {
        self
    }
}

/// The header-only task standing for `run_until_complete`'s future, which lives on that
/// call's stack frame and is polled there.
pub(crate) struct MainTask {
    pub(crate) header: Header,
}

impl TaskDyn for MainTask {
    fn header(&self) -> &Header {
        &self.header
    }

    fn step(&self) -> bool {
        unreachable!("the loop steps the main task through run_until_complete's frame")
    }

    fn abort(&self) {
        if !self.header.done() {
            self.header.set_state(State::Cancelled);
        }
    }

    fn panic(&self) -> Option<Panic> {
        None
    }
}

/// How a task failed: cancelled, or its future panicked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task was cancelled (its future was dropped at a suspension point).
    Cancelled,
    /// The task's future panicked.
    Panicked(Panic),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task: cancelled"),
            TaskError::Panicked(panic) => write!(f, "task: {panic}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// A panic caught in a task: its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    message: String,
}

impl Panic {
    pub(crate) fn from_payload(payload: &(dyn Any + Send)) -> Panic {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "Box<dyn Any>".to_owned()
        };
        Panic { message }
    }

    /// The panic's message (`"Box<dyn Any>"` when the payload was not a string).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.message)
    }
}

impl std::error::Error for Panic {}

/// Asks `task` to cancel: its future is dropped at its next step. Returns `false` when the
/// task is already done. If the task is suspended on another task, that one is cancelled
/// instead and this task's step waits for it to end, as asyncio does (`_fut_waiter`).
fn request_cancel(task: &Rc<dyn TaskDyn>) -> bool {
    let header = task.header();
    if header.done() {
        return false;
    }
    header.cancel_requested.set(true);
    let waiting_on = header.waiting_on.borrow_mut().take();
    if let Some(inner) = waiting_on
        && inner.cancel()
    {
        return true;
    }
    if let Some(event_loop) = header.event_loop.upgrade() {
        event_loop.schedule(header.key);
    }
    true
}

/// A handle to a task that outputs `T`; awaiting it gives `Ok(output)`, or why there is none.
///
/// Dropping a handle that was never polled detaches the task: it runs to the end anyway.
/// Dropping one that was being awaited before the task finished cancels the task (asyncio's
/// cancellation propagation; wrap it in [`shield`](crate::shield) to prevent that).
///
/// ```
/// use asyncio_loop::EventLoop;
///
/// let event_loop = EventLoop::new();
/// let out = event_loop.run_until_complete(async {
///     let task = asyncio_loop::create_task(async { 6 * 7 });
///     assert!(!task.done());
///     task.await
/// });
/// assert_eq!(out, Ok(Ok(42)));
/// ```
pub struct Task<T> {
    cell: Rc<dyn TaskOutput<T>>,
    /// Polled at least once: dropping it now means the awaiter gave up (cancel).
    awaited: bool,
}

impl<T> Task<T> {
    pub(crate) fn new(cell: Rc<dyn TaskOutput<T>>) -> Task<T> {
        cell.header().handle_alive.set(true);
        Task {
            cell,
            awaited: false,
        }
    }

    fn header(&self) -> &Header {
        self.cell.header()
    }

    /// The task's name: `Task-N` unless one was given.
    pub fn name(&self) -> String {
        self.header().name()
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        *self.header().name.borrow_mut() = Some(name.into());
    }

    /// Asks the task to cancel: its future is dropped at its next step, on the loop's
    /// thread. Returns `false` if the task is already done.
    pub fn cancel(&self) -> bool {
        request_cancel(&self.as_ref().task)
    }

    /// Whether the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.header().state() == State::Cancelled
    }

    /// Whether the task has ended (output, cancellation or panic).
    pub fn done(&self) -> bool {
        self.header().done()
    }

    /// The task's outcome without waiting: `Err(InvalidStateError)` if it is not done yet
    /// (or the outcome was already taken), else what awaiting would give.
    pub fn result(&self) -> Result<Result<T, TaskError>, InvalidStateError> {
        self.cell.take_output()
    }

    /// Runs `callback` (through `call_soon`) when the task ends; at once (next iteration)
    /// if it already has.
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) {
        self.as_ref().add_done_callback(callback);
    }

    /// A type-erased handle to the same task.
    pub fn as_ref(&self) -> TaskRef {
        TaskRef {
            task: Rc::clone(&self.cell).erase(),
        }
    }

    /// Polls without counting as an awaiter: used by [`shield`](crate::shield).
    pub(crate) fn poll_shielded(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        self.cell.poll_output(cx)
    }
}

impl<T> std::future::Future for Task<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.awaited = true;
        let polled = self.cell.poll_output(cx);
        if polled.is_pending() {
            crate::current::note_waiting_on(Task::as_ref(&self));
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        let header = self.cell.header();
        header.handle_alive.set(false);
        if self.awaited && !header.done() {
            request_cancel(&self.as_ref().task);
        } else if header.unretrieved_panic() {
            report_unretrieved(&self.as_ref());
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.header().repr(f)
    }
}

/// Reports a panic nobody retrieved through the task's loop's exception handler (or the
/// default one, if the loop is gone).
pub(crate) fn report_unretrieved(task: &TaskRef) {
    let header = task.task.header();
    header.retrieved.set(true);
    let context = crate::ExceptionContext::new(
        "Task exception was never retrieved".to_owned(),
        Some(task.clone()),
        task.task.panic(),
    );
    match header.event_loop.upgrade() {
        Some(event_loop) => event_loop.call_exception_handler(&context),
        None => crate::exception::default_exception_handler(&context),
    }
}

/// A type-erased, clonable handle to a task of any output type (asyncio's view of a task
/// in `all_tasks()` and `current_task()`). Holding one never cancels anything.
#[derive(Clone)]
pub struct TaskRef {
    pub(crate) task: Rc<dyn TaskDyn>,
}

impl TaskRef {
    /// The task's name: `Task-N` unless one was given.
    pub fn name(&self) -> String {
        self.task.header().name()
    }

    /// Renames the task.
    pub fn set_name(&self, name: impl Into<String>) {
        *self.task.header().name.borrow_mut() = Some(name.into());
    }

    /// Asks the task to cancel; `false` if it is already done. See [`Task::cancel`].
    pub fn cancel(&self) -> bool {
        request_cancel(&self.task)
    }

    /// Whether the task ended by cancellation.
    pub fn cancelled(&self) -> bool {
        self.task.header().state() == State::Cancelled
    }

    /// Whether the task has ended.
    pub fn done(&self) -> bool {
        self.task.header().done()
    }

    /// Runs `callback` (through `call_soon`) when the task ends; next iteration if it
    /// already has.
    pub fn add_done_callback(&self, callback: impl FnOnce(&TaskRef) + 'static) {
        let header = self.task.header();
        if header.done() {
            if let Some(event_loop) = header.event_loop.upgrade() {
                let task = self.clone();
                event_loop.call_soon(move || callback(&task));
            }
        } else {
            header
                .done_actions
                .borrow_mut()
                .push(DoneAction::Callback(Box::new(callback)));
        }
    }

    /// Wakes `waker` when the task ends (immediately if it has).
    pub(crate) fn wake_when_done(&self, waker: &Waker) {
        let header = self.task.header();
        if header.done() {
            waker.wake_by_ref();
        } else {
            header
                .done_actions
                .borrow_mut()
                .push(DoneAction::Waker(waker.clone()));
        }
    }

    /// Whether two handles name the same task.
    pub fn ptr_eq(&self, other: &TaskRef) -> bool {
        Rc::ptr_eq(&self.task, &other.task)
    }
}

impl fmt::Debug for TaskRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.task.header().repr(f)
    }
}

impl PartialEq for TaskRef {
    fn eq(&self, other: &TaskRef) -> bool {
        self.ptr_eq(other)
    }
}

impl Eq for TaskRef {}
