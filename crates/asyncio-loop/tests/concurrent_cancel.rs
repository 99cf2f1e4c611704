//! Cancelling the `ConcurrentFuture` of `LoopHandle::spawn` / `spawn_with` cancels the
//! task on the other loop, through its `call_soon_threadsafe` (CPython's `_chain_future`):
//! from a plain thread, from a task of another loop (dropping the awaited future, as a
//! cancelled `wrap_future` does), before the loop made the task, after it finished, and
//! racing the task's completion. Expected traces of tests/python/concurrent_cancel.py.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use asyncio_loop::{
    ConcurrentFuture, ConcurrentSetter, EventLoop, LoopHandle, TaskError, catch_cancelled,
    create_task, sleep,
};

/// A hang fails the test after this instead of stalling CI.
const HANG: Duration = Duration::from_secs(120);

/// A trace any thread appends to.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: impl Into<String>) {
        self.0.lock().unwrap().push(line.into());
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// Logs "`tag`: cancelled" if dropped before `finish`: how a Rust task hears its
/// cancellation (its future is dropped at its next step).
struct OnCancel {
    log: Log,
    tag: &'static str,
    finished: bool,
}

impl Drop for OnCancel {
    fn drop(&mut self) {
        if !self.finished {
            self.log.push(format!("{}: cancelled", self.tag));
        }
    }
}

/// Python's `worker(tag)`: logs its start, then sleeps for an hour; `started`, if given,
/// is set when it has started.
async fn worker(
    tag: &'static str,
    log: Log,
    started: Option<ConcurrentSetter<()>>,
) -> &'static str {
    log.push(format!("{tag}: started"));
    if let Some(started) = started {
        started.set_result(());
    }
    let mut guard = OnCancel {
        log,
        tag,
        finished: false,
    };
    sleep(Duration::from_secs(3600)).await;
    guard.finished = true;
    "finished"
}

/// Python's `ticks(n)`: logs `iteration i` and yields, `n` times.
async fn ticks(log: Log, n: usize) {
    for i in 0..n {
        log.push(format!("iteration {i}"));
        sleep(Duration::ZERO).await;
    }
}

/// Runs a loop on a thread of its own until `stop`; gives its handle.
fn loop_thread() -> (LoopHandle, std::thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let event_loop = EventLoop::new();
        tx.send(event_loop.handle()).unwrap();
        event_loop.run_forever().unwrap();
        event_loop.close().unwrap();
    });
    (rx.recv().unwrap(), thread)
}

/// Waits until every callback sent to `handle`'s loop before now has run, and the steps
/// they scheduled: a probe task spawned behind them has finished.
fn settle(handle: &LoopHandle) {
    let probe = handle.spawn(async { sleep(Duration::ZERO).await });
    assert!(probe.wait(HANG), "the loop hung");
}

#[test]
fn cancel_from_a_plain_thread_cancels_the_task_on_its_loop() {
    let (handle, thread) = loop_thread();
    let (log, trace) = (Log::default(), Log::default());
    let (has_started, started) = ConcurrentFuture::new();
    let future = handle.spawn(worker("task", log.clone(), Some(started)));
    assert!(has_started.wait(HANG), "the loop hung");
    trace.push(format!("cancel() -> {}", future.cancel()));
    trace.push(format!(
        "cancelled() -> {} done() -> {}",
        future.cancelled(),
        future.done()
    ));
    trace.push(format!("cancel() again -> {}", future.cancel()));
    assert_eq!(future.result(), Err(TaskError::Cancelled));
    trace.push("result() -> CancelledError");
    settle(&handle);
    handle.stop();
    thread.join().unwrap();
    assert_eq!(
        trace.take(),
        [
            "cancel() -> true",
            "cancelled() -> true done() -> true",
            "cancel() again -> true",
            "result() -> CancelledError",
        ]
    );
    assert_eq!(log.take(), ["task: started", "task: cancelled"]);
}

#[test]
fn cancelled_before_the_loop_runs_the_task_takes_one_step() {
    let event_loop = EventLoop::new();
    let log = Log::default();
    let future = event_loop
        .handle()
        .spawn(worker("early", log.clone(), None));
    log.push(format!("cancel() -> {}", future.cancel()));
    event_loop
        .run_until_complete(ticks(log.clone(), 3))
        .unwrap();
    // Python's trace, every line of loop B's one iteration later: a callback sent with
    // `call_soon_threadsafe` (the hand-off, then the cancel) waits in the injection queue
    // until the loop polls, behind the steps its own thread queued before (here the main
    // task's), where asyncio appends it to the ready queue at once. The facts are
    // asyncio's: the task is made, takes its first step, and is cancelled at its first
    // suspension.
    assert_eq!(
        log.take(),
        [
            "cancel() -> true",
            "iteration 0",
            "iteration 1",
            "early: started",
            "iteration 2",
            "early: cancelled",
        ]
    );
    assert!(event_loop.all_tasks().is_empty());
    assert_eq!(future.result(), Err(TaskError::Cancelled));
}

#[test]
fn cancel_after_completion_is_refused_and_the_result_stays() {
    let event_loop = EventLoop::new();
    let log = Log::default();
    let future = event_loop.handle().spawn(async { 42 });
    event_loop
        .run_until_complete(ticks(log.clone(), 2))
        .unwrap();
    assert!(!future.cancel());
    assert!(!future.cancelled());
    assert_eq!(future.result(), Ok(42));
    assert_eq!(log.take(), ["iteration 0", "iteration 1"]);
}

#[test]
fn a_task_swallowing_the_cancel_leaves_the_future_cancelled() {
    let event_loop = EventLoop::new();
    let log = Log::default();
    let task_log = log.clone();
    // `spawn_with`: a catch scope is not `Send`.
    let future = event_loop.handle().spawn_with(move || async move {
        task_log.push("stubborn: started");
        match catch_cancelled(sleep(Duration::from_secs(3600))).await {
            Ok(()) => "finished",
            Err(_) => {
                task_log.push("stubborn: cancelled");
                "swallowed"
            }
        }
    });
    event_loop
        .run_until_complete(ticks(log.clone(), 1))
        .unwrap();
    log.push(format!("cancel() -> {}", future.cancel()));
    event_loop
        .run_until_complete(ticks(log.clone(), 2))
        .unwrap();
    log.push(format!("cancelled() -> {}", future.cancelled()));
    // As Python's, but for the cancel's one iteration in the injection queue (see
    // `cancelled_before_the_loop_runs_the_task_takes_one_step`).
    assert_eq!(
        log.take(),
        [
            "iteration 0",
            "stubborn: started",
            "cancel() -> true",
            "iteration 0",
            "iteration 1",
            "stubborn: cancelled",
            "cancelled() -> true",
        ]
    );
    assert_eq!(future.result(), Err(TaskError::Cancelled));
}

/// A task of loop A awaits the future of a task on loop B and is cancelled: its future,
/// dropped, cancels the concurrent one, which cancels the task on B (asyncio: the
/// cancelled `wrap_future` cancels the concurrent future). `spawn` and `spawn_with`.
#[test]
fn the_awaiting_task_cancelled_on_another_loop_cancels_the_remote_task() {
    for with in [false, true] {
        let (handle, thread) = loop_thread();
        let (log, trace) = (Log::default(), Log::default());
        let a = EventLoop::new();
        let (remote_log, main_trace, remote) = (log.clone(), trace.clone(), handle.clone());
        a.run_until_complete(async move {
            let (has_started, started) = ConcurrentFuture::new();
            let future = if with {
                remote.spawn_with(move || worker("remote", remote_log, Some(started)))
            } else {
                remote.spawn(worker("remote", remote_log, Some(started)))
            };
            let observed = main_trace.clone();
            future.add_done_callback(move |f: &ConcurrentFuture<&str>| {
                observed.push(format!("concurrent cancelled() -> {}", f.cancelled()));
            });
            let waiter = create_task(future);
            // The waiter's first step, in which it starts awaiting. (Cancelled before it,
            // it never awaited: nothing is cancelled, as in asyncio, whose coroutine
            // would never have made its `wrap_future`.)
            sleep(Duration::ZERO).await;
            has_started.await.unwrap();
            waiter.cancel();
            if waiter.await == Err(TaskError::Cancelled) {
                main_trace.push("awaiter: cancelled");
            }
        })
        .unwrap();
        settle(&handle);
        handle.stop();
        thread.join().unwrap();
        assert_eq!(
            trace.take(),
            ["concurrent cancelled() -> true", "awaiter: cancelled"],
            "with {with}"
        );
        assert_eq!(
            log.take(),
            ["remote: started", "remote: cancelled"],
            "with {with}"
        );
    }
}

/// Dropped without ever being awaited, the future cancels nothing: the task runs on,
/// detached, as an unread `run_coroutine_threadsafe` future's does.
#[test]
fn dropping_it_unawaited_detaches_the_task() {
    let event_loop = EventLoop::new();
    let (future, setter) = ConcurrentFuture::new();
    drop(
        event_loop
            .handle()
            .spawn(async move { setter.set_result(7) }),
    );
    assert_eq!(event_loop.run_until_complete(future), Ok(Ok(7)));
}

/// The task on B completes while a plain thread cancels: exactly one outcome, and
/// whoever blocks on the future wakes (no lost wake-up), 1,000 times.
#[test]
fn completion_racing_a_cancel_from_a_thread_has_one_outcome() {
    let (handle, thread) = loop_thread();
    let (mut won_by_cancel, mut won_by_result) = (0, 0);
    for i in 0..1000_u32 {
        let future = Arc::new(handle.spawn(async move { i }));
        let canceller = {
            let future = Arc::clone(&future);
            std::thread::spawn(move || future.cancel())
        };
        assert!(future.wait(HANG), "lost wake-up at round {i}");
        let cancelled = canceller.join().unwrap();
        let future = Arc::into_inner(future).unwrap();
        assert_eq!(future.cancelled(), cancelled, "round {i}");
        match future.result() {
            Err(TaskError::Cancelled) if cancelled => won_by_cancel += 1,
            Ok(value) if !cancelled => {
                assert_eq!(value, i);
                won_by_result += 1;
            }
            other => panic!("round {i}: cancel() -> {cancelled} but {other:?}"),
        }
    }
    settle(&handle);
    handle.stop();
    thread.join().unwrap();
    assert_eq!(won_by_cancel + won_by_result, 1000);
}

/// The same race with the awaiting side on loop A: a task awaiting the future is
/// cancelled (dropping it cancels the future) while the task on B completes. Either the
/// awaiter got the value and the future is not cancelled, or the future is cancelled;
/// never both, and the loop never hangs.
#[test]
fn completion_racing_the_awaiters_cancel_from_another_loop_has_one_outcome() {
    let (handle, thread) = loop_thread();
    let a = EventLoop::new();
    let remote = handle.clone();
    a.run_until_complete(async move {
        for i in 0..1000_u32 {
            let future = remote.spawn(async move { i });
            // Its done callback, which runs after the wake-up, reports through a future
            // of its own, awaited below.
            let (seen, report) = ConcurrentFuture::new();
            future.add_done_callback(move |f: &ConcurrentFuture<u32>| {
                report.set_result(f.cancelled());
            });
            let waiter = create_task(future);
            // Vary where the cancel lands: before the first poll, or while it waits.
            if i % 2 == 1 {
                sleep(Duration::ZERO).await;
            }
            let refused = !waiter.cancel();
            let got = waiter.await;
            let cancelled = seen.await.unwrap();
            match got {
                Ok(Ok(value)) => {
                    assert!(refused, "round {i}: the waiter ended before the cancel");
                    assert_eq!(value, i);
                    assert!(!cancelled, "round {i}");
                }
                Err(TaskError::Cancelled) => {
                    assert!(!refused, "round {i}");
                }
                other => panic!("round {i}: {other:?}"),
            }
        }
    })
    .unwrap();
    settle(&handle);
    handle.stop();
    thread.join().unwrap();
}

/// Onto a closed loop, `spawn` does not panic the caller's thread (unlike `create_task`
/// on the loop's own): the future is cancelled at once.
#[test]
fn spawn_onto_a_closed_loop_gives_a_cancelled_future() {
    let event_loop = EventLoop::new();
    let handle = event_loop.handle();
    event_loop.close().unwrap();
    let (a, b) =
        std::thread::spawn(move || (handle.spawn(async { 1 }), handle.spawn_with(|| async { 2 })))
            .join()
            .unwrap();
    assert!(a.cancelled() && b.cancelled());
    assert!(a.cancel(), "cancelled already: true, as Python's");
    assert_eq!(
        (a.result(), b.result()),
        (Err(TaskError::Cancelled), Err(TaskError::Cancelled))
    );
}

/// A task of loop A cancels, explicitly, the future of a task running on loop B (on its
/// own thread): the task on B is cancelled, and A's later await of it is `Cancelled`.
#[test]
fn cancel_from_a_task_of_another_loop_cancels_the_task_on_its_loop() {
    let (handle, thread) = loop_thread();
    let log = Log::default();
    let (remote_log, remote) = (log.clone(), handle.clone());
    let a = EventLoop::new();
    let out = a
        .run_until_complete(async move {
            let (has_started, started) = ConcurrentFuture::new();
            let future = remote.spawn(worker("remote", remote_log, Some(started)));
            has_started.await.unwrap();
            assert!(future.cancel());
            future.await
        })
        .unwrap();
    assert_eq!(out, Err(TaskError::Cancelled));
    settle(&handle);
    handle.stop();
    thread.join().unwrap();
    assert_eq!(log.take(), ["remote: started", "remote: cancelled"]);
}

/// Regression: loop X, closed from a task of loop Y, drops its linked task while Y is the
/// running loop; that must not unlink a task of Y's (link numbers were per loop, so X's
/// first and Y's first were both 1, and Y's cancel was then lost).
#[test]
fn closing_another_loop_inside_a_run_keeps_this_loops_links() {
    let log = Log::default();
    let x = EventLoop::new();
    let x_future = x.handle().spawn(worker("x", log.clone(), None));
    x.run_until_complete(sleep(Duration::ZERO)).unwrap();
    let y = EventLoop::new();
    let (y_handle, probe) = (y.handle(), y.handle());
    let y_log = log.clone();
    y.run_until_complete(async move {
        let (has_started, started) = ConcurrentFuture::new();
        let y_future = y_handle.spawn(worker("y", y_log, Some(started)));
        has_started.await.unwrap();
        x.close().unwrap();
        assert!(y_future.cancel());
        // A probe sent after the cancel finishes after the cancelled step.
        probe.spawn(async {}).await.unwrap();
    })
    .unwrap();
    assert_eq!(x_future.result(), Err(TaskError::Cancelled));
    assert_eq!(
        log.take(),
        ["x: started", "y: started", "x: cancelled", "y: cancelled"]
    );
}
