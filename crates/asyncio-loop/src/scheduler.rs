//! Layer 3 (the iteration): the loop's state, [`LoopInner`], and the operations every part
//! of the loop asks of it: queue a step or a callback, arm or cancel a timer, spawn a task,
//! report to the exception handler. It implements `context.rs`'s `Schedule` trait, through
//! which the layers below reach it without naming it. The iteration itself is in
//! `iteration.rs`, closing in `shutdown.rs`, the public handle in `event_loop.rs`.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::task::Waker;
use std::time::{Duration, Instant};

use asyncio_contextvars::{Context, Scope, capture};

use crate::callback::{Callback, CallbackCell};
use crate::context::{LoopRef, Schedule};
use crate::error::{PAYLOAD_DROP_PANICKED, Panic, RunError};
use crate::exception::{ExceptionContext, default_exception_handler};
use crate::flags::Flag;
use crate::header::TaskRc;
use crate::raw::new_task;
use crate::reactor::Io;
use crate::ready::{Ready, ReadyQueue};
use crate::registry::Registry;
use crate::shared::{Injected, Shared};
use crate::task::{Task, note_sync_waiting};
use crate::task_ref::TaskRef;
use crate::timers::{TimerEntry, TimerId, Timers};
use crate::waiting::Waiting;
use crate::waker::task_of;

/// asyncio's report of an exception handler that failed itself.
const HANDLER_FAILED: &str = "Unhandled error in exception handler";

/// Default `slow_callback_duration`, as asyncio's.
const DEFAULT_SLOW_CALLBACK: Duration = Duration::from_millis(100);

/// The instant `time()` counts from: one for the process, so loops agree.
pub(crate) fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// The loop's exception handler.
pub(crate) type ExceptionHandler = Rc<dyn Fn(&ExceptionContext)>;

/// The loop's state, owned through `Rc` by the [`EventLoop`](crate::EventLoop) handles and
/// the thread-local running-loop slots (`running.rs`, `context.rs`).
pub(crate) struct LoopInner {
    pub(crate) shared: Arc<Shared>,
    /// Shared with `context.rs`'s slots, so that a wake reaches it without the loop.
    pub(crate) ready: Rc<ReadyQueue>,
    pub(crate) timers: RefCell<Timers>,
    pub(crate) tasks: RefCell<Registry>,
    pub(crate) io: RefCell<Io>,
    /// The buffer `iteration.rs` gathers the wakers of ready sources in, kept to reuse.
    pub(crate) io_wakers: Cell<Vec<Waker>>,
    pub(crate) injected: RefCell<Vec<Injected>>,
    /// Work came from another thread since the loop last slept: before it sleeps again it
    /// spins a moment for more (`iteration.rs`).
    pub(crate) spin_next: Cell<bool>,
    pub(crate) running: Cell<bool>,
    pub(crate) stopping: Cell<bool>,
    /// `cancel_all_tasks` is running the loop: the failures of the tasks it cancels are
    /// reported by it, with asyncio's shutdown message, not as never retrieved.
    pub(crate) cancelling_all: Cell<bool>,
    /// The task whose step is running.
    pub(crate) current: RefCell<Option<TaskRc>>,
    /// The context a callback scheduled from an empty context made when it set a variable
    /// (the `Scope` below): its own, as asyncio runs each callback in a copy of the
    /// context it was scheduled from. Dropped before the next callback runs.
    pub(crate) item_context: Cell<Option<Context>>,
    pub(crate) debug: Cell<bool>,
    pub(crate) slow_callback: Cell<Duration>,
    pub(crate) handler: RefCell<Option<ExceptionHandler>>,
    /// Values other crates keep with the loop until it closes (`EventLoop::set_extension`),
    /// one per type: the facade's default executor, for one.
    pub(crate) extensions: RefCell<Vec<Box<dyn std::any::Any>>>,
}

impl LoopInner {
    pub(crate) fn new() -> LoopInner {
        let shared = Shared::new();
        // The primitives of `asyncio-sync` say what a task waits on through this (the
        // first loop of the process installs it; `false` after that is expected).
        let _ = asyncio_sync::set_wait_hook(note_sync_waiting);
        let debug = std::env::var_os("ASYNCIO_DEBUG").is_some_and(|v| !v.is_empty() && v != "0");
        LoopInner {
            shared: Arc::new(shared),
            ready: Rc::new(ReadyQueue::default()),
            timers: RefCell::new(Timers::new()),
            tasks: RefCell::new(Registry::default()),
            io: RefCell::new(Io::default()),
            io_wakers: Cell::new(Vec::new()),
            injected: RefCell::new(Vec::new()),
            spin_next: Cell::new(false),
            running: Cell::new(false),
            stopping: Cell::new(false),
            cancelling_all: Cell::new(false),
            current: RefCell::new(None),
            item_context: Cell::new(None),
            debug: Cell::new(debug),
            slow_callback: Cell::new(DEFAULT_SLOW_CALLBACK),
            handler: RefCell::new(None),
            extensions: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn push_ready(&self, item: Ready) {
        self.ready.push(item);
    }

    /// Queues the next step of `task`, unless it is queued already or done.
    pub(crate) fn schedule(&self, task: &TaskRc) {
        self.ready.schedule(task);
    }

    /// Queues `callback` for the next iteration, unless the loop is closed.
    pub(crate) fn push_callback(&self, callback: Rc<dyn Callback>) {
        if !self.ready.is_closed() {
            self.push_ready(Ready::Callback(callback));
        }
    }

    /// Schedules `f` for the next iteration (asyncio's `call_soon`); returns the callback,
    /// for its handle.
    pub(crate) fn call_soon(&self, f: impl FnOnce() + 'static) -> Rc<dyn Callback> {
        let callback = CallbackCell::new_rc(f);
        self.push_callback(Rc::clone(&callback));
        callback
    }

    pub(crate) fn insert_timer(&self, deadline: Instant, entry: TimerEntry) -> TimerId {
        self.timers.borrow_mut().insert(deadline, entry)
    }

    /// What a timer that must wake `waker` stores: the running task's key when `waker` is
    /// that task's own (no clone, and firing it needs no waker), else a clone of `waker`.
    pub(crate) fn wake_entry(&self, waker: &Waker) -> TimerEntry {
        if let Some(task) = &*self.current.borrow()
            && task_of(waker) == Some(task.as_ptr())
        {
            return TimerEntry::WakeTask(task.clone());
        }
        TimerEntry::Wake(waker.clone())
    }

    /// Makes the pending timer `id` wake `waker`'s task when it would wake another: the
    /// future that armed it (a `sleep`, a `timeout`) has moved to another task since, which
    /// the first task's wake-up would leave waiting forever. The entry is replaced in
    /// place, so the timer keeps its deadline and its place among equal deadlines. Returns
    /// `false` when the timer has fired (or was cancelled).
    pub(crate) fn retarget_timer(&self, id: TimerId, waker: &Waker) -> bool {
        let mut timers = self.timers.borrow_mut();
        let Some(entry) = timers.get_mut(id) else {
            return false;
        };
        let wakes = match entry {
            TimerEntry::WakeTask(task) => task_of(waker) == Some(task.as_ptr()),
            TimerEntry::Wake(current) => current.will_wake(waker),
            TimerEntry::Callback(_) => true,
        };
        if !wakes {
            let old = std::mem::replace(entry, self.wake_entry(waker));
            drop(timers);
            // Outside the borrow: the last reference to a finished task may go with it, and
            // its output's `Drop` may use the loop's timers.
            drop(old);
        }
        true
    }

    pub(crate) fn cancel_timer(&self, id: TimerId) {
        let removed = self.timers.borrow_mut().cancel(id);
        drop(removed);
    }

    pub(crate) fn timer_fired(&self, id: TimerId) -> bool {
        self.timers.borrow().has_fired(id)
    }

    /// Spawns `future` as a task running in a copy of the current context (asyncio's
    /// `Task.__init__`: `copy_context()`), if that has any value. The task's creation
    /// site is the caller's (`#[track_caller]` all the way up from the user's line).
    #[track_caller]
    pub(crate) fn spawn<F: std::future::Future + 'static>(
        &self,
        name: Option<String>,
        future: F,
    ) -> Task<F::Output> {
        self.spawn_in(capture(), name, future, Location::caller())
    }

    /// Spawns `future` as a task running in `context` (asyncio's `create_task(.., context=)`),
    /// or in a context of its own made when it first sets a variable; made at `created_at`.
    ///
    /// # Panics
    ///
    /// On a closed loop, with asyncio's `RuntimeError` message, "Event loop is closed" (the
    /// `call_soon` in `Task.__init__` raises it): the future is dropped unpolled first.
    #[track_caller]
    pub(crate) fn spawn_in<F: std::future::Future + 'static>(
        &self,
        context: Option<Context>,
        name: Option<String>,
        future: F,
        created_at: &'static Location<'static>,
    ) -> Task<F::Output> {
        if self.ready.is_closed() {
            // Dropped here rather than by the unwind, so a panicking `Drop` of the future
            // is that panic, not an abort.
            drop(future);
            closed_loop();
        }
        let task = new_task(&self.shared, name, false, future);
        if let Some(context) = context {
            task.header().set_context(context);
        }
        if self.debug.get() {
            task.header().set_created(Instant::now());
        }
        self.tasks.borrow_mut().insert(task.clone(), created_at);
        self.ready.schedule_new(task.clone());
        // SAFETY: `task` runs `future`, whose output is `F::Output`.
        unsafe { Task::from_raw(task) }
    }

    pub(crate) fn call_exception_handler(&self, context: &ExceptionContext) {
        #[cfg(feature = "tracing")]
        context.trace();
        let handler = self.handler.borrow().clone();
        match handler {
            Some(handler) => {
                // A panicking handler must not take the loop down, nor its payload's drop.
                // As asyncio, the default handler reports the handler's own failure, then
                // the context it was handling (asyncio's `'context'` key).
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(context))) {
                    let (failure, dropped) = Panic::from_caught(payload);
                    default_exception_handler(&ExceptionContext::new(
                        HANDLER_FAILED,
                        context.task().cloned(),
                        Some(failure),
                    ));
                    default_exception_handler(context);
                    if let Some(panic) = dropped {
                        let message = PAYLOAD_DROP_PANICKED.to_owned();
                        default_exception_handler(&ExceptionContext::new(
                            message,
                            None,
                            Some(panic),
                        ));
                    }
                }
            }
            None => default_exception_handler(context),
        }
    }

    /// Runs `f`, reporting a panic through the exception handler as "Exception in `what`"
    /// instead of unwinding through the loop (a ready item's run, a drop at close).
    pub(crate) fn guarded(&self, what: &str, f: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
            self.report_caught(format!("Exception in {what}"), payload);
        }
    }

    /// Reports a caught panic, and the panic of its payload's own `Drop` if it has one
    /// (which must not unwind from here either).
    #[cold]
    fn report_caught(&self, message: String, payload: Box<dyn Any + Send>) {
        let (panic, payload_drop) = Panic::from_caught(payload);
        self.call_exception_handler(&ExceptionContext::new(message, None, Some(panic)));
        if let Some(panic) = payload_drop {
            let message = PAYLOAD_DROP_PANICKED.to_owned();
            self.call_exception_handler(&ExceptionContext::new(message, None, Some(panic)));
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.ready.is_closed()
    }

    /// This loop as `context.rs` keeps it.
    pub(crate) fn as_loop_ref(self: &Rc<Self>) -> LoopRef {
        LoopRef {
            queue: Rc::clone(&self.ready),
            scheduler: Rc::clone(self) as Rc<dyn Schedule>,
        }
    }
}

impl Schedule for LoopInner {
    fn call_soon(&self, callback: Rc<dyn Callback>) {
        self.push_callback(callback);
    }

    fn note_waiting_on(&self, task: TaskRc) {
        if let Some(current) = &*self.current.borrow() {
            current.header().local.waiting_on.set(Some(task));
        }
    }

    fn note_waiting(&self, waiting: Waiting) {
        // `try_`: a description is never worth a panic, should a future be polled while
        // the registry is in use (nothing does that today).
        if let Some(current) = &*self.current.borrow()
            && let Ok(mut tasks) = self.tasks.try_borrow_mut()
            && let Some(entry) = tasks.entry_mut(current)
        {
            entry.waiting = waiting;
            current.header().flags().set(Flag::WAITING_DESCRIBED, true);
        }
    }

    fn report(
        &self,
        message: String,
        task: Option<TaskRc>,
        panic: Option<Panic>,
        error: Option<String>,
    ) {
        let task = task.map(|task| TaskRef { task });
        let context = ExceptionContext::new(message, task, panic).with_error(error);
        self.call_exception_handler(&context);
    }

    fn current_task(&self) -> Option<TaskRc> {
        self.current.borrow().clone()
    }
}

/// asyncio-contextvars asks the loop which context the code running now belongs to, when
/// it entered none itself. A task step: the task's own (made and kept in the task when it
/// first sets a variable), so no step enters or leaves anything. A callback scheduled
/// from an empty context (one from a context with values runs inside `Context::run`, see
/// `in_context.rs`): a context of its own for this run only (`item_context`).
impl Scope for LoopInner {
    fn context(&self, create: bool) -> Option<Context> {
        if let Some(task) = &*self.current.borrow() {
            return task.header().context(create);
        }
        let mut context = self.item_context.take();
        if create && context.is_none() {
            context = Some(Context::new());
        }
        self.item_context.set(context.clone());
        context
    }
}

/// The panic of a scheduling call on a closed loop (asyncio's `_check_closed`), kept out
/// of line: `create_task`'s here, `call_soon`'s and the timers' in `event_loop.rs`.
#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn closed_loop() -> ! {
    panic!("{}", RunError::Closed)
}
