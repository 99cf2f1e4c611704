//! `gather!`, `gather`, `gather_tasks`, `try_gather`, `gather_return_exceptions`: argument
//! order, concurrency, failures, cancellation, and the loop iteration a gather completes in.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use asyncio::{GatherError, TaskError};

type Log = Rc<RefCell<Vec<String>>>;

async fn after(log: Log, name: &'static str, ms: u64) -> &'static str {
    asyncio::sleep(Duration::from_millis(ms)).await;
    log.borrow_mut().push(name.to_string());
    name
}

#[test]
fn results_come_in_argument_order_not_completion_order() {
    let log = Log::default();
    let results = asyncio::run({
        let log = log.clone();
        async move {
            asyncio::gather([
                after(log.clone(), "slow", 30),
                after(log.clone(), "fast", 1),
                after(log, "mid", 15),
            ])
            .await
        }
    })
    .unwrap()
    .unwrap();
    assert_eq!(results, ["slow", "fast", "mid"]);
    assert_eq!(
        *log.borrow(),
        ["fast", "mid", "slow"],
        "they ran concurrently"
    );
}

#[test]
fn gather_macro_gives_a_tuple_of_mixed_types() {
    let out = asyncio::run(async {
        asyncio::gather!(async { 1u8 }, async { "two" }, async { 3.0f64 }).await
    });
    assert_eq!(out.unwrap().unwrap(), (1u8, "two", 3.0f64));
}

#[test]
fn children_start_in_argument_order_in_the_next_iteration() {
    let log = Log::default();
    asyncio::run({
        let log = log.clone();
        async move {
            let step = |name: &'static str| {
                let log = log.clone();
                async move {
                    log.borrow_mut().push(format!("{name}1"));
                    asyncio::sleep(Duration::ZERO).await;
                    log.borrow_mut().push(format!("{name}2"));
                }
            };
            let gather = asyncio::gather!(step("a"), step("b"), step("c"));
            log.borrow_mut().push("gather made".to_string());
            gather.await.unwrap();
        }
    })
    .unwrap();
    assert_eq!(
        *log.borrow(),
        ["gather made", "a1", "b1", "c1", "a2", "b2", "c2"]
    );
}

#[test]
fn an_empty_gather_is_ready_at_once() {
    let out = asyncio::run(async { asyncio::gather(Vec::<std::future::Ready<u8>>::new()).await });
    assert_eq!(out.unwrap().unwrap(), Vec::<u8>::new());
}

#[test]
fn awaiting_a_gather_resumes_as_in_cpython() {
    // tests/python/gather_timing.py: CPython resumes `await gather(t)` in frame 5.
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let frame = Rc::new(Cell::new(0));
    let resumed = Rc::new(Cell::new(None));
    let (f, r) = (frame.clone(), resumed.clone());
    let _main = event_loop.create_task(async move {
        let child = asyncio::create_task(asyncio::sleep(Duration::ZERO));
        asyncio::gather_tasks([child]).await.unwrap();
        r.set(Some(f.get()));
    });
    for n in 1..=7 {
        frame.set(n);
        event_loop.run_once().unwrap();
    }
    assert_eq!(resumed.get(), Some(5));
    asyncio::set_event_loop(None);
    event_loop.close().unwrap();
}

#[test]
fn a_panicking_child_ends_the_gather_with_its_error_and_siblings_go_on() {
    let log = Log::default();
    let out = asyncio::run({
        let log = log.clone();
        async move {
            let out = asyncio::gather!(after(log.clone(), "sibling", 20), async {
                asyncio::sleep(Duration::from_millis(1)).await;
                panic!("child failed")
            })
            .await;
            let seen_at_failure = log.borrow().len();
            asyncio::sleep(Duration::from_millis(40)).await;
            (out.map(|_| ()), seen_at_failure)
        }
    })
    .unwrap();
    match out.0 {
        Err(TaskError::Panicked(p)) => assert_eq!(p.message(), "child failed"),
        other => panic!("expected the child's panic, got {other:?}"),
    }
    assert_eq!(out.1, 0, "the gather returned before the sibling finished");
    assert_eq!(*log.borrow(), ["sibling"], "the sibling kept running");
}

#[test]
fn try_gather_returns_the_first_err_at_once_and_siblings_keep_running() {
    let log = Log::default();
    let (out, seen_at_failure) = asyncio::run({
        let log = log.clone();
        async move {
            let child = |name: &'static str, ms: u64, ok: bool| {
                let log = log.clone();
                async move {
                    after(log, name, ms).await;
                    if ok {
                        Ok(name)
                    } else {
                        Err(format!("{name} failed"))
                    }
                }
            };
            let out = asyncio::try_gather([
                child("slow", 30, true),
                child("bad", 5, false),
                child("ok", 1, true),
            ])
            .await;
            let seen = log.borrow().clone();
            asyncio::sleep(Duration::from_millis(50)).await;
            (out, seen)
        }
    })
    .unwrap();
    assert_eq!(out, Err(GatherError::Failed("bad failed".to_string())));
    assert_eq!(
        seen_at_failure,
        ["ok", "bad"],
        "returned as soon as `bad` failed"
    );
    assert_eq!(
        *log.borrow(),
        ["ok", "bad", "slow"],
        "`slow` was not cancelled"
    );
}

#[test]
fn try_gather_gives_every_ok_in_order() {
    async fn ok(x: i32) -> Result<i32, ()> {
        Ok(x)
    }
    let out = asyncio::run(async { asyncio::try_gather([ok(1), ok(2)]).await });
    assert_eq!(out.unwrap(), Ok(vec![1, 2]));
}

#[test]
fn return_exceptions_keeps_every_outcome_in_place() {
    let out = asyncio::run(async {
        let ok = asyncio::create_task(async { 1 });
        let boom = asyncio::create_task(async {
            if true {
                panic!("boom");
            }
            2
        });
        let cancelled = asyncio::create_task(sleep_then(Duration::from_secs(60), 3));
        cancelled.cancel();
        asyncio::gather_return_exceptions([await_task(ok), await_task(boom), await_task(cancelled)])
            .await
    })
    .unwrap();
    assert_eq!(out[0], Ok(Ok(1)));
    assert!(matches!(&out[1], Ok(Err(TaskError::Panicked(p))) if p.message() == "boom"));
    assert_eq!(out[2], Ok(Err(TaskError::Cancelled)));
}

/// A future that awaits `task`: lets one gather mix tasks of different outputs.
async fn await_task<T>(task: asyncio::Task<T>) -> Result<T, TaskError> {
    task.await
}

/// Sleeps for `delay`, then gives `value`.
async fn sleep_then<T>(delay: Duration, value: T) -> T {
    asyncio::sleep(delay).await;
    value
}

#[test]
fn dropping_a_pending_gather_cancels_its_children() {
    let finished = Rc::new(Cell::new(0));
    let (tasks_cancelled, finished_count) = asyncio::run({
        let finished = finished.clone();
        async move {
            let child = |ms: u64| {
                let finished = finished.clone();
                async move {
                    asyncio::sleep(Duration::from_millis(ms)).await;
                    finished.set(finished.get() + 1);
                }
            };
            let out = asyncio::wait_for(
                Duration::from_millis(5),
                asyncio::gather([child(1), child(60), child(80)]),
            )
            .await;
            assert!(out.is_err(), "the gather timed out");
            asyncio::sleep(Duration::from_millis(100)).await;
            (asyncio::all_tasks().len(), finished.get())
        }
    })
    .unwrap();
    assert_eq!(
        finished_count, 1,
        "only the child that ended before the timeout finished"
    );
    assert_eq!(tasks_cancelled, 1, "only the main task is left");
}

#[test]
fn cancel_on_a_gather_cancels_the_children_and_the_gather_reports_it() {
    let out = asyncio::run(async {
        let gather = asyncio::gather([
            asyncio::sleep(Duration::from_secs(60)),
            asyncio::sleep(Duration::from_secs(60)),
        ]);
        asyncio::sleep(Duration::ZERO).await;
        assert!(gather.cancel(), "there were children to cancel");
        assert!(!gather.done());
        gather.await
    })
    .unwrap();
    assert_eq!(out, Err(TaskError::Cancelled));
}

#[test]
fn a_gather_prints_like_asyncio() {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let gather = asyncio::gather([async { 1 }]);
    assert_eq!(format!("{gather:?}"), "<_GatheringFuture pending>");
    let out = event_loop.run_until_complete(gather).unwrap();
    assert_eq!(out, Ok(vec![1]));
    asyncio::set_event_loop(None);
    event_loop.close().unwrap();
}
