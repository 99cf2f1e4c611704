//! Layer 3 (the iteration): one turn of the loop, CPython's `_run_once`, over the state in
//! `scheduler.rs`.
//!
//! One iteration (ASYNCIO_LOOP_MODEL.md): compute the timeout (zero when work is ready or
//! the loop is stopping, else until the next timer); poll (skipped when the timeout is zero
//! and no descriptor is registered) and drain the injection queue; pop every timer due;
//! then run exactly the items that are in the ready queue now. Task steps, callbacks, fired
//! timers and I/O callbacks are all ready-queue items, which is what keeps the order FIFO.

use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::done::run_done_actions;
use crate::exception::ExceptionContext;
use crate::flags::Flag;
use crate::header::{Header, TaskRc};
use crate::ready::{IoReady, Ready};
use crate::scheduler::LoopInner;
use crate::shared::{Injected, Sleep};
use crate::task::report_unretrieved;
use crate::task_ref::TaskRef;
use crate::timers::TimerEntry;
use crate::waiting::Waiting;
use crate::waker::task_of;

/// Timers due by `now + CLOCK_RESOLUTION` fire in this iteration (asyncio's
/// `end_time = self.time() + self._clock_resolution`).
const CLOCK_RESOLUTION: Duration = Duration::from_nanos(1);

/// The room the ready queue and the buffer of work from other threads keep after a burst
/// (items, not bytes: a few tens of KiB).
const KEEP_CAPACITY: usize = 1024;

/// How long an idle loop that just had work from another thread spins for more before it
/// sleeps (`Shared::spin_for_injection`). A hand-off's answer from a loop or pool thread
/// that is awake comes within a few microseconds; a sleeping loop's wake-up costs tens on
/// an idle vCPU, on both sides. Spent at most once per arrival of remote work: a loop that
/// spun in vain sleeps, and spins again only after the next arrival.
const SPIN_BUDGET: Duration = Duration::from_micros(SPIN_MICROS);

#[cfg(not(miri))]
const SPIN_MICROS: u64 = 25;
/// Under Miri a spin is only slow: its tests cover the handshake, not latency.
#[cfg(miri)]
const SPIN_MICROS: u64 = 0;

/// Whether spinning can help: with one CPU, a spinning loop only keeps the thread it
/// waits for off the CPU. Asked once per process.
fn spinning_helps() -> bool {
    static HELPS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HELPS.get_or_init(|| {
        SPIN_MICROS > 0 && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
    })
}

/// How long to poll for a timer `wait` away: rounded up to whole milliseconds, as
/// CPython's epoll selector does (`math.ceil(timeout * 1e3) * 1e-3`). Timers then fire in
/// batches, at most a millisecond late and still in exact deadline order, instead of one
/// wake-up per distinct microsecond deadline.
fn poll_timeout(wait: Duration) -> Duration {
    let millis = wait.as_nanos().div_ceil(1_000_000);
    Duration::from_millis(u64::try_from(millis).unwrap_or(u64::MAX))
}

/// How `run_until_complete` steps its future in place: the main task, and the step that
/// polls the future living in `run_until_complete`'s frame.
pub(crate) struct Main<'a> {
    pub(crate) task: NonNull<Header>,
    /// Polls the future; `true` once the main task is over.
    pub(crate) step: &'a mut dyn FnMut() -> bool,
    /// The future is one of asyncio's futures (a `Task`, a `Future`), on which asyncio adds
    /// its stop callback directly: the run stops at the end of the iteration whose step
    /// saw it done (the step runs the iteration after it completed, when it woke the main
    /// task, as asyncio's callback does), not one iteration later as for a coroutine, which
    /// asyncio wraps in a task first.
    pub(crate) stop_in_step: bool,
}

/// The main task of the running `run_until_complete`, if any.
pub(crate) type MainStep<'a> = Option<Main<'a>>;

impl LoopInner {
    /// One iteration. `max_wait` bounds the poll (`None`: until the next timer or wake).
    pub(crate) fn run_once(&self, main: &mut MainStep<'_>, max_wait: Option<Duration>) {
        // 1. How long the poll may block.
        let timeout = if !self.ready.is_empty() || self.stopping.get() {
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
        let count = self.ready.len();
        for _ in 0..count {
            let item = self.ready.pop();
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
        // 5. A burst (a million callbacks in one iteration) must not keep its room.
        if count > KEEP_CAPACITY {
            self.ready.shrink(KEEP_CAPACITY);
        }
    }

    /// Waits in the poller for at most `timeout`, queues the callbacks of ready
    /// descriptors and wakes the tasks waiting on ready sources (their steps join this
    /// iteration's ready items, after the callbacks).
    fn wait_in_poller(&self, timeout: Option<Duration>) {
        let Some(poller) = self.shared.existing_poller() else {
            // Nothing was ever registered, so nothing is now: `poll` does not call us.
            return;
        };
        let mut io = self.io.borrow_mut();
        let waited = io.wait(poller, timeout);
        self.shared.awake();
        if let Err(error) = waited {
            drop(io);
            let context =
                ExceptionContext::new(format!("poll: waiting for I/O failed: {error}"), None, None);
            self.call_exception_handler(&context);
            return;
        }
        let mut wakers = self.io_wakers.take();
        self.ready.with_items(|ready| {
            let mut push = |fd, writable| ready.push_back(Ready::Io(IoReady { fd, writable }));
            io.dispatch(&mut push, &mut wakers);
        });
        drop(io);
        // Nothing is borrowed now: a wake queues the task's step on this loop.
        for waker in wakers.drain(..) {
            waker.wake();
        }
        self.io_wakers.set(wakers);
    }

    /// Blocks for at most `timeout` (in the poller if descriptors are registered, else
    /// parked: see `shared.rs`), then queues ready descriptors and injected work.
    fn poll(&self, timeout: Option<Duration>) {
        let has_io = !self.io.borrow().is_empty();
        let mut zero = timeout == Some(Duration::ZERO);
        if !zero && self.spin_next.replace(false) && spinning_helps() {
            let budget = timeout.map_or(SPIN_BUDGET, |timeout| timeout.min(SPIN_BUDGET));
            // Work arrived while spinning: look for it (and for I/O) without sleeping.
            zero = self.shared.spin_for_injection(budget);
        }
        let timeout = if zero { Some(Duration::ZERO) } else { timeout };
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
        // Drained into the buffer in place: with nothing from other threads (nearly every
        // iteration) the buffer is neither moved out nor put back (wake: 391 -> 327
        // instructions, callgrind, `floors`).
        let mut injected = {
            let mut buffer = self.injected.borrow_mut();
            self.shared.drain(&mut buffer);
            if buffer.is_empty() {
                return;
            }
            std::mem::take(&mut *buffer)
        };
        self.spin_next.set(true);
        for item in injected.drain(..) {
            match item {
                Injected::Wake(waker) => {
                    let task = task_of(&waker).expect("only task wakers are injected");
                    // SAFETY: `waker` keeps the task alive; only its `Sync` part is read.
                    let wake = unsafe { &(*task.as_ptr()).wake };
                    // Before the step is queued: what a coalesced wake's thread wrote
                    // must be visible to it (see `clear_queued`).
                    wake.clear_queued();
                    // SAFETY: a waker injected into this loop's queue is one of its tasks'
                    // (`waker.rs`), alive while `waker` is, and this is the loop's thread.
                    unsafe { self.ready.schedule_woken(task) };
                }
                Injected::Call(f) => self.push_ready(Ready::Remote(f)),
                Injected::Stop => self.push_ready(Ready::Stop),
            }
        }
        // A burst from other threads must not keep its buffer: the queue and this one
        // swap at every drain, so both come back to this size.
        if injected.capacity() > KEEP_CAPACITY {
            injected.shrink_to(KEEP_CAPACITY);
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

    /// Runs one ready item. Whatever user code it reaches may panic, and not only in a
    /// callback: dropping a finished detached task's output (its last reference goes at
    /// the end of its step), a foreign waker woken by a timer or by a task's end, a done
    /// callback's closure dropped. Each is reported through the exception handler
    /// (asyncio's "Exception in callback ...") instead of unwinding through the loop,
    /// which would leave the iteration half done and a run's main task registered.
    fn run_ready(&self, item: Ready, main: &mut MainStep<'_>) {
        let what = match &item {
            Ready::Step(_) => "task step",
            Ready::Callback(_) => "callback",
            Ready::Wake(_) | Ready::WakeTask(_) => "timer callback",
            Ready::Io(_) => "I/O callback",
            Ready::Stop => "stop",
            Ready::Remote(_) => "call_soon_threadsafe callback",
        };
        self.guarded(what, || match item {
            Ready::Step(task) => self.run_step(task, main),
            Ready::Callback(callback) => {
                self.leave_item_context();
                callback.run();
            }
            Ready::Wake(waker) => waker.wake(),
            Ready::WakeTask(task) => self.schedule(&task),
            Ready::Io(IoReady { fd, writable }) => {
                self.leave_item_context();
                let callback = self.io.borrow().callback(fd, writable);
                if let Some(callback) = callback {
                    (callback.borrow_mut())();
                }
            }
            Ready::Stop => self.stopping.set(true),
            Ready::Remote(f) => {
                self.leave_item_context();
                f();
            }
        });
    }

    /// A callback starts with no context of its own (contextvars: the previous callback's,
    /// if it set a variable, is dropped here), before it runs rather than after, so that
    /// one that unwound cannot leave its context to the next.
    #[inline]
    fn leave_item_context(&self) {
        if let Some(context) = self.item_context.take() {
            drop(context);
        }
    }

    // Inline: every task step goes through here, and with two callers (`run_ready`,
    // `step_main_now`) the compiler stopped inlining it into `run_ready`, which cost about
    // 10% more instructions per yield (callgrind, `loop --case yield_100`).
    #[inline(always)]
    fn run_step(&self, task: TaskRc, main: &mut MainStep<'_>) {
        let header = task.header();
        header.flags().set(Flag::SCHEDULED, false);
        if header.done() {
            // Finished (or aborted) since the step was queued.
            return;
        }
        let waiting_on = header.local.waiting_on.take();
        drop(waiting_on);
        // One test for both: only a step after an await of a gather, a `Future`, a sleep,
        // a socket or a primitive has either.
        if header.flags().get(Flag::WAITING_ANY) {
            self.forget_waiting(&task);
        }
        let previous = self.current.replace(Some(task.clone()));
        let (finished, stop_in_step) = match main {
            Some(main) if main.task == task.as_ptr() => ((main.step)(), main.stop_in_step),
            _ => (task.step(), false),
        };
        let stepped = std::mem::replace(&mut *self.current.borrow_mut(), previous);
        drop(stepped);
        if finished {
            self.finish(task, stop_in_step);
        }
    }

    /// A step starts afresh: what the last one was suspended on is forgotten. Out of line,
    /// as `forget_waiting_target`.
    #[cold]
    #[inline(never)]
    fn forget_waiting(&self, task: &TaskRc) {
        let header = task.header();
        if header.flags().replace(Flag::WAITING_DESCRIBED, false)
            && let Ok(mut tasks) = self.tasks.try_borrow_mut()
            && let Some(entry) = tasks.entry_mut(task)
        {
            entry.waiting = Waiting::Unknown;
        }
        if header.flags().get(Flag::WAITING_TARGET) {
            forget_waiting_target(header);
        }
    }

    /// Runs the main task's first step now, before the run's first iteration:
    /// `run_until_complete` of one of asyncio's futures, which asyncio does not wrap in a
    /// task but adds its stop callback to at once. Done already, the run then stops after
    /// one iteration; pending, the future now holds the main task's wake-up, in the place
    /// among its done callbacks where asyncio's stop callback would be.
    pub(crate) fn step_main_now(&self, task: &TaskRc, main: &mut MainStep<'_>) {
        self.guarded("task step", || self.run_step(task.clone(), main));
    }

    /// A task has ended: out of the registry, then its done actions in order.
    /// `stop_in_step`: the main task of a run whose future is one of asyncio's.
    fn finish(&self, task: TaskRc, stop_in_step: bool) {
        let removed = self.tasks.borrow_mut().remove(&task);
        drop(removed);
        let task = TaskRef { task };
        let header = task.task.header();
        let waiting_on = header.local.waiting_on.take();
        drop(waiting_on);
        // A `WAITING_DESCRIBED` flag left set is harmless: its slot is gone with the task
        // from the registry, and a finished task never steps nor shows in a dump again.
        if header.flags().get(Flag::WAITING_TARGET) {
            forget_waiting_target(header);
        }
        if header.flags().get(Flag::IS_MAIN) {
            if stop_in_step {
                // asyncio's `_run_until_complete_cb` on the future itself has run: this
                // step is where it runs (see `Main::stop_in_step`).
                self.stopping.set(true);
            } else {
                // run_until_complete's done callback on its task wrapping a coroutine
                // (added first): stop after this iteration's successor has run, as
                // asyncio's `_run_until_complete_cb`.
                self.push_ready(Ready::Stop);
            }
        }
        run_done_actions(&task.task, Some(self));
        if !header.flags().get(Flag::HANDLE_ALIVE)
            && header.unretrieved_exception()
            && !self.cancelling_all.get()
        {
            report_unretrieved(&task.task);
        }
    }
}

/// A step starts afresh: what the last one was suspended on is forgotten. Out of line: only
/// a step after an await of a gather or a `Future` has one.
#[cold]
#[inline(never)]
fn forget_waiting_target(header: &Header) {
    drop(header.take_waiting_target());
}
