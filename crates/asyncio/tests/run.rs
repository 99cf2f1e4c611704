//! `run` and `Runner`: the output comes back, leftovers are cancelled and finish
//! cancelling, the loop's default pool is shut down (its jobs waited for), a second `run`
//! works, and `run` inside a running loop is a clear error.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asyncio::{EventLoopExt, RunError, Runner};
use common::{Log, OnDrop};

#[test]
fn run_returns_mains_output() {
    assert_eq!(asyncio::run(async { "out" }), Ok("out"));
}

#[test]
fn run_cancels_leftover_tasks_and_lets_their_cleanup_run() {
    let log = Log::default();
    asyncio::run({
        let log = log.clone();
        async move {
            asyncio::create_task(async move {
                let _cleanup = OnDrop(log.clone(), "leftover cleaned up");
                asyncio::sleep(Duration::from_secs(60)).await;
                log.borrow_mut().push("leftover finished");
            });
            asyncio::sleep(Duration::ZERO).await; // the leftover starts and sleeps
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["leftover cleaned up"]);
}

#[test]
fn run_shuts_the_default_pool_down_waiting_for_its_jobs() {
    let job_finished = Arc::new(AtomicBool::new(false));
    let pool = asyncio::run({
        let job_finished = job_finished.clone();
        async move {
            let event_loop = asyncio::get_running_loop().unwrap();
            let pool = event_loop.default_executor();
            // Started and never awaited: `run` must still wait for it at the end.
            let _job = asyncio::to_thread(move || {
                std::thread::sleep(Duration::from_millis(30));
                job_finished.store(true, Ordering::SeqCst);
            });
            pool
        }
    })
    .unwrap();
    assert!(
        job_finished.load(Ordering::SeqCst),
        "run waited for the pool's job"
    );
    assert!(pool.is_shut_down(), "the run's default pool is shut down");
}

#[test]
fn each_run_has_its_own_default_pool_so_a_second_run_works() {
    for _ in 0..2 {
        let out = asyncio::run(async { asyncio::to_thread(|| 21 * 2).await });
        assert_eq!(out.unwrap(), Ok(42));
    }
}

#[test]
fn run_inside_a_running_loop_fails_clearly_without_running_main() {
    let ran = Rc::new(Cell::new(false));
    let nested = asyncio::run({
        let ran = ran.clone();
        async move { asyncio::run(async move { ran.set(true) }) }
    })
    .unwrap();
    assert_eq!(nested, Err(RunError::NestedAsyncioRun));
    assert_eq!(
        nested.unwrap_err().to_string(),
        "asyncio.run() cannot be called from a running event loop"
    );
    assert!(!ran.get(), "the nested main never ran");
}

#[test]
// Returning a task out of one run on purpose: it must finish in the next run on the same loop.
#[allow(clippy::async_yields_async)]
fn a_runner_runs_several_coroutines_on_one_loop() {
    let runner = Runner::new();
    let first_loop = runner
        .run(async { asyncio::get_running_loop().unwrap() })
        .unwrap();
    let task = runner
        .run(async { asyncio::create_task(async { "carried over" }) })
        .unwrap();
    assert_eq!(
        runner.run(task).unwrap(),
        Ok("carried over"),
        "a task of one run finishes in the next"
    );
    let second_loop = runner
        .run(async { asyncio::get_running_loop().unwrap() })
        .unwrap();
    assert_eq!(first_loop, second_loop);
    assert!(!runner.get_loop().is_closed());
    runner.close();
    assert!(first_loop.is_closed(), "close closes the loop");
}

#[test]
fn a_runner_inside_a_running_loop_fails_clearly() {
    let out = asyncio::run(async {
        let runner = Runner::new();
        runner.run(async {})
    });
    let out = out.unwrap();
    assert_eq!(out, Err(RunError::NestedRunnerRun));
    assert_eq!(
        out.unwrap_err().to_string(),
        "Runner.run() cannot be called from a running event loop"
    );
}

#[test]
fn a_panic_in_main_propagates_and_the_next_run_works() {
    let caught = std::panic::catch_unwind(|| asyncio::run(async { panic!("main panicked") }));
    assert!(caught.is_err(), "the panic came out of run");
    assert!(
        asyncio::get_running_loop().is_err(),
        "no loop is left running"
    );
    assert_eq!(asyncio::run(async { 1 }), Ok(1));
}

#[test]
fn callbacks_main_left_queued_run_before_the_loop_closes() {
    // tests/python/run_leftover_callbacks.py
    let log = Log::default();
    let l = log.clone();
    asyncio::run(async move {
        let event_loop = asyncio::get_running_loop().unwrap();
        let (e, l2) = (event_loop.clone(), l.clone());
        asyncio::current_task()
            .unwrap()
            .add_done_callback(move |_| {
                e.call_soon(move || l2.borrow_mut().push("scheduled by main's done callback"));
            });
        let l2 = l.clone();
        event_loop.call_soon(move || l2.borrow_mut().push("scheduled in main's last step"));
        l.borrow_mut().push("main returns");
    })
    .unwrap();
    log.borrow_mut().push("after run");
    assert_eq!(
        *log.borrow(),
        [
            "main returns",
            "scheduled in main's last step",
            "scheduled by main's done callback",
            "after run"
        ]
    );
}
