//! Layer 4 (the public surface): [`EventLoop`], the handle users hold, and its runs
//! (`run_until_complete`, `run_forever`, `run_once`). It drives the iteration of
//! `iteration.rs` over the state of `scheduler.rs`; descriptor methods are in `io.rs`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio_contextvars::{self as contextvars, capture};

use crate::callback::{Callback, CallbackCell};
use crate::cancelling::{cancel_after_poll, cancel_at_step};
use crate::context::register_loop;
use crate::error::RunError;
use crate::exception::ExceptionContext;
use crate::flags::{Flag, State};
use crate::future::Future;
use crate::handle::{Handle, TimerHandle};
use crate::header::TaskRc;
use crate::in_context::run_in;
use crate::iteration::{Main, MainStep};
use crate::raw::new_task;
use crate::remote::LoopHandle;
use crate::running::{Running, check_can_run};
use crate::scheduler::{ExceptionHandler, LoopInner, closed_loop, epoch};
use crate::shared::{LoopId, WakeHook};
use crate::task::{Task, report_exception};
use crate::task_ref::TaskRef;
use crate::timers::{TimerEntry, saturating_add};
use crate::waker::borrowed;

/// An asyncio event loop: one thread, FIFO callbacks and task steps, timers, I/O readiness.
///
/// `EventLoop` is a cheap handle (`Rc` inside, so `!Send`): clones name the same loop.
/// Other threads reach it through [`EventLoop::handle`].
///
/// ```
/// use std::time::Duration;
/// use asyncio_loop::{EventLoop, sleep};
///
/// let event_loop = EventLoop::new();
/// let answer = event_loop.run_until_complete(async {
///     sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, Ok(42));
/// event_loop.close().unwrap();
/// ```
#[derive(Clone)]
pub struct EventLoop {
    pub(crate) inner: Rc<LoopInner>,
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl EventLoop {
    /// A new loop, not running, not set as the thread's loop (asyncio's
    /// `new_event_loop()`). Debug mode starts on when `ASYNCIO_DEBUG` is set (not `0`).
    pub fn new() -> EventLoop {
        let inner = Rc::new(LoopInner::new());
        register_loop(&inner.shared, &inner.as_loop_ref());
        EventLoop { inner }
    }

    /// Runs the loop until `future` completes and returns its output.
    ///
    /// The future is wrapped as the main task (named `Task-N` like any task) and polled in
    /// place, so it needs no `'static`. As in asyncio, the loop returns after the iteration
    /// that follows the main task's completion, so other tasks ready then get their step.
    /// A [`Task`] or a [`Future`] given directly is, as in asyncio, not wrapped: the loop
    /// returns after the iteration that follows its completion, and after one iteration
    /// when it is done already.
    /// A panic in `future` is resumed from here once the loop is left consistent (not
    /// running). Errors: [`RunError::Closed`], [`RunError::AlreadyRunning`],
    /// [`RunError::NestedRun`], [`RunError::StoppedBeforeComplete`] (`stop()` was called
    /// first; the future is dropped), [`RunError::Cancelled`] (the main task was cancelled).
    ///
    /// The main task runs in a copy of the current context, as asyncio's
    /// `run_until_complete` wraps its coroutine in a task.
    #[track_caller]
    pub fn run_until_complete<F: std::future::Future>(
        &self,
        future: F,
    ) -> Result<F::Output, RunError> {
        self.run_main(capture(), future, Location::caller())
    }

    /// [`run_until_complete`](Self::run_until_complete) with the main task running in
    /// `context` (asyncio's `loop.run_until_complete(loop.create_task(coro, context=ctx))`):
    /// what it sets stays in `context`, as `asyncio.Runner` keeps one context for all its
    /// runs.
    #[track_caller]
    pub fn run_until_complete_with_context<F: std::future::Future>(
        &self,
        context: &contextvars::Context,
        future: F,
    ) -> Result<F::Output, RunError> {
        self.run_main(Some(context.clone()), future, Location::caller())
    }

    fn run_main<F: std::future::Future>(
        &self,
        context: Option<contextvars::Context>,
        future: F,
        created_at: &'static Location<'static>,
    ) -> Result<F::Output, RunError> {
        let inner = &self.inner;
        check_can_run(inner)?;
        let running = Running::enter(inner);

        // The main task's future lives in this frame (so it needs no `'static`) and is
        // polled by `step` below; the task's own stage is a placeholder never polled.
        let main_task = MainTask::register(inner, !is_asyncio_future::<F>(), context, created_at);
        let main = &main_task.task;

        let mut slot = pin!(Some(future));
        let mut outcome: Option<std::thread::Result<F::Output>> = None;
        let mut step = || -> bool {
            let header = main.header();
            let mut cancel = |slot: &mut Pin<&mut Option<F>>| {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| slot.set(None))) {
                    outcome = Some(Err(payload));
                    header.set_state(State::Panicked);
                } else {
                    header.set_state(State::Cancelled);
                }
                true
            };
            if cancel_at_step(header) {
                return cancel(&mut slot);
            }
            // SAFETY: `main` keeps the task alive while this frame polls.
            let waker = unsafe { borrowed(main.as_ptr()) };
            let mut cx = Context::from_waker(&waker);
            #[cfg(feature = "tracing")]
            let traced = header.local.trace.enter_step();
            let polled = catch_unwind(AssertUnwindSafe(|| match slot.as_mut().as_pin_mut() {
                Some(future) => future.poll(&mut cx),
                None => Poll::Pending,
            }));
            #[cfg(feature = "tracing")]
            drop(traced);
            let finished = matches!(polled, Ok(Poll::Ready(_)));
            if polled.is_ok() && cancel_after_poll(header, finished) {
                // asyncio's `_must_cancel` when it finished: the output goes with the future.
                drop(polled);
                return cancel(&mut slot);
            }
            match polled {
                Ok(Poll::Pending) => false,
                Ok(Poll::Ready(output)) => {
                    outcome = Some(Ok(output));
                    header.set_state(State::Finished);
                    true
                }
                Err(payload) => {
                    outcome = Some(Err(payload));
                    header.set_state(State::Panicked);
                    true
                }
            }
        };
        let direct = is_asyncio_future::<F>();
        let mut main_step: MainStep<'_> = Some(Main {
            task: main.as_ptr(),
            step: &mut step,
            stop_in_step: direct,
        });
        if direct {
            inner.step_main_now(main, &mut main_step);
        }
        loop {
            inner.run_once(&mut main_step, None);
            if inner.stopping.get() {
                break;
            }
        }
        let state = main.header().state();
        #[cfg(feature = "tracing")]
        main.header().trace_done();
        drop(main_task);
        // The future (if unfinished) is dropped while the loop still counts as running, so
        // its `Drop` may use the loop (cancel timers, tasks).
        slot.set(None);
        drop(running);
        match outcome {
            Some(Ok(output)) => Ok(output),
            Some(Err(payload)) => std::panic::resume_unwind(payload),
            None if state == State::Cancelled => Err(RunError::Cancelled),
            None => Err(RunError::StoppedBeforeComplete),
        }
    }

    /// Runs the loop until [`stop`](Self::stop) is called.
    pub fn run_forever(&self) -> Result<(), RunError> {
        let inner = &self.inner;
        check_can_run(inner)?;
        let _running = Running::enter(inner);
        loop {
            inner.run_once(&mut None, None);
            if inner.stopping.get() {
                return Ok(());
            }
        }
    }

    /// Makes a running loop return after the current iteration; makes the next
    /// `run_forever()` run exactly one iteration (with a zero timeout).
    pub fn stop(&self) {
        self.inner.stopping.set(true);
    }

    /// Runs exactly one iteration without blocking (asyncio's `stop(); run_forever()`):
    /// for a host program that steps the loop from its own frame loop.
    pub fn run_once(&self) -> Result<(), RunError> {
        self.run_once_timeout(Duration::ZERO)
    }

    /// Runs exactly one iteration, waiting at most `max_wait` for a timer, a descriptor or
    /// a wake if nothing is ready.
    pub fn run_once_timeout(&self, max_wait: Duration) -> Result<(), RunError> {
        let inner = &self.inner;
        check_can_run(inner)?;
        let _running = Running::enter(inner);
        inner.run_once(&mut None, Some(max_wait));
        Ok(())
    }

    /// Closes the loop: drops pending callbacks, timers and tasks (their futures are dropped
    /// here, on this thread). Idempotent; an error while the loop runs.
    pub fn close(&self) -> Result<(), RunError> {
        if self.inner.running.get() {
            return Err(RunError::CloseRunning);
        }
        if !self.inner.is_closed() {
            self.inner.shutdown();
        }
        Ok(())
    }

    /// The loop's identity: unique in the process, never reused, and the same as its
    /// [`LoopHandle`]'s on any thread.
    pub fn id(&self) -> LoopId {
        self.inner.shared.id()
    }

    /// Whether the loop is running.
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Schedules `f` to run in the next iteration, after what is already ready (FIFO). It
    /// runs in a copy of the current context (asyncio-contextvars), as asyncio's callbacks.
    ///
    /// # Panics
    ///
    /// On a closed loop, with asyncio's `RuntimeError` message, "Event loop is closed": the
    /// callback could never run. A panic rather than a `Result`, as for every scheduling
    /// call on the loop's own thread (`call_later`, `call_at`): it is the caller's mistake
    /// (the loop's thread knows whether it closed its loop), and a `Result` would make every
    /// correct `call_soon` unwrap. [`LoopHandle::call_soon_threadsafe`] returns
    /// `Err(RunError::Closed)` instead: another thread cannot know, without a race, that
    /// the loop is still open.
    #[track_caller]
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        self.check_closed();
        let callback = match capture() {
            None => self.inner.call_soon(f),
            Some(context) => self.inner.call_soon(move || run_in(&context, f)),
        };
        Handle { callback }
    }

    /// [`call_soon`](Self::call_soon) running `f` in `context` itself (asyncio's
    /// `call_soon(f, context=ctx)`): what `f` sets stays in `context`. If `context` is
    /// entered when `f` is due (by a `Context::run` around the loop's run), `f` does not
    /// run and the loop reports asyncio's `RuntimeError` ("cannot enter context").
    ///
    /// # Panics
    ///
    /// On a closed loop, as [`call_soon`](Self::call_soon).
    #[track_caller]
    pub fn call_soon_with_context(
        &self,
        context: &contextvars::Context,
        f: impl FnOnce() + 'static,
    ) -> Handle {
        self.check_closed();
        let context = context.clone();
        Handle {
            callback: self.inner.call_soon(move || run_in(&context, f)),
        }
    }

    /// Schedules `f` to run `delay` from now. A delay past what `Instant` can hold
    /// (`Duration::MAX`) is "never": the callback waits at the latest instant there is
    /// (its handle's [`when`](TimerHandle::when)) until cancelled or the loop closes. It
    /// runs in a copy of the current context, as [`call_soon`](Self::call_soon)'s.
    ///
    /// # Panics
    ///
    /// On a closed loop, with asyncio's message, "Event loop is closed" (see
    /// [`call_soon`](Self::call_soon)).
    #[track_caller]
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
        self.call_at(saturating_add(Instant::now(), delay), f)
    }

    /// [`call_later`](Self::call_later) running `f` in `context` itself
    /// ([`call_soon_with_context`](Self::call_soon_with_context)).
    pub fn call_later_with_context(
        &self,
        delay: Duration,
        context: &contextvars::Context,
        f: impl FnOnce() + 'static,
    ) -> TimerHandle {
        self.call_at_with_context(saturating_add(Instant::now(), delay), context, f)
    }

    /// Schedules `f` at `when`; timers with equal deadlines run in the order they were set.
    /// It runs in a copy of the current context, as [`call_soon`](Self::call_soon)'s.
    ///
    /// # Panics
    ///
    /// On a closed loop, with asyncio's message, "Event loop is closed" (see
    /// [`call_soon`](Self::call_soon)).
    #[track_caller]
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
        self.check_closed();
        match capture() {
            None => self.arm(when, CallbackCell::new_rc(f)),
            Some(context) => self.arm(when, CallbackCell::new_rc(move || run_in(&context, f))),
        }
    }

    /// [`call_at`](Self::call_at) running `f` in `context` itself
    /// ([`call_soon_with_context`](Self::call_soon_with_context)).
    ///
    /// # Panics
    ///
    /// On a closed loop, as [`call_at`](Self::call_at).
    #[track_caller]
    pub fn call_at_with_context(
        &self,
        when: Instant,
        context: &contextvars::Context,
        f: impl FnOnce() + 'static,
    ) -> TimerHandle {
        self.check_closed();
        let context = context.clone();
        self.arm(when, CallbackCell::new_rc(move || run_in(&context, f)))
    }

    /// Arms a timer that queues `callback` at `when`.
    fn arm(&self, when: Instant, callback: Rc<dyn Callback>) -> TimerHandle {
        let timer = self
            .inner
            .insert_timer(when, TimerEntry::Callback(Rc::clone(&callback)));
        TimerHandle {
            callback,
            when,
            timer,
            event_loop: Rc::downgrade(&self.inner),
        }
    }

    /// asyncio's `_check_closed`: the scheduling calls' panic on a closed loop.
    #[track_caller]
    fn check_closed(&self) {
        if self.is_closed() {
            closed_loop();
        }
    }

    /// Seconds on the loop's monotonic clock (asyncio's `loop.time()`).
    pub fn time(&self) -> f64 {
        Instant::now().duration_since(epoch()).as_secs_f64()
    }

    /// The loop's clock as an `Instant`.
    pub fn now(&self) -> Instant {
        Instant::now()
    }

    /// Wraps `future` in a task named `Task-N`, scheduled for the next iteration (never run
    /// eagerly). Dropping the returned handle does not cancel it. The task runs in a copy
    /// of the current context (asyncio-contextvars), taken now.
    ///
    /// # Panics
    ///
    /// On a closed loop, with asyncio's `RuntimeError` message, "Event loop is closed", as
    /// [`call_soon`](Self::call_soon) (asyncio's `Task.__init__` calls it); `future` is
    /// dropped unpolled. The same for every `create_task_*` here and the free functions.
    /// [`LoopHandle::spawn`](crate::LoopHandle::spawn) onto a closed loop does not panic:
    /// its `ConcurrentFuture` is cancelled.
    #[track_caller]
    pub fn create_task<F: std::future::Future + 'static>(&self, future: F) -> Task<F::Output> {
        self.inner.spawn(None, future)
    }

    /// [`create_task`](Self::create_task) with a name.
    #[track_caller]
    pub fn create_task_named<F: std::future::Future + 'static>(
        &self,
        name: impl Into<String>,
        future: F,
    ) -> Task<F::Output> {
        self.inner.spawn(Some(name.into()), future)
    }

    /// [`create_task`](Self::create_task) running in `context` itself rather than a copy
    /// of the current one (asyncio's `create_task(coro, context=ctx)`): what the task sets
    /// stays in `context`, where whoever holds it sees it.
    #[track_caller]
    pub fn create_task_with_context<F: std::future::Future + 'static>(
        &self,
        context: &contextvars::Context,
        future: F,
    ) -> Task<F::Output> {
        self.inner
            .spawn_in(Some(context.clone()), None, future, Location::caller())
    }

    /// [`create_task`](Self::create_task) recording `created_at` as the line that made
    /// the task, for spawners that make tasks on their caller's behalf from inside a
    /// closure, where `#[track_caller]` does not reach (the facade's `gather`, say: its
    /// children show the user's `gather` line in a [`dump`](Self::dump)). Pass
    /// [`Location::caller()`] taken in a `#[track_caller]` function.
    ///
    /// ```
    /// use asyncio_loop::{EventLoop, create_task};
    /// use std::panic::Location;
    ///
    /// let event_loop = EventLoop::new();
    /// let here = Location::caller();
    /// let task = event_loop.create_task_at(async {}, here);
    /// let dump = event_loop.dump();
    /// assert_eq!(dump.get(task.as_ref().id()).unwrap().created_at, Some(here));
    /// event_loop.run_until_complete(task).unwrap().unwrap();
    /// ```
    pub fn create_task_at<F: std::future::Future + 'static>(
        &self,
        future: F,
        created_at: &'static Location<'static>,
    ) -> Task<F::Output> {
        self.inner.spawn_in(capture(), None, future, created_at)
    }

    /// A settable future bound to this loop (asyncio's `loop.create_future()`).
    pub fn create_future<T: 'static>(&self) -> Future<T> {
        Future::new(Rc::downgrade(&self.inner))
    }

    /// Every pending task of this loop (the main task of `run_until_complete` included).
    pub fn all_tasks(&self) -> Vec<TaskRef> {
        self.inner
            .tasks
            .borrow()
            .iter()
            .filter(|task| !task.header().done())
            .map(|task| TaskRef { task: task.clone() })
            .collect()
    }

    /// asyncio's `runners._cancel_all_tasks`: cancels every pending task and runs the loop
    /// until all of them have finished, their catch scopes' cleanup included. A task that
    /// failed meanwhile (a panic, or the `Err` of a
    /// [`create_try_task`](crate::create_try_task) task) is reported as "unhandled
    /// exception during asyncio.run() shutdown". Does nothing on a running or closed loop.
    pub fn cancel_all_tasks(&self) {
        let tasks = self.all_tasks();
        if tasks.is_empty() || self.is_running() || self.is_closed() {
            return;
        }
        for task in &tasks {
            task.cancel();
        }
        self.inner.cancelling_all.set(true);
        let _ = self.run_until_complete(AllDone {
            tasks: tasks.clone(),
        });
        self.inner.cancelling_all.set(false);
        for task in tasks {
            let header = task.task.header();
            if header.unretrieved_exception() {
                header.flags().set(Flag::RETRIEVED, true);
                let message = "unhandled exception during asyncio.run() shutdown".to_owned();
                report_exception(&task.task, message);
            }
        }
    }

    /// Turns debug mode on or off (slow steps and pending tasks at close are reported).
    pub fn set_debug(&self, on: bool) {
        self.inner.debug.set(on);
    }

    /// Whether debug mode is on.
    pub fn get_debug(&self) -> bool {
        self.inner.debug.get()
    }

    /// In debug mode, callbacks and task steps taking at least this long are reported
    /// (default 100 ms).
    pub fn set_slow_callback_duration(&self, duration: Duration) {
        self.inner.slow_callback.set(duration);
    }

    /// Sets the handler for the loop's reports (`None`: the default, one line on stderr).
    pub fn set_exception_handler(&self, handler: Option<impl Fn(&ExceptionContext) + 'static>) {
        *self.inner.handler.borrow_mut() = handler.map(|h| Rc::new(h) as ExceptionHandler);
    }

    /// Calls the exception handler with `context` (asyncio's `call_exception_handler`).
    pub fn call_exception_handler(&self, context: &ExceptionContext) {
        self.inner.call_exception_handler(context);
    }

    /// Keeps `value` with the loop until it closes, when it is dropped (on the loop's
    /// thread, after the tasks and callbacks); one value per type, so a second replaces
    /// the first, which is returned. For crates that attach state to a loop without a
    /// table of their own that would keep the loop alive: the facade keeps the loop's
    /// default executor here. `Err` gives `value` back when the loop is closed.
    ///
    /// ```
    /// let event_loop = asyncio_loop::EventLoop::new();
    /// assert!(event_loop.set_extension(7_u32).unwrap().is_none());
    /// assert_eq!(event_loop.set_extension(8_u32).unwrap(), Some(7));
    /// assert_eq!(event_loop.with_extension(|n: &u32| *n + 1), Some(9));
    /// assert_eq!(event_loop.take_extension::<u32>(), Some(8));
    /// assert_eq!(event_loop.take_extension::<u32>(), None);
    /// ```
    pub fn set_extension<T: 'static>(&self, value: T) -> Result<Option<T>, T> {
        if self.is_closed() {
            return Err(value);
        }
        let previous = self.take_extension::<T>();
        self.inner.extensions.borrow_mut().push(Box::new(value));
        Ok(previous)
    }

    /// Runs `f` with the loop's value of type `T`, if it has one. `f` must not reach the
    /// loop's extensions again.
    pub fn with_extension<T: 'static, R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        let extensions = self.inner.extensions.borrow();
        extensions
            .iter()
            .find_map(|value| value.downcast_ref::<T>())
            .map(f)
    }

    /// Takes the loop's value of type `T` out, if it has one.
    pub fn take_extension<T: 'static>(&self) -> Option<T> {
        let mut extensions = self.inner.extensions.borrow_mut();
        let at = extensions.iter().position(|value| value.is::<T>())?;
        let value = extensions.swap_remove(at);
        drop(extensions);
        value.downcast::<T>().ok().map(|value| *value)
    }

    /// A `Send + Sync` handle for other threads.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(Arc::clone(&self.inner.shared))
    }

    /// Sets a hook run (on the waking thread) when another thread wakes the loop: a host
    /// loop that sleeps between frames learns there is work for `run_once`. It runs for
    /// the first wake after each iteration (a burst of wakes in between runs it once). A
    /// panic in it is reported on stderr and goes no further: the waking thread's call
    /// (`call_soon_threadsafe`, a waker's `wake`) has done its work already.
    pub fn set_wake_hook(&self, hook: Option<impl Fn() + Send + Sync + 'static>) {
        self.inner
            .shared
            .set_hook(hook.map(|h| Arc::new(h) as WakeHook));
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<EventLoop running={} closed={} debug={}>",
            py_bool(self.is_running()),
            py_bool(self.is_closed()),
            py_bool(self.get_debug())
        )
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

impl PartialEq for EventLoop {
    fn eq(&self, other: &EventLoop) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for EventLoop {}

/// By [`id`](EventLoop::id), as its equality (one loop, one id).
impl Hash for EventLoop {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

/// The main task of a `run_until_complete`, registered (and its first step queued) for the
/// run's duration. Dropping it takes the task out of the registry and aborts it, on every
/// way out of the run, an unwind included: left registered, it would stay a pending
/// `Task-N` in `all_tasks()`, and cancelling it would end a later, unrelated run (a main
/// task's end queues a `stop`).
struct MainTask<'a> {
    inner: &'a LoopInner,
    task: TaskRc,
}

impl<'a> MainTask<'a> {
    /// `schedule`: queue its first step (a coroutine's), rather than running it at once
    /// (one of asyncio's futures: see `LoopInner::step_main_now`). `context`: the one its
    /// steps run in (contextvars).
    fn register(
        inner: &'a LoopInner,
        schedule: bool,
        context: Option<contextvars::Context>,
        created_at: &'static Location<'static>,
    ) -> MainTask<'a> {
        let task = new_task(&inner.shared, None, true, std::future::pending::<()>());
        if let Some(context) = context {
            task.header().set_context(context);
        }
        inner.tasks.borrow_mut().insert(task.clone(), created_at);
        if schedule {
            inner.schedule(&task);
        }
        MainTask { inner, task }
    }
}

/// Whether `F` is one of asyncio's futures, a [`Task`] or a [`Future`] (or a `&mut` to
/// one), which `run_until_complete` runs as asyncio runs a future it is given (its stop
/// callback added to the future itself) rather than as a coroutine (wrapped in a task,
/// one iteration more).
///
/// Rust has no specialization, so the type is recognised by its name: the prefix of
/// `Task<()>`'s and `Future<()>`'s names, as the compiler spells them in this build. Only
/// a type of this crate has it; a compiler that spelled names without their paths would
/// let other types called `Task<..>` or `Future<..>` in, costing them one iteration, and
/// the ordering test `run_until_complete_of_a_future` would say so. An `async` block
/// awaiting a task stays a coroutine, as in asyncio.
fn is_asyncio_future<F: ?Sized>() -> bool {
    fn generic_prefix(of_unit: &'static str) -> &'static str {
        of_unit.strip_suffix("()>").unwrap_or(of_unit)
    }
    let name = std::any::type_name::<F>();
    let name = name.strip_prefix("&mut ").unwrap_or(name);
    [
        generic_prefix(std::any::type_name::<Task<()>>()),
        generic_prefix(std::any::type_name::<Future<()>>()),
    ]
    .iter()
    .any(|prefix| name.starts_with(prefix))
}

impl Drop for MainTask<'_> {
    fn drop(&mut self) {
        let leftover = self.inner.tasks.borrow_mut().remove(&self.task);
        drop(leftover);
        // A stopped run leaves the main task pending: it is over all the same, and a stray
        // wake of its waker must not queue it again.
        self.task.abort();
    }
}

/// Resolves when every task in `tasks` is done (`cancel_all_tasks`).
struct AllDone {
    tasks: Vec<TaskRef>,
}

impl std::future::Future for AllDone {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        while let Some(task) = self.tasks.last() {
            if task.done() {
                self.tasks.pop();
            } else {
                task.wake_when_done(cx.waker());
                return Poll::Pending;
            }
        }
        Poll::Ready(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asyncio_futures_are_recognised_by_their_type_alone() {
        assert!(is_asyncio_future::<Task<u8>>());
        assert!(is_asyncio_future::<Task<Vec<String>>>());
        assert!(is_asyncio_future::<Future<&str>>());
        assert!(is_asyncio_future::<&mut Task<u8>>());
        assert!(!is_asyncio_future::<std::future::Ready<Task<u8>>>());
        assert!(!is_asyncio_future::<crate::ConcurrentFuture<u8>>());
        assert!(!is_asyncio_future::<crate::Shield<u8>>());
        fn name_of<F>(_: &F) -> bool {
            is_asyncio_future::<F>()
        }
        let coroutine = async { 1 };
        assert!(!name_of(&coroutine), "an async block is a coroutine");
    }
}
