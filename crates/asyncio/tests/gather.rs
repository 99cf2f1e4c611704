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

/// Steps `event_loop` `n` iterations.
fn step(event_loop: &asyncio::EventLoop, n: usize) {
    for _ in 0..n {
        event_loop.run_once().unwrap();
    }
}

/// A loop set as the thread's, for gathers made outside a running loop (as seed 000's are).
fn thread_loop() -> asyncio::EventLoop {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    event_loop
}

fn close(event_loop: asyncio::EventLoop) {
    asyncio::set_event_loop(None);
    event_loop.close().unwrap();
}

#[test]
fn result_hands_the_outcome_over_once() {
    let event_loop = thread_loop();
    let g = asyncio::gather!(async { 1 }, async { "two" });
    assert_eq!(g.result().unwrap_err().message(), "Result is not set.");
    step(&event_loop, 2);
    assert!(g.done());
    assert_eq!(g.result(), Ok(Ok((1, "two"))));
    assert_eq!(
        g.result().unwrap_err().message(),
        "Result was already taken."
    );
    assert!(g.done(), "still done once taken");
    close(event_loop);
}

#[test]
#[should_panic(expected = "gather: awaited after its result was taken")]
fn awaiting_a_gather_whose_result_was_taken_panics() {
    let event_loop = thread_loop();
    let g = asyncio::gather([async { 1 }]);
    step(&event_loop, 2);
    assert_eq!(g.result(), Ok(Ok(vec![1])));
    let _ = event_loop.run_until_complete(g);
}

#[test]
fn a_failed_gather_is_done_without_being_awaited_and_its_drop_spares_the_siblings() {
    // asyncio: the failing child's done-callback completes the outer future; cancelling
    // (here: dropping) a done gather does nothing, so the sibling runs on. Before the gather
    // was asked, dropping it cancelled the sibling.
    let event_loop = thread_loop();
    let log = Log::default();
    let g = asyncio::try_gather::<_, &str, &str>([
        Box::pin(async { Err("bad") }) as std::pin::Pin<Box<dyn Future<Output = _>>>,
        Box::pin(sleep_then(Duration::from_millis(1), Ok("slow"))),
    ]);
    step(&event_loop, 2);
    assert!(g.done());
    drop(g);
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            asyncio::sleep(Duration::from_millis(20)).await;
            l.borrow_mut()
                .push(format!("{} task(s) left", asyncio::all_tasks().len()));
        })
        .unwrap();
    assert_eq!(
        *log.borrow(),
        ["1 task(s) left"],
        "only the main task: the sibling ended"
    );
    close(event_loop);
}

#[test]
fn dropping_a_failed_gather_before_it_was_asked_spares_the_siblings() {
    let event_loop = thread_loop();
    let sibling = Rc::new(Cell::new(false));
    let s = sibling.clone();
    let g = asyncio::gather!(async { panic!("first") }, async move {
        asyncio::sleep(Duration::ZERO).await;
        asyncio::sleep(Duration::ZERO).await;
        s.set(true);
    });
    step(&event_loop, 2);
    drop(g);
    step(&event_loop, 3);
    assert!(sibling.get(), "the sibling was not cancelled");
    close(event_loop);
}

#[test]
fn the_first_failure_in_completion_order_decides() {
    let event_loop = thread_loop();
    let later = async {
        asyncio::sleep(Duration::ZERO).await;
        if true {
            panic!("second argument, fails later");
        }
    };
    let sooner = async {
        if true {
            panic!("third argument, fails first");
        }
    };
    let g = asyncio::gather!(async {}, later, sooner);
    step(&event_loop, 4);
    match g.result() {
        Ok(Err(TaskError::Panicked(p))) => assert_eq!(p.message(), "third argument, fails first"),
        other => panic!("expected the first failure, got {other:?}"),
    }
    close(event_loop);
}

#[test]
fn cancelled_says_whether_the_gather_ended_with_a_cancellation() {
    let event_loop = thread_loop();
    let ok = asyncio::gather([async { 1 }]);
    let cancelled = asyncio::gather([asyncio::sleep(Duration::from_secs(60))]);
    let child = event_loop.create_task(asyncio::sleep(Duration::from_secs(60)));
    child.cancel();
    let child_cancelled = asyncio::gather_tasks([child]);
    assert!(cancelled.cancel());
    assert!(!cancelled.cancelled(), "not before the children are in");
    step(&event_loop, 2);
    assert!(ok.done() && !ok.cancelled());
    assert!(cancelled.cancelled());
    assert!(
        child_cancelled.cancelled(),
        "a cancelled child ends the gather with its cancellation (asyncio raises CancelledError)"
    );
    assert_eq!(cancelled.result(), Ok(Err(TaskError::Cancelled)));
    assert!(cancelled.cancelled(), "still once the result is taken");
    close(event_loop);
}

#[test]
fn a_cancelled_return_exceptions_gather_keeps_every_outcome_and_says_it_was_cancelled() {
    let event_loop = thread_loop();
    let g = asyncio::gather_return_exceptions([
        Box::pin(async { 1 }) as std::pin::Pin<Box<dyn Future<Output = i32>>>,
        Box::pin(sleep_then(Duration::from_secs(60), 2)),
    ]);
    step(&event_loop, 1);
    assert!(g.cancel(), "the sleeping child was still running");
    step(&event_loop, 2);
    assert!(g.cancelled());
    assert_eq!(g.result(), Ok(vec![Ok(1), Err(TaskError::Cancelled)]));
    close(event_loop);
}

#[test]
fn result_cloned_leaves_the_outcome_for_later() {
    let event_loop = thread_loop();
    let g = asyncio::gather([async { String::from("a") }]);
    let t = asyncio::gather!(async { 1 }, async { 'b' });
    assert_eq!(
        g.result_cloned().unwrap_err().message(),
        "Result is not set."
    );
    step(&event_loop, 2);
    assert_eq!(g.result_cloned(), Ok(Ok(vec!["a".to_string()])));
    assert_eq!(
        g.result_cloned(),
        Ok(Ok(vec!["a".to_string()])),
        "and again"
    );
    assert_eq!(t.result_cloned(), Ok(Ok((1, 'b'))));
    assert_eq!(
        event_loop.run_until_complete(g),
        Ok(Ok(vec!["a".to_string()]))
    );
    assert_eq!(t.result(), Ok(Ok((1, 'b'))), "then taken");
    assert_eq!(
        t.result_cloned().unwrap_err().message(),
        "Result was already taken."
    );
    close(event_loop);
}

async fn cleaning_child(log: std::rc::Rc<std::cell::RefCell<Vec<String>>>, name: &'static str) {
    if let Err(cancelled) =
        asyncio::catch_cancelled(asyncio::sleep(Duration::from_secs(3600))).await
    {
        log.borrow_mut().push(format!("{name} cleanup"));
        asyncio::sleep(Duration::ZERO).await;
        log.borrow_mut().push(format!("{name} cleanup done"));
        cancelled.reraise::<()>().await;
    }
}

/// Pinned to tests/python/gather_cancel_order.py (CPython 3.11), for `gather` and
/// `gather!`: the awaiter's cleanup comes after its children's.
#[test]
fn a_cancelled_awaiter_cleans_up_after_the_gathered_children() {
    for tuple in [false, true] {
        let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let l = log.clone();
        asyncio::run(async move {
            let inner = l.clone();
            let t = asyncio::create_task(async move {
                let gathered = async {
                    if tuple {
                        let _ = asyncio::gather!(
                            cleaning_child(inner.clone(), "a"),
                            cleaning_child(inner.clone(), "b")
                        )
                        .await;
                    } else {
                        let children = [
                            cleaning_child(inner.clone(), "a"),
                            cleaning_child(inner.clone(), "b"),
                        ];
                        let _ = asyncio::gather(children).await;
                    }
                };
                if let Err(cancelled) = asyncio::catch_cancelled(gathered).await {
                    inner.borrow_mut().push("awaiter cleanup".to_owned());
                    cancelled.reraise::<()>().await;
                }
            });
            asyncio::sleep(Duration::ZERO).await;
            asyncio::sleep(Duration::ZERO).await;
            t.cancel();
            let probe = t.as_ref();
            if t.await.is_err() {
                l.borrow_mut().push(format!(
                    "awaiter cancelled {}",
                    if probe.cancelled() { "True" } else { "False" }
                ));
            }
        })
        .unwrap();
        assert_eq!(
            *log.borrow(),
            [
                "a cleanup",
                "b cleanup",
                "a cleanup done",
                "b cleanup done",
                "awaiter cleanup",
                "awaiter cancelled True"
            ],
            "gather! used: {tuple}"
        );
    }
}

#[test]
fn wait_for_a_gather_reports_after_the_children_cleanup() {
    let log = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let l = log.clone();
    asyncio::run(async move {
        let children = [
            cleaning_child(l.clone(), "c"),
            cleaning_child(l.clone(), "d"),
        ];
        let gathered = asyncio::gather(children);
        if asyncio::wait_for(Duration::from_millis(10), gathered)
            .await
            .is_err()
        {
            l.borrow_mut().push("TimeoutError".to_owned());
        }
    })
    .unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "c cleanup",
            "d cleanup",
            "c cleanup done",
            "d cleanup done",
            "TimeoutError"
        ]
    );
}
