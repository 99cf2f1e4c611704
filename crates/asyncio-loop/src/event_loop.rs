//! The event loop: asyncio's `_run_once` iteration over a FIFO ready queue, the timers and
//! the poller, and the public [`EventLoop`] handle.
//!
//! One iteration (ASYNCIO_LOOP_MODEL.md): compute the timeout (zero when work is ready or
//! the loop is stopping, else until the next timer); poll (skipped when the timeout is zero
//! and no descriptor is registered) and drain the injection queue; pop every timer due;
//! then run exactly the items that are in the ready queue now. Task steps, callbacks, fired
//! timers and I/O callbacks are all ready-queue items, which is what keeps the order FIFO.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crate::error::RunError;
use crate::exception::{ExceptionContext, default_exception_handler};
use crate::future::Future;
use crate::handle::{Callback, CallbackCell, Handle, TimerHandle};
use crate::header::{Flag, Header, State};
use crate::io::Io;
use crate::raw::TaskRc;
use crate::registry::Registry;
use crate::remote::LoopHandle;
use crate::shared::{Injected, Shared, Sleep, WakeHook};
use crate::task::{Panic, Task, TaskRef};
use crate::timers::{TimerEntry, TimerId, Timers};

/// Default `slow_callback_duration`, as asyncio's.
const DEFAULT_SLOW_CALLBACK: Duration = Duration::from_millis(100);

/// Timers due by `now + CLOCK_RESOLUTION` fire in this iteration (asyncio's
/// `end_time = self.time() + self._clock_resolution`).
const CLOCK_RESOLUTION: Duration = Duration::from_nanos(1);

/// How long to poll for a timer `wait` away: rounded up to whole milliseconds, as
/// CPython's epoll selector does (`math.ceil(timeout * 1e3) * 1e-3`). Timers then fire in
/// batches, at most a millisecond late and still in exact deadline order, instead of one
/// wake-up per distinct microsecond deadline.
fn poll_timeout(wait: Duration) -> Duration {
    let millis = wait.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// The instant `time()` counts from: one for the process, so loops agree.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// One item of the ready queue.
pub(crate) enum Ready {
    /// A task's next step.
    Step(TaskRc),
    Callback(Rc<dyn Callback>),
    /// A fired `sleep`/`timeout` timer: wakes the task, whose step runs next iteration.
    Wake(Waker),
    /// The same for a timer set by the task that awaits it (the usual case): the task
    /// itself instead of a clone of its waker, so firing touches no waker count.
    WakeTask(TaskRc),
    /// A descriptor is ready for reading or writing.
    Io(IoReady),
    /// `stop()` as a callback: `run_until_complete`'s done callback, or a remote stop.
    Stop,
    /// A `call_soon_threadsafe` callback.
    Remote(Box<dyn FnOnce() + Send>),
}

/// Which descriptor is ready, and for what. Aligned like a pointer so that every payload
/// of [`Ready`] starts at the same aligned offset: with a `bool` right after the tag, moving
/// a `Ready` took overlapping unaligned copies that stalled on store forwarding, on every
/// item the loop runs.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub(crate) struct IoReady {
    fd: i32,
    writable: bool,
}

/// Whether a wake of the task behind `header` must queue a step: it is pending and not
/// queued already. Marks it queued.
fn claim_step(header: &Header) -> bool {
    !header.done() && !header.flags().replace(Flag::SCHEDULED, true)
}

/// The loop's exception handler.
type ExceptionHandler = Rc<dyn Fn(&ExceptionContext)>;

/// How `run_until_complete` steps its future in place.
pub(crate) type MainStep<'a> = Option<(NonNull<Header>, &'a mut dyn FnMut() -> bool)>;

/// The loop's state, owned through `Rc` by the [`EventLoop`] handles and the thread-local
/// running-loop slot. Tasks point back with `Weak`.
pub(crate) struct LoopInner {
    pub(crate) shared: Arc<Shared>,
    ready: RefCell<VecDeque<Ready>>,
    timers: RefCell<Timers>,
    pub(crate) tasks: RefCell<Registry>,
    pub(crate) io: RefCell<Io>,
    injected: RefCell<Vec<Injected>>,
    running: Cell<bool>,
    stopping: Cell<bool>,
    closed: Cell<bool>,
    /// The task whose step is running.
    pub(crate) current: RefCell<Option<TaskRc>>,
    debug: Cell<bool>,
    slow_callback: Cell<Duration>,
    handler: RefCell<Option<ExceptionHandler>>,
}

impl LoopInner {
    fn new() -> LoopInner {
        let shared = Shared::new().expect("new_event_loop: cannot create the poller");
        let debug = std::env::var_os("ASYNCIO_DEBUG").is_some_and(|v| !v.is_empty() && v != "0");
        LoopInner {
            shared: Arc::new(shared),
            ready: RefCell::new(VecDeque::new()),
            timers: RefCell::new(Timers::new()),
            tasks: RefCell::new(Registry::default()),
            io: RefCell::new(Io::default()),
            injected: RefCell::new(Vec::new()),
            running: Cell::new(false),
            stopping: Cell::new(false),
            closed: Cell::new(false),
            current: RefCell::new(None),
            debug: Cell::new(debug),
            slow_callback: Cell::new(DEFAULT_SLOW_CALLBACK),
            handler: RefCell::new(None),
        }
    }

    pub(crate) fn push_ready(&self, item: Ready) {
        self.ready.borrow_mut().push_back(item);
    }

    /// Queues the next step of `task`, unless it is queued already or done.
    pub(crate) fn schedule(&self, task: &TaskRc) {
        if claim_step(task.header()) {
            self.push_ready(Ready::Step(task.clone()));
        }
    }

    /// [`schedule`](Self::schedule) for a task known by a waker's pointer; nothing if the
    /// loop side has already let go of the task.
    ///
    /// # Safety
    ///
    /// `task` is a task of this loop, kept alive by a waker the caller holds, and this is
    /// the loop's thread (which `&self` of a `!Send` loop already says).
    pub(crate) unsafe fn schedule_woken(&self, task: NonNull<Header>) {
        // SAFETY: passed on from our caller.
        if let Some(task) = unsafe { TaskRc::from_waker(task) }
            && claim_step(task.header())
        {
            self.push_ready(Ready::Step(task));
        }
    }

    pub(crate) fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        let callback = CallbackCell::new_rc(f);
        if !self.closed.get() {
            self.push_ready(Ready::Callback(Rc::clone(&callback)));
        }
        Handle { callback }
    }

    pub(crate) fn insert_timer(&self, deadline: Instant, entry: TimerEntry) -> TimerId {
        self.timers.borrow_mut().insert(deadline, entry)
    }

    /// What a timer that must wake `waker` stores: the running task's key when `waker` is
    /// that task's own (no clone, and firing it needs no waker), else a clone of `waker`.
    pub(crate) fn wake_entry(&self, waker: &Waker) -> TimerEntry {
        if let Some(task) = &*self.current.borrow()
            && crate::waker::task_of(waker) == Some(task.as_ptr())
        {
            return TimerEntry::WakeTask(task.clone());
        }
        TimerEntry::Wake(waker.clone())
    }

    pub(crate) fn cancel_timer(&self, id: TimerId) {
        let removed = self.timers.borrow_mut().cancel(id);
        drop(removed);
    }

    pub(crate) fn timer_fired(&self, id: TimerId) -> bool {
        self.timers.borrow().has_fired(id)
    }

    pub(crate) fn spawn<F: std::future::Future + 'static>(
        self: &Rc<Self>,
        name: Option<String>,
        future: F,
    ) -> Task<F::Output> {
        let task = TaskRc::new(self, name, false, future);
        if self.closed.get() {
            // asyncio refuses with "Event loop is closed"; here the task is born cancelled
            // so the handle still answers honestly.
            task.abort();
        } else {
            self.tasks.borrow_mut().insert(task.clone());
            self.schedule(&task);
        }
        // SAFETY: `task` runs `future`, whose output is `F::Output`.
        unsafe { Task::from_raw(task) }
    }

    pub(crate) fn call_exception_handler(&self, context: &ExceptionContext) {
        let handler = self.handler.borrow().clone();
        match handler {
            Some(handler) => {
                // A panicking handler must not take the loop down.
                if catch_unwind(AssertUnwindSafe(|| handler(context))).is_err() {
                    default_exception_handler(context);
                }
            }
            None => default_exception_handler(context),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    fn check_can_run(&self) -> Result<(), RunError> {
        if self.closed.get() {
            return Err(RunError::Closed);
        }
        if self.running.get() {
            return Err(RunError::AlreadyRunning);
        }
        if crate::current::running_loop().is_some() {
            return Err(RunError::NestedRun);
        }
        Ok(())
    }

    /// One iteration. `max_wait` bounds the poll (`None`: until the next timer or wake).
    fn run_once(&self, main: &mut MainStep<'_>, max_wait: Option<Duration>) {
        // 1. How long the poll may block.
        let timeout = if !self.ready.borrow().is_empty() || self.stopping.get() {
            Some(Duration::ZERO)
        } else {
            let next = self.timers.borrow().next_deadline();
            let until_timer =
                next.map(|at| poll_timeout(at.saturating_duration_since(Instant::now())));
            match (until_timer, max_wait) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };

        // 2. I/O and work from other threads.
        self.poll(timeout);

        // 3. Timers due by now (+ the clock's resolution), in deadline order. With no
        // timer at all the clock is not even read.
        let end = if self.timers.borrow().is_empty() {
            None
        } else {
            Some(Instant::now() + CLOCK_RESOLUTION)
        };
        while let Some(end) = end {
            let entry = self.timers.borrow_mut().pop_expired(end);
            match entry {
                Some(TimerEntry::Callback(callback)) => {
                    callback.mark_fired();
                    if !callback.cancelled() {
                        self.push_ready(Ready::Callback(callback));
                    }
                }
                Some(TimerEntry::Wake(waker)) => self.push_ready(Ready::Wake(waker)),
                Some(TimerEntry::WakeTask(key)) => self.push_ready(Ready::WakeTask(key)),
                None => break,
            }
        }

        // 4. Exactly what is ready now; what they schedule waits for the next iteration.
        let count = self.ready.borrow().len();
        for _ in 0..count {
            let item = self.ready.borrow_mut().pop_front();
            let Some(item) = item else { break };
            if self.debug.get() {
                let started = Instant::now();
                let what = self.describe(&item, main);
                self.run_ready(item, main);
                let took = started.elapsed();
                if took >= self.slow_callback.get() {
                    let (description, task) = what;
                    let context = ExceptionContext::new(
                        format!(
                            "Executing {description} took {:.3} seconds",
                            took.as_secs_f64()
                        ),
                        task,
                        None,
                    );
                    self.call_exception_handler(&context);
                }
            } else {
                self.run_ready(item, main);
            }
        }
    }

    /// Waits in the poller for at most `timeout` and queues the ready descriptors.
    fn wait_in_poller(&self, timeout: Option<Duration>) {
        let mut io = self.io.borrow_mut();
        let waited = io.wait(&self.shared.poller, timeout);
        self.shared.awake();
        if let Err(error) = waited {
            drop(io);
            let context =
                ExceptionContext::new(format!("poll: waiting for I/O failed: {error}"), None, None);
            self.call_exception_handler(&context);
        } else {
            let mut ready = self.ready.borrow_mut();
            io.dispatch(|fd, writable| ready.push_back(Ready::Io(IoReady { fd, writable })));
        }
    }

    /// Blocks for at most `timeout` (in the poller if descriptors are registered, else
    /// parked: see `shared.rs`), then queues ready descriptors and injected work.
    fn poll(&self, timeout: Option<Duration>) {
        let has_io = !self.io.borrow().is_empty();
        let zero = timeout == Some(Duration::ZERO);
        if has_io {
            // Work injected since the loop last looked: look for descriptors, don't block.
            let timeout = if !zero && self.shared.prepare_sleep(Sleep::Poller) {
                Some(Duration::ZERO)
            } else {
                timeout
            };
            self.wait_in_poller(timeout);
        } else if !zero {
            if !self.shared.prepare_sleep(Sleep::Park) {
                self.shared.park(timeout);
            }
            self.shared.awake();
        }
        let mut injected = self.injected.take();
        self.shared.drain(&mut injected);
        for item in injected.drain(..) {
            match item {
                Injected::Wake(waker) => {
                    let task =
                        crate::waker::task_of(&waker).expect("only task wakers are injected");
                    // SAFETY: `waker` keeps the task alive; only its `Sync` part is read.
                    let wake = unsafe { &(*task.as_ptr()).wake };
                    wake.queued
                        .store(false, std::sync::atomic::Ordering::Release);
                    // SAFETY: a waker injected into this loop's queue is one of its tasks'
                    // (`waker.rs`), alive while `waker` is, and this is the loop's thread.
                    unsafe { self.schedule_woken(task) };
                }
                Injected::Call(f) => self.push_ready(Ready::Remote(f)),
                Injected::Stop => self.push_ready(Ready::Stop),
            }
        }
        *self.injected.borrow_mut() = injected;
    }

    fn describe(&self, item: &Ready, main: &MainStep<'_>) -> (String, Option<TaskRef>) {
        match item {
            Ready::Step(task) => {
                let _ = main;
                let task = TaskRef { task: task.clone() };
                (format!("{task:?}"), Some(task))
            }
            Ready::Callback(_) | Ready::Remote(_) => ("<Handle>".to_owned(), None),
            Ready::Wake(_) | Ready::WakeTask(_) => ("<TimerHandle sleep wake-up>".to_owned(), None),
            Ready::Io(IoReady { fd, writable }) => {
                let kind = if *writable { "writer" } else { "reader" };
                (format!("<Handle {kind} fd={fd}>"), None)
            }
            Ready::Stop => ("<Handle stop>".to_owned(), None),
        }
    }

    fn run_ready(&self, item: Ready, main: &mut MainStep<'_>) {
        match item {
            Ready::Step(task) => self.run_step(task, main),
            Ready::Callback(callback) => self.guarded("callback", || callback.run()),
            Ready::Wake(waker) => waker.wake(),
            Ready::WakeTask(task) => self.schedule(&task),
            Ready::Io(IoReady { fd, writable }) => {
                let callback = self.io.borrow().callback(fd, writable);
                if let Some(callback) = callback {
                    self.guarded("I/O callback", || (callback.borrow_mut())());
                }
            }
            Ready::Stop => self.stopping.set(true),
            Ready::Remote(f) => self.guarded("call_soon_threadsafe callback", f),
        }
    }

    /// Runs a callback, reporting a panic through the exception handler (asyncio's
    /// "Exception in callback ...") instead of unwinding through the loop.
    fn guarded(&self, what: &str, f: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
            let context = ExceptionContext::new(
                format!("Exception in {what}"),
                None,
                Some(Panic::from_payload(&*payload)),
            );
            self.call_exception_handler(&context);
        }
    }

    fn run_step(&self, task: TaskRc, main: &mut MainStep<'_>) {
        let header = task.header();
        header.flags().set(Flag::SCHEDULED, false);
        if header.done() {
            // Finished (or aborted) since the step was queued.
            return;
        }
        let waiting_on = header.local.waiting_on.take();
        drop(waiting_on);
        let previous = self.current.replace(Some(task.clone()));
        let finished = match main {
            Some((main_task, step)) if *main_task == task.as_ptr() => step(),
            _ => task.step(),
        };
        let stepped = std::mem::replace(&mut *self.current.borrow_mut(), previous);
        drop(stepped);
        if finished {
            self.finish(task);
        }
    }

    /// A task has ended: out of the registry, then its done actions in order.
    fn finish(&self, task: TaskRc) {
        let removed = self.tasks.borrow_mut().remove(&task);
        drop(removed);
        let task = TaskRef { task };
        let header = task.task.header();
        let waiting_on = header.local.waiting_on.take();
        drop(waiting_on);
        if header.flags().get(Flag::IS_MAIN) {
            // run_until_complete's done callback (added first): stop after this iteration's
            // successor has run, as asyncio's `_run_until_complete_cb`.
            self.push_ready(Ready::Stop);
        }
        let actions = header.take_done_actions();
        let event_loop = crate::current::loop_of(&header.wake.shared);
        actions.run(&task, event_loop.as_ref());
        if !header.flags().get(Flag::HANDLE_ALIVE) && header.unretrieved_panic() {
            crate::task::report_unretrieved(&task);
        }
    }

    /// Drops everything pending: callbacks, timers, injected work, descriptors, and every
    /// task's future (each marked cancelled). Borrows are released before anything user
    /// code owns is dropped, since those drops may call back into the loop.
    fn shutdown(&self) {
        self.closed.set(true);
        let injected = self.shared.close();
        drop(injected);
        let tasks = self.tasks.borrow_mut().drain();
        if self.debug.get() {
            for task in &tasks {
                if !task.header().done() {
                    let context = ExceptionContext::new(
                        "Task was destroyed but it is pending!".to_owned(),
                        Some(TaskRef { task: task.clone() }),
                        None,
                    );
                    self.call_exception_handler(&context);
                }
            }
        }
        for task in &tasks {
            task.abort();
            let awaiter = task.header().take_done_actions();
            drop(awaiter);
        }
        drop(tasks);
        // Callbacks and timers may own tasks or futures: keep emptying until quiet.
        loop {
            let ready = std::mem::take(&mut *self.ready.borrow_mut());
            let timers = std::mem::replace(&mut *self.timers.borrow_mut(), Timers::new());
            let io = std::mem::take(&mut *self.io.borrow_mut());
            if ready.is_empty() && timers.is_empty() && io.is_empty() {
                break;
            }
            io.close(&self.shared.poller);
            drop(ready);
            drop(timers);
        }
        let injected = self.shared.close();
        drop(injected);
    }
}

impl Drop for LoopInner {
    fn drop(&mut self) {
        crate::current::unregister_loop(&self.shared);
        if !self.closed.get() {
            self.shutdown();
        }
    }
}

/// Keeps the loop marked running (and this thread's running loop) for a run's duration,
/// and restores both even if the run unwinds.
struct Running<'a> {
    inner: &'a Rc<LoopInner>,
}

impl<'a> Running<'a> {
    fn enter(inner: &'a Rc<LoopInner>) -> Running<'a> {
        inner.running.set(true);
        crate::current::set_running(Some(Rc::clone(inner)));
        Running { inner }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.inner.running.set(false);
        self.inner.stopping.set(false);
        crate::current::set_running(None);
    }
}

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
        crate::current::register_loop(&inner);
        EventLoop { inner }
    }

    /// Runs the loop until `future` completes and returns its output.
    ///
    /// The future is wrapped as the main task (named `Task-N` like any task) and polled in
    /// place, so it needs no `'static`. As in asyncio, the loop returns after the iteration
    /// that follows the main task's completion, so other tasks ready then get their step.
    /// A panic in `future` is resumed from here once the loop is left consistent (not
    /// running). Errors: [`RunError::Closed`], [`RunError::AlreadyRunning`],
    /// [`RunError::NestedRun`], [`RunError::StoppedBeforeComplete`] (`stop()` was called
    /// first; the future is dropped), [`RunError::Cancelled`] (the main task was cancelled).
    pub fn run_until_complete<F: std::future::Future>(
        &self,
        future: F,
    ) -> Result<F::Output, RunError> {
        let inner = &self.inner;
        inner.check_can_run()?;
        let running = Running::enter(inner);

        // The main task's future lives in this frame (so it needs no `'static`) and is
        // polled by `step` below; the task's own stage is a placeholder never polled.
        let main = TaskRc::new(inner, None, true, std::future::pending::<()>());
        inner.tasks.borrow_mut().insert(main.clone());
        inner.schedule(&main);

        let mut slot = pin!(Some(future));
        let mut outcome: Option<std::thread::Result<F::Output>> = None;
        let mut step = || -> bool {
            let header = main.header();
            if header.flags().get(Flag::CANCEL_REQUESTED) {
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| slot.set(None))) {
                    outcome = Some(Err(payload));
                    header.set_state(State::Panicked);
                } else {
                    header.set_state(State::Cancelled);
                }
                return true;
            }
            // SAFETY: `main` keeps the task alive while this frame polls.
            let waker = unsafe { crate::waker::borrowed(main.as_ptr()) };
            let mut cx = Context::from_waker(&waker);
            let polled = catch_unwind(AssertUnwindSafe(|| match slot.as_mut().as_pin_mut() {
                Some(future) => future.poll(&mut cx),
                None => Poll::Pending,
            }));
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
        let mut main_step: MainStep<'_> = Some((main.as_ptr(), &mut step));
        loop {
            inner.run_once(&mut main_step, None);
            if inner.stopping.get() {
                break;
            }
        }
        let leftover = inner.tasks.borrow_mut().remove(&main);
        drop(leftover);
        let state = main.header().state();
        // A stopped run leaves the main task pending: it is over all the same, and a stray
        // wake of its waker must not queue it again.
        main.abort();
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
        inner.check_can_run()?;
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
        inner.check_can_run()?;
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
        if !self.inner.closed.get() {
            self.inner.shutdown();
        }
        Ok(())
    }

    /// Whether the loop is running.
    pub fn is_running(&self) -> bool {
        self.inner.running.get()
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.closed.get()
    }

    /// Schedules `f` to run in the next iteration, after what is already ready (FIFO).
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        self.inner.call_soon(f)
    }

    /// Schedules `f` to run `delay` from now.
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
        self.call_at(Instant::now() + delay, f)
    }

    /// Schedules `f` at `when`; timers with equal deadlines run in the order they were set.
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
        let callback = CallbackCell::new_rc(f);
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

    /// Seconds on the loop's monotonic clock (asyncio's `loop.time()`).
    pub fn time(&self) -> f64 {
        Instant::now().duration_since(epoch()).as_secs_f64()
    }

    /// The loop's clock as an `Instant`.
    pub fn now(&self) -> Instant {
        Instant::now()
    }

    /// Wraps `future` in a task named `Task-N`, scheduled for the next iteration (never run
    /// eagerly). Dropping the returned handle does not cancel it.
    pub fn create_task<F: std::future::Future + 'static>(&self, future: F) -> Task<F::Output> {
        self.inner.spawn(None, future)
    }

    /// [`create_task`](Self::create_task) with a name.
    pub fn create_task_named<F: std::future::Future + 'static>(
        &self,
        name: impl Into<String>,
        future: F,
    ) -> Task<F::Output> {
        self.inner.spawn(Some(name.into()), future)
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
    /// until all of them have finished. Panics they end with are reported as never
    /// retrieved (when nobody holds their handle). Does nothing on a running or closed loop.
    pub fn cancel_all_tasks(&self) {
        let tasks = self.all_tasks();
        if tasks.is_empty() || self.is_running() || self.is_closed() {
            return;
        }
        for task in &tasks {
            task.cancel();
        }
        let _ = self.run_until_complete(AllDone { tasks });
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

    /// A `Send + Sync` handle for other threads.
    pub fn handle(&self) -> LoopHandle {
        LoopHandle::new(Arc::clone(&self.inner.shared))
    }

    /// Sets a hook run (on the waking thread) when another thread wakes the loop: a host
    /// loop that sleeps between frames learns there is work for `run_once`.
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
