//! [`LoopSet`] and [`run_per_core`]: n threads, each running its own loop with
//! [`run`](crate::run)'s semantics, for programs that outgrow one core. asyncio's answer
//! to more cores is one loop per thread (or per process); this is that, with the
//! start-up, the hand-off between loops ([`Loops`]) and the shutdown done once. How it is
//! built: docs/architecture.md, "A loop per core".

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use asyncio_loop::{RunError, TaskRef, catch_cancelled, current_task, get_running_loop};
use asyncio_sync::{Event, Queue};

use crate::loops::Loops;
use crate::per_core_error::{LoopPanic, LoopSetError};
use crate::run::{Runner, run};

/// `n` loops, one per thread, each running its own main: the builder of a run on several
/// cores.
///
/// - Every loop runs `main(index, loops)` as its main task; the outputs come back in
///   index order. `loops` reaches every loop of the set, to hand work over.
/// - A loop whose main has returned stays open for hand-offs until every main has, so
///   work handed to it still runs.
/// - When one main fails (panics, or its run ends with a `RunError`), the other mains are
///   cancelled, as a `TaskGroup` cancels its other children, and the error names the loop
///   ([`LoopSetError`](crate::LoopSetError)).
/// - Each loop is then cleaned up as [`run`](crate::run) does (its pending tasks cancelled
///   and their cleanup run, async generators closed, its default pool joined), on its own
///   thread, before `run` returns.
/// - Ctrl-C: the calling thread waits in a small loop of its own run by
///   [`run`](crate::run), so its SIGINT handling applies (main thread, default
///   disposition): the first SIGINT cancels every loop's main, a second stops every loop.
///
/// ```
/// let squares = asyncio::LoopSet::new(3)
///     .thread_name("worker")
///     .run(|index, _loops| async move {
///         asyncio::sleep(std::time::Duration::from_millis(1)).await;
///         index * index
///     });
/// assert_eq!(squares.unwrap(), [0, 1, 4]);
/// ```
#[derive(Clone, Debug)]
pub struct LoopSet {
    loops: usize,
    pin: bool,
    thread_name: String,
}

impl LoopSet {
    /// A set of `loops` loops (at least one: 0 is taken as 1).
    pub fn new(loops: usize) -> LoopSet {
        LoopSet {
            loops: loops.max(1),
            pin: false,
            thread_name: "asyncio-loop".to_owned(),
        }
    }

    /// One loop per core this process may use (`std::thread::available_parallelism`).
    pub fn per_core() -> LoopSet {
        LoopSet::new(available_cores())
    }

    /// Pins loop `i`'s thread to the `i % cores`-th of the CPUs this process may use
    /// (Linux's `sched_setaffinity`; [`allowed_cpus`](crate::allowed_cpus)), so each loop
    /// keeps its core and its caches. Best effort: where pinning fails (a CPU the
    /// process may not use, or not Linux) the loop runs unpinned. Off by default: pinned
    /// loops suffer more from other work on their core than free ones.
    pub fn pin_to_cores(mut self, on: bool) -> LoopSet {
        self.pin = on;
        self
    }

    /// The name of the loops' threads: `"{name}-{index}"` (default `asyncio-loop`).
    pub fn thread_name(mut self, name: impl Into<String>) -> LoopSet {
        self.thread_name = name.into();
        self
    }

    /// How many loops it runs.
    pub fn len(&self) -> usize {
        self.loops
    }

    /// Always false: a set has at least one loop.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Runs `main(index, loops)` on every loop, each on its own thread and as that loop's
    /// main task, and returns every main's output in index order once all loops are
    /// cleaned up. `loops` reaches every loop of the set, to hand work over
    /// ([`Loops::spawn`]). The first failure cancels the other mains and is returned
    /// naming its loop; Ctrl-C cancels every main ([`LoopSetError::Interrupted`]). The
    /// calling thread blocks (it runs a loop of its own that waits), so this cannot be
    /// called inside a running loop ([`LoopSetError::Nested`]).
    pub fn run<M, F>(&self, main: M) -> Result<Vec<F::Output>, LoopSetError>
    where
        M: Fn(usize, Loops) -> F + Sync,
        F: Future,
        F::Output: Send,
    {
        if get_running_loop().is_ok() {
            return Err(LoopSetError::Nested);
        }
        let n = self.loops;
        // Where pinning is asked for: the CPUs this process may use (not always 0..n).
        let cpus = if self.pin {
            asyncio_loop::allowed_cpus().unwrap_or_default()
        } else {
            Vec::new()
        };
        // Each worker says once when its main has returned, or its run failed, through a
        // queue the coordinating loop awaits (asyncio_sync's queues work across threads);
        // the loops stay open for hand-offs until every main is done (`finished`).
        let ended: Queue<(usize, bool)> = Queue::new(0);
        let finished = Event::new();
        let (handles_tx, handles_rx) = mpsc::channel();
        std::thread::scope(|scope| {
            let mut workers = Vec::with_capacity(n);
            let mut loops_txs = Vec::with_capacity(n);
            for index in 0..n {
                let (loops_tx, loops_rx) = mpsc::channel::<Loops>();
                let handles_tx = handles_tx.clone();
                let ended = ended.clone();
                let (main, finished) = (&main, &finished);
                let pin = (!cpus.is_empty()).then(|| cpus[index % cpus.len()]);
                let spawned = std::thread::Builder::new()
                    .name(format!("{}-{index}", self.thread_name))
                    .spawn_scoped(scope, move || {
                        let reported = Cell::new(false);
                        let report = |failed: bool| {
                            if !reported.replace(true) {
                                let _ = ended.put_nowait((index, failed));
                            }
                        };
                        let set = Set {
                            index,
                            main,
                            finished,
                            report: &report,
                        };
                        let outcome = worker(set, pin, handles_tx, loops_rx);
                        // A main that returned has reported; any other end is a failure.
                        report(true);
                        outcome
                    });
                match spawned {
                    Ok(worker) => {
                        workers.push(worker);
                        loops_txs.push(loops_tx);
                    }
                    // The workers started wait for the set: dropping the senders tells
                    // them it will not come, and they end without running their mains.
                    Err(error) => return Err(LoopSetError::Spawn(error)),
                }
            }
            drop(handles_tx);
            let mut handles: Vec<_> = handles_rx.iter().take(n).collect();
            handles.sort_by_key(|(index, _)| *index);
            let loops = Loops::new(handles.into_iter().map(|(_, handle)| handle).collect());
            // A worker that died making its loop sent no handle: then no main starts
            // (the senders drop unused), and its panic is the error.
            if loops.len() == n {
                for loops_tx in loops_txs {
                    let _ = loops_tx.send(loops.clone());
                }
            } else {
                drop(loops_txs);
            }
            let watch = coordinate(n, &ended, &finished, &loops);
            let outcomes: Vec<_> = workers
                .into_iter()
                .map(|worker| worker.join().unwrap_or_else(Outcome::Panicked))
                .collect();
            collect(outcomes, watch)
        })
    }
}

/// What the coordinating loop saw.
struct Watch {
    /// The loop that failed first, if one did.
    first_failure: Option<usize>,
    /// Whether Ctrl-C cancelled the mains.
    interrupted: bool,
}

/// Waits on the calling thread, in a loop of its own (so `run`'s Ctrl-C handling applies),
/// for every worker's run to end; cancels every main at the first failure or SIGINT, and
/// stops every loop at a second SIGINT.
fn coordinate(n: usize, ended: &Queue<(usize, bool)>, finished: &Event, loops: &Loops) -> Watch {
    let interrupted = Cell::new(false);
    let first_failure = Cell::new(None);
    let cancel_all = || {
        for index in 0..loops.len() {
            let _ = loops.handle(index).call_soon_threadsafe(cancel_main);
        }
    };
    let waited = run(async {
        let mut remaining = n;
        while remaining > 0 {
            match catch_cancelled(ended.get()).await {
                Ok(Ok((index, failed))) => {
                    remaining -= 1;
                    if failed && first_failure.get().is_none() && !interrupted.get() {
                        first_failure.set(Some(index));
                        cancel_all();
                    }
                }
                // The queue is never shut down.
                Ok(Err(_)) => return,
                // The first Ctrl-C: `run`'s handling cancelled this task.
                Err(_cancelled) => {
                    interrupted.set(true);
                    cancel_all();
                }
            }
        }
    });
    // Every main is done: the loops may close (also after a second Ctrl-C, which the
    // stop below makes moot).
    finished.set();
    if waited == Err(RunError::Interrupted) {
        // A second Ctrl-C stopped this loop: stop the others too (each then cleans up).
        interrupted.set(true);
        for index in 0..loops.len() {
            loops.handle(index).stop();
        }
    }
    Watch {
        first_failure: first_failure.get(),
        interrupted: interrupted.get(),
    }
}

/// How a worker's run ended.
enum Outcome<T> {
    /// Its run returned (the main's output, or the run's error).
    Done(Result<T, RunError>),
    /// Its main panicked (the loop was cleaned up as the panic unwound through its runner).
    Panicked(Box<dyn Any + Send>),
    /// The set never started (another thread could not be spawned).
    NotStarted,
}

/// What a worker shares with the set.
struct Set<'a, M> {
    index: usize,
    main: &'a M,
    /// Set when every main is done.
    finished: &'a Event,
    /// Reports the main's end (`true`: failed) once.
    report: &'a dyn Fn(bool),
}

/// One loop's thread: its loop made, its handle sent, the set received, its main run;
/// then the loop stays open for hand-offs until every main is done.
fn worker<M, F>(
    set: Set<'_, M>,
    pin: Option<usize>,
    handles_tx: mpsc::Sender<(usize, asyncio_loop::LoopHandle)>,
    loops_rx: mpsc::Receiver<Loops>,
) -> Outcome<F::Output>
where
    M: Fn(usize, Loops) -> F,
    F: Future,
{
    if let Some(cpu) = pin {
        // Best effort, as `pin_to_cores` says.
        let _ = asyncio_loop::pin_current_thread(cpu);
    }
    let index = set.index;
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let runner = Runner::new();
        let _ = handles_tx.send((index, runner.get_loop().handle()));
        drop(handles_tx);
        let Ok(loops) = loops_rx.recv() else {
            return None;
        };
        let output = runner.run(async {
            register_main();
            let output = (set.main)(index, loops).await;
            (set.report)(false);
            // A cancel now (another loop failed, Ctrl-C) must not lose the output.
            let _ = catch_cancelled(set.finished.wait()).await;
            output
        });
        // Cleans up as `asyncio::run` does; in a panic, the runner's drop does it.
        runner.close();
        Some(output)
    }));
    MAIN.with(|slot| *slot.borrow_mut() = MainSlot::default());
    match caught {
        Ok(Some(output)) => Outcome::Done(output),
        Ok(None) => Outcome::NotStarted,
        Err(payload) => Outcome::Panicked(payload),
    }
}

/// The outputs in index order, or the error the run reports.
fn collect<T>(outcomes: Vec<Outcome<T>>, watch: Watch) -> Result<Vec<T>, LoopSetError> {
    // As `run`: after Ctrl-C, the outputs if every main swallowed its cancellation.
    let all_returned = outcomes
        .iter()
        .all(|outcome| matches!(outcome, Outcome::Done(Ok(_))));
    if watch.interrupted && !all_returned {
        return Err(LoopSetError::Interrupted);
    }
    let mut outcomes: Vec<Option<Outcome<T>>> = outcomes.into_iter().map(Some).collect();
    // The first to fail is the cause; the others' cancellations are its consequence.
    let failed = watch.first_failure.into_iter().chain(0..outcomes.len());
    for index in failed {
        match outcomes[index].take() {
            Some(Outcome::Panicked(payload)) => {
                let panic = LoopPanic::new(payload);
                return Err(LoopSetError::Panicked { index, panic });
            }
            Some(Outcome::Done(Err(error))) => return Err(LoopSetError::Failed { index, error }),
            // A loop that never started its main is not a cause: the loop whose start-up
            // failed is, and reports its own panic.
            other => outcomes[index] = other,
        }
    }
    if outcomes
        .iter()
        .any(|outcome| matches!(outcome, Some(Outcome::NotStarted)))
    {
        let error = io::Error::other("a loop's thread did not start");
        return Err(LoopSetError::Spawn(error));
    }
    Ok(outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Some(Outcome::Done(Ok(output))) => output,
            _ => unreachable!("every failure returned above"),
        })
        .collect())
}

/// This thread's loop's main task, for a cancel sent from the coordinating thread.
#[derive(Default)]
struct MainSlot {
    task: Option<TaskRef>,
    /// A cancel that came before the main task's first step.
    cancel_requested: bool,
}

thread_local! {
    static MAIN: RefCell<MainSlot> = RefCell::default();
}

/// Notes the running task as the thread's main (its first step), cancelling it at once
/// if a cancel came first.
fn register_main() {
    let Some(task) = current_task() else { return };
    let cancel = MAIN.with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.task = Some(task.clone());
        slot.cancel_requested
    });
    if cancel {
        task.cancel();
    }
}

/// Cancels the thread's main task (a callback sent with `call_soon_threadsafe`).
fn cancel_main() {
    let task = MAIN.with(|slot| {
        let mut slot = slot.borrow_mut();
        slot.cancel_requested = true;
        slot.task.clone()
    });
    if let Some(task) = task {
        task.cancel();
    }
}

/// How many cores this process may use (1 if the OS will not say).
pub(crate) fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// [`LoopSet::new(n).run(main)`](LoopSet::run): `main(index, loops)` on each of `n`
/// loops, one per thread; every output, in index order.
///
/// ```
/// let out = asyncio::run_per_core(2, |index, loops| async move {
///     format!("loop {index} of {}", loops.len())
/// });
/// assert_eq!(out.unwrap(), ["loop 0 of 2", "loop 1 of 2"]);
/// ```
pub fn run_per_core<M, F>(n: usize, main: M) -> Result<Vec<F::Output>, LoopSetError>
where
    M: Fn(usize, Loops) -> F + Sync,
    F: Future,
    F::Output: Send,
{
    LoopSet::new(n).run(main)
}

#[cfg(test)]
mod tests {
    use super::*;
    use asyncio_loop::{EventLoop, sleep};
    use std::time::Duration;

    #[test]
    fn a_cancel_that_comes_before_the_main_starts_is_not_lost() {
        // The coordinator's cancel can run on a loop before its main's first step.
        cancel_main();
        let out = EventLoop::new().run_until_complete(async {
            register_main();
            sleep(Duration::from_millis(1)).await;
            "slept"
        });
        assert_eq!(out, Err(RunError::Cancelled));
        MAIN.with(|slot| *slot.borrow_mut() = MainSlot::default());
    }

    #[test]
    fn a_cancel_reaches_the_registered_main() {
        let event_loop = EventLoop::new();
        let out = event_loop.run_until_complete(async {
            register_main();
            // As the coordinator's `call_soon_threadsafe(cancel_main)` would.
            get_running_loop().unwrap().call_soon(cancel_main);
            sleep(Duration::from_secs(3600)).await;
            "slept"
        });
        assert_eq!(out, Err(RunError::Cancelled));
        MAIN.with(|slot| *slot.borrow_mut() = MainSlot::default());
    }
}
