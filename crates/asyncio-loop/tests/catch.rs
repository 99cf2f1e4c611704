//! Cancellation a coroutine catches (`catch_cancelled`, `reraise`, `finally`,
//! `cancel_with`, `cancelling`/`uncancel`). Each test's expected trace is what
//! `tests/python/catch_scopes.py` prints under CPython 3.11 for the scenario of the same
//! name; a ticker marks iteration boundaries.

mod common;

use std::future::Future;
use std::time::Duration;

use asyncio_loop::{
    CancelledError, EventLoop, Task, TaskError, catch_cancelled, create_task, sleep,
};
use common::{Log, start_ticker};

fn yield_now() -> asyncio_loop::Sleep {
    sleep(Duration::ZERO)
}

fn hour() -> asyncio_loop::Sleep {
    sleep(Duration::from_secs(3600))
}

fn args(error: &CancelledError) -> String {
    match error.message() {
        Some(message) => format!("('{message}',)"),
        None => "()".to_owned(),
    }
}

async fn swallow(log: Log) -> &'static str {
    if let Err(e) = catch_cancelled(hour()).await {
        log.push(format!("caught {}", args(&e)));
        yield_now().await;
        log.push("cleanup done");
    }
    "swallowed"
}

async fn reraise(log: Log) -> &'static str {
    if let Err(e) = catch_cancelled(hour()).await {
        log.push("caught");
        yield_now().await;
        log.push("cleanup done");
        return e.reraise().await;
    }
    "unreachable"
}

async fn nested(log: Log) -> &'static str {
    let inner_log = log.clone();
    let outer = catch_cancelled(async move {
        if let Err(e) = catch_cancelled(hour()).await {
            inner_log.push("inner caught");
            yield_now().await;
            e.reraise::<()>().await;
        }
    })
    .await;
    if outer.is_err() {
        log.push("outer caught");
        yield_now().await;
    }
    "outer swallowed"
}

async fn outer_awaits_inner(log: Log) -> &'static str {
    let inner_log = log.clone();
    let inner = create_task(asyncio_loop::finally(hour(), async move {
        inner_log.push("inner cleanup");
        yield_now().await;
        inner_log.push("inner cleanup done");
    }));
    let probe = inner.as_ref();
    match catch_cancelled(inner).await {
        Err(e) => {
            log.push(format!("outer caught; inner done {}", py(probe.done())));
            yield_now().await;
            e.reraise().await
        }
        Ok(_) => "inner finished",
    }
}

fn py(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

/// `scenario()` of catch_scopes.py: start the task, let it run `warm` iterations, cancel
/// it, await it, report.
fn scenario<F>(
    log: &Log,
    name: &str,
    body: impl FnOnce(Log) -> F,
    message: Option<&str>,
    warm: usize,
) where
    F: Future<Output = &'static str> + 'static,
{
    let event_loop = EventLoop::new();
    let log = log.clone();
    let name = name.to_owned();
    let message = message.map(str::to_owned);
    event_loop
        .run_until_complete(async move {
            log.push(format!("-- {name}"));
            let task: Task<&'static str> = create_task(body(log.clone()));
            for _ in 0..warm {
                yield_now().await;
            }
            start_ticker(&log, 5);
            let cancelled = match message {
                Some(message) => task.cancel_with(message),
                None => task.cancel(),
            };
            log.push(format!(
                "cancel {} cancelling {}",
                py(cancelled),
                task.cancelling()
            ));
            let probe = task.as_ref();
            match task.await {
                Ok(result) => log.push(format!("result {result}")),
                Err(TaskError::Cancelled) => log.push("awaiter: cancelled"),
                Err(e) => panic!("{e}"),
            }
            log.push(format!(
                "cancelled {} cancelling {}",
                py(probe.cancelled()),
                probe.cancelling()
            ));
            for _ in 0..6 {
                yield_now().await;
            }
        })
        .unwrap();
    event_loop.close().unwrap();
}

fn expect(log: &Log, expected: &str) {
    let expected: Vec<String> = expected.lines().map(|l| l.trim().to_owned()).collect();
    assert_eq!(log.lines(), expected);
}

#[test]
fn swallowed() {
    let log = Log::default();
    scenario(&log, "swallow", swallow, None, 1);
    expect(
        &log,
        "-- swallow
        cancel True cancelling 1
        iter 1
        caught ()
        iter 2
        cleanup done
        iter 3
        result swallowed
        cancelled False cancelling 1
        iter 4
        iter 5",
    );
}

#[test]
fn message() {
    let log = Log::default();
    scenario(&log, "message", swallow, Some("bye"), 1);
    expect(
        &log,
        "-- message
        cancel True cancelling 1
        iter 1
        caught ('bye',)
        iter 2
        cleanup done
        iter 3
        result swallowed
        cancelled False cancelling 1
        iter 4
        iter 5",
    );
}

#[test]
fn reraised() {
    let log = Log::default();
    scenario(&log, "reraise", reraise, None, 1);
    expect(
        &log,
        "-- reraise
        cancel True cancelling 1
        iter 1
        caught
        iter 2
        cleanup done
        iter 3
        awaiter: cancelled
        cancelled True cancelling 1
        iter 4
        iter 5",
    );
}

#[test]
fn nested_scopes() {
    let log = Log::default();
    scenario(&log, "nested", nested, None, 1);
    expect(
        &log,
        "-- nested
        cancel True cancelling 1
        iter 1
        inner caught
        iter 2
        outer caught
        iter 3
        iter 4
        result outer swallowed
        cancelled False cancelling 1
        iter 5",
    );
}

#[test]
fn outer_awaiting_an_inner_task_catches_after_the_inner_cleanup() {
    let log = Log::default();
    scenario(&log, "outer awaits inner", outer_awaits_inner, None, 2);
    expect(
        &log,
        "-- outer awaits inner
        cancel True cancelling 1
        iter 1
        inner cleanup
        iter 2
        inner cleanup done
        iter 3
        outer caught; inner done True
        iter 4
        iter 5
        awaiter: cancelled
        cancelled True cancelling 1",
    );
}

#[test]
fn cancelling_counts_requests_and_uncancel_takes_one_back() {
    let log = Log::default();
    EventLoop::new()
        .run_until_complete({
            let log = log.clone();
            async move {
                log.push("-- cancelling counts");
                let task = create_task(swallow(log.clone()));
                yield_now().await;
                let (a, b) = (task.cancel(), task.cancel());
                log.push(format!(
                    "{} {} cancelling {}",
                    py(a),
                    py(b),
                    task.cancelling()
                ));
                log.push(format!(
                    "uncancel {} cancelling {}",
                    task.uncancel(),
                    task.cancelling()
                ));
                let probe = task.as_ref();
                let result = task.await.unwrap();
                log.push(format!("result {result} cancelling {}", probe.cancelling()));
                log.push(format!("cancel done task {}", py(probe.cancel())));
            }
        })
        .unwrap();
    expect(
        &log,
        "-- cancelling counts
        True True cancelling 2
        uncancel 1 cancelling 1
        caught ()
        cleanup done
        result swallowed cancelling 1
        cancel done task False",
    );
}

async fn worker(log: Log, swallow_it: bool) -> &'static str {
    if let Err(e) = catch_cancelled(hour()).await {
        log.push("worker caught");
        yield_now().await;
        log.push("worker cleanup done");
        if !swallow_it {
            return e.reraise().await;
        }
    }
    "worker swallowed"
}

/// `run()` of timeout_cleanup.py: a 10 ms timeout around `aw`, then its outcome.
async fn run_timeout<F: Future>(
    log: &Log,
    name: &str,
    aw: F,
    show: impl FnOnce(F::Output) -> String,
) {
    log.push(format!("-- {name}"));
    match asyncio_loop::timeout(Duration::from_millis(10), aw).await {
        Ok(output) => log.push(format!("result {}", show(output))),
        Err(asyncio_loop::TimeoutError) => log.push("TimeoutError"),
    }
}

#[test]
fn timeout_waits_for_the_cleanup_of_what_it_cancels() {
    let log = Log::default();
    EventLoop::new()
        .run_until_complete({
            let log = log.clone();
            async move {
                for (name, swallow_it) in
                    [("coroutine reraises", false), ("coroutine swallows", true)]
                {
                    let aw = worker(log.clone(), swallow_it);
                    run_timeout(&log, name, aw, str::to_owned).await;
                }
                for (name, swallow_it) in [("task reraises", false), ("task swallows", true)] {
                    let task = create_task(worker(log.clone(), swallow_it));
                    let probe = task.as_ref();
                    run_timeout(&log, name, task, |out| out.unwrap().to_owned()).await;
                    log.push(format!(
                        "task done {} cancelled {}",
                        py(probe.done()),
                        py(probe.cancelled())
                    ));
                }
            }
        })
        .unwrap();
    expect(
        &log,
        "-- coroutine reraises
        worker caught
        worker cleanup done
        TimeoutError
        -- coroutine swallows
        worker caught
        worker cleanup done
        result worker swallowed
        -- task reraises
        worker caught
        worker cleanup done
        TimeoutError
        task done True cancelled True
        -- task swallows
        worker caught
        worker cleanup done
        result worker swallowed
        task done True cancelled False",
    );
}

#[test]
fn shutdown_waits_for_cleanup_and_reports_failures() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let handler_log = log.clone();
    event_loop.set_exception_handler(Some(move |context: &asyncio_loop::ExceptionContext| {
        let exception = match (context.panic(), context.error()) {
            (Some(panic), _) => format!("RuntimeError('{}')", panic.message()),
            (None, Some(error)) => error.to_owned(),
            (None, None) => "None".to_owned(),
        };
        handler_log.push(format!("handler: {} | {exception}", context.message()));
    }));
    event_loop
        .run_until_complete({
            let log = log.clone();
            async move {
                let polite = log.clone();
                drop(create_task(async move {
                    if let Err(e) = catch_cancelled(hour()).await {
                        polite.push("a caught");
                        yield_now().await;
                        polite.push("a cleanup done");
                        e.reraise::<()>().await;
                    }
                }));
                let rude = log.clone();
                drop(create_task(async move {
                    if catch_cancelled(hour()).await.is_err() {
                        rude.push("rude caught");
                        yield_now().await;
                        panic!("failed in cleanup");
                    }
                }));
                yield_now().await;
                log.push("main returns");
            }
        })
        .unwrap();
    event_loop.cancel_all_tasks();
    event_loop.close().unwrap();
    log.push("closed");
    let mut lines = log.lines();
    lines[1..3].sort();
    assert_eq!(
        lines,
        [
            "main returns",
            "a caught",
            "rude caught",
            "a cleanup done",
            "handler: unhandled exception during asyncio.run() shutdown | RuntimeError('failed in cleanup')",
            "closed",
        ]
    );
}

#[test]
fn an_err_of_a_try_task_is_an_exception_reported_unless_retrieved() {
    let event_loop = EventLoop::new();
    let reports = Log::default();
    let seen = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &asyncio_loop::ExceptionContext| {
        seen.push(format!("{} {:?}", context.message(), context.error()));
    }));
    event_loop
        .run_until_complete(async {
            let retrieved = asyncio_loop::create_try_task(async { Err::<u8, _>("kept") });
            let dropped = asyncio_loop::create_try_task(async { Err::<u8, _>("lost") });
            let fine = asyncio_loop::create_try_task(async { Ok::<u8, &str>(1) });
            let plain = create_task(async { Err::<u8, _>("a value") });
            yield_now().await;
            assert!(retrieved.as_ref().failed() && dropped.as_ref().failed());
            assert!(!fine.as_ref().failed() && !plain.as_ref().failed());
            assert_eq!(retrieved.await, Ok(Err("kept")));
            drop((dropped, fine, plain));
        })
        .unwrap();
    assert_eq!(
        reports.lines(),
        ["Task exception was never retrieved Some(\"\\\"lost\\\"\")"]
    );
}

/// Pinned to tests/python/await_future_cancel.py (CPython 3.11).
#[test]
fn cancelling_an_awaiter_cancels_the_awaited_future() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let fut = event_loop.create_future::<u8>();
    event_loop
        .run_until_complete({
            let log = log.clone();
            async move {
                let waiter = |name: &'static str| {
                    let (log, fut) = (log.clone(), fut.clone());
                    create_task(async move {
                        // A cancelled future's `Err(CancelledError)` is the same
                        // exception in asyncio as the task's own cancellation.
                        match catch_cancelled(fut).await {
                            Ok(Ok(_)) => log.push(format!("{name} got a result")),
                            Ok(Err(e)) | Err(e) => {
                                log.push(format!("{name} cancelled"));
                                e.reraise::<()>().await;
                            }
                        }
                    })
                };
                let (a, b) = (waiter("a"), waiter("b"));
                yield_now().await;
                a.cancel();
                let (pa, pb) = (a.as_ref(), b.as_ref());
                let _ = (a.await, b.await);
                log.push(format!(
                    "future cancelled {} a {} b {}",
                    py(fut.cancelled()),
                    py(pa.cancelled()),
                    py(pb.cancelled())
                ));
            }
        })
        .unwrap();
    expect(
        &log,
        "a cancelled
        b cancelled
        future cancelled True a True b True",
    );
}
