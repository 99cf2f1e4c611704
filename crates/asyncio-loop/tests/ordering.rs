//! Pins asyncio's interleavings. Each test's expected trace is what the CPython 3.11
//! program of the same name in `tests/python/` prints (`python3 tests/python/<name>.py`);
//! a ticker callback that re-schedules itself with `call_soon` marks iteration boundaries
//! where the order alone would not show an off-by-one iteration.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio_loop::{EventLoop, create_task, get_running_loop, sleep, sleep_until};
use common::{Log, start_ticker, ticker};

/// tests/python/counters.py (seed 000).
#[test]
fn three_counters_with_sleep() {
    let log = Log::default();
    async fn counter(log: Log, name: &'static str, max: u32) -> String {
        for count in 1..=max {
            log.push(format!("{name}: {count}"));
            sleep(Duration::from_millis(10)).await;
        }
        format!("{name} done")
    }
    let event_loop = EventLoop::new();
    let l = log.clone();
    let results = event_loop
        .run_until_complete(async move {
            let tasks: Vec<_> = [("A", 1), ("B", 2), ("C", 3)]
                .into_iter()
                .map(|(name, max)| create_task(counter(l.clone(), name, max)))
                .collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await.unwrap());
            }
            results
        })
        .unwrap();
    log.push(format!("{results:?}"));
    event_loop.close().unwrap();
    assert_eq!(
        log.lines(),
        [
            "A: 1",
            "B: 1",
            "C: 1",
            "B: 2",
            "C: 2",
            "C: 3",
            r#"["A done", "B done", "C done"]"#
        ]
    );
}

/// tests/python/stepping.py (seed 002): `run_once` from the program's own loop.
#[test]
fn stepping_with_run_once() {
    let log = Log::default();
    async fn gen_(log: Log, name: &'static str, count: u32) {
        log.push(format!("{name} start"));
        for i in 0..count {
            log.push(format!("{name} {i}"));
            sleep(Duration::ZERO).await;
        }
        log.push(format!("{name} done"));
    }
    let event_loop = EventLoop::new();
    let all_done = event_loop.create_future::<()>();
    let left = Rc::new(RefCell::new(2));
    let a = event_loop.create_task(gen_(log.clone(), "a", 3));
    let b = event_loop.create_task(gen_(log.clone(), "b", 5));
    for task in [&a, &b] {
        let (left, all_done) = (left.clone(), all_done.clone());
        task.add_done_callback(move |_| {
            *left.borrow_mut() -= 1;
            if *left.borrow() == 0 {
                all_done.set_result(()).unwrap();
            }
        });
    }
    let mut count = 1;
    while !all_done.done() {
        log.push(count.to_string());
        count += 1;
        event_loop.run_once().unwrap();
    }
    log.push("done");
    event_loop.close().unwrap();
    let expected =
        "1|a start|a 0|b start|b 0|2|a 1|b 1|3|a 2|b 2|4|a done|b 3|5|b 4|6|b done|7|done";
    assert_eq!(log.lines().join("|"), expected);
}

/// The same with `stop(); run_forever()`, the idiom `run_once` stands for.
#[test]
fn stop_then_run_forever_runs_one_iteration() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let l = log.clone();
    let task = event_loop.create_task(async move {
        for i in 0..3 {
            l.push(format!("step {i}"));
            sleep(Duration::ZERO).await;
        }
    });
    let mut iterations = 0;
    while !task.done() {
        iterations += 1;
        event_loop.stop();
        event_loop.run_forever().unwrap();
    }
    assert_eq!(iterations, 4);
    assert_eq!(log.lines(), ["step 0", "step 1", "step 2"]);
}

async fn say(log: Log, what: &'static str) -> &'static str {
    for _ in 0..2 {
        sleep(Duration::ZERO).await;
    }
    log.push(what);
    what
}

/// tests/python/create_then_await.py, first half (seed 003): concurrent.
#[test]
fn create_then_await_runs_concurrently() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            start_ticker(&l, 5);
            let t1 = create_task(say(l.clone(), "hello"));
            let t2 = create_task(say(l.clone(), "world"));
            l.push("started");
            l.push(t1.await.unwrap());
            l.push(t2.await.unwrap());
            l.push("finished");
        })
        .unwrap();
    let expected = "started|iter 1|iter 2|iter 3|hello|world|iter 4|hello|world|finished|iter 5";
    assert_eq!(log.lines().join("|"), expected);
}

/// tests/python/create_then_await.py, second half: sequential.
#[test]
fn await_one_by_one_runs_sequentially() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            start_ticker(&l, 5);
            l.push("started");
            l.push(say(l.clone(), "hello").await);
            l.push(say(l.clone(), "world").await);
            l.push("finished");
        })
        .unwrap();
    let expected = "started|iter 1|iter 2|hello|hello|iter 3|iter 4|world|world|finished|iter 5";
    assert_eq!(log.lines().join("|"), expected);
}

/// tests/python/await_task.py: a task awaiting a task, and run_until_complete's return.
#[test]
fn task_awaiting_task() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            start_ticker(&l, 9);
            let l2 = l.clone();
            let outer = create_task(async move {
                l2.push("outer start");
                let l3 = l2.clone();
                let r = create_task(async move {
                    l3.push("inner start");
                    sleep(Duration::ZERO).await;
                    l3.push("inner end");
                    1
                })
                .await
                .unwrap();
                l2.push(format!("outer got {r}"));
                r + 1
            });
            let r = outer.await.unwrap();
            l.push(format!("main got {r}"));
        })
        .unwrap();
    log.push("returned");
    event_loop
        .run_until_complete(sleep(Duration::ZERO))
        .unwrap();
    log.push("second run returned");
    let expected = "iter 1|outer start|iter 2|inner start|iter 3|inner end|iter 4|outer got 1|\
                    iter 5|main got 2|iter 6|returned|iter 7|iter 8|iter 9|second run returned";
    assert_eq!(log.lines().join("|"), expected);
}

/// tests/python/timer_then_step.py: the sleeper steps the iteration after its timer fired;
/// equal deadlines fire in the order they were set.
#[test]
fn sleep_wakes_next_iteration() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            let event_loop = get_running_loop().unwrap();
            let when = Instant::now() + Duration::from_millis(5);
            let (l1, el) = (l.clone(), event_loop.clone());
            event_loop.call_at(when, move || {
                l1.push("timer callback");
                let l1 = l1.clone();
                el.call_soon(move || l1.push("soon from timer callback"));
            });
            let sleeper = sleep_until(when);
            let l2 = l.clone();
            // The sleep's timer must be set before the third callback's, as in the Python
            // program: poll it once first.
            let mut sleeper = std::pin::pin!(sleeper);
            std::future::poll_fn(|cx| {
                let _ = sleeper.as_mut().poll(cx);
                std::task::Poll::Ready(())
            })
            .await;
            event_loop.call_at(when, move || l2.push("second timer callback"));
            sleeper.await;
            l.push("sleeper woke");
        })
        .unwrap();
    assert_eq!(
        log.lines(),
        [
            "timer callback",
            "second timer callback",
            "soon from timer callback",
            "sleeper woke"
        ]
    );
}

/// A sleep polled under a waker other than its task's own (a combinator's, here one that
/// counts wakes) fires through that waker; the task's own waker is the fast path and must
/// not be taken for it.
#[test]
fn a_sleep_under_a_foreign_waker_wakes_that_waker() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Wake, Waker};

    struct Counting {
        wakes: AtomicUsize,
        inner: Waker,
    }
    impl Wake for Counting {
        fn wake(self: Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            self.inner.wake_by_ref();
        }
    }

    let wakes = EventLoop::new()
        .run_until_complete(async {
            let mut sleeper = std::pin::pin!(sleep(Duration::from_millis(2)));
            let mut counting: Option<Arc<Counting>> = None;
            std::future::poll_fn(|cx| {
                let counting = counting.get_or_insert_with(|| {
                    Arc::new(Counting {
                        wakes: AtomicUsize::new(0),
                        inner: cx.waker().clone(),
                    })
                });
                let waker = Waker::from(Arc::clone(counting));
                sleeper.as_mut().poll(&mut Context::from_waker(&waker))
            })
            .await;
            counting.map(|c| c.wakes.load(Ordering::SeqCst))
        })
        .unwrap();
    assert_eq!(wakes, Some(1));
}

/// tests/python/stop_order.py: stop() lets the iteration finish; stop() before
/// run_forever() runs exactly one iteration.
#[test]
fn stop_ordering() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let cb = |name: &'static str| {
        let log = log.clone();
        move || log.push(name)
    };
    event_loop.call_soon(cb("one"));
    let (el, l) = (event_loop.clone(), log.clone());
    let after = cb("after stop (next run)");
    event_loop.call_soon(move || {
        l.push("stopper");
        el.stop();
        el.call_soon(after);
    });
    event_loop.call_soon(cb("two"));
    event_loop.run_forever().unwrap();
    log.push("run_forever returned");
    event_loop.call_soon(cb("three"));
    event_loop.stop();
    event_loop.run_forever().unwrap();
    log.push("stepped once");
    event_loop
        .run_until_complete(sleep(Duration::ZERO))
        .unwrap();
    log.push("done");
    event_loop.close().unwrap();
    let expected =
        "one|stopper|two|run_forever returned|after stop (next run)|three|stepped once|done";
    assert_eq!(log.lines().join("|"), expected);
}

/// tests/python/sub_ms_order.py: deadline order to well below a millisecond, ties FIFO.
#[test]
fn timers_fire_in_deadline_order_below_a_millisecond() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let now = Instant::now();
    for (name, micros) in [
        ("later", 10_500),
        ("sooner", 10_200),
        ("sooner, set second", 10_200),
    ] {
        let log = log.clone();
        event_loop.call_at(now + Duration::from_micros(micros), move || log.push(name));
    }
    event_loop
        .run_until_complete(sleep(Duration::from_millis(20)))
        .unwrap();
    assert_eq!(log.lines(), ["sooner", "sooner, set second", "later"]);
}

/// tests/python/host_wake.py: a wake made on the loop's thread between two `run_once`
/// calls goes to the ready queue in order with `call_soon`.
#[test]
fn a_wake_between_steps_keeps_fifo_order() {
    let log = Log::default();
    let event_loop = EventLoop::new();
    let future = event_loop.create_future::<()>();
    let (f, l) = (future.clone(), log.clone());
    let _task = event_loop.create_task(async move {
        f.await.unwrap();
        l.push("task resumed");
    });
    event_loop.run_once().unwrap();
    future.set_result(()).unwrap();
    let l = log.clone();
    event_loop.call_soon(move || l.push("callback"));
    event_loop.run_once().unwrap();
    event_loop.run_once().unwrap();
    assert_eq!(log.lines(), ["task resumed", "callback"]);
}

/// tests/python/run_until_done.py: `run_until_complete` of a `Task` or a `Future` stops in
/// the first iteration when it is done already, the iteration after it completes when it
/// is pending; of a coroutine, one iteration later (asyncio wraps it in a task first).
#[test]
fn run_until_complete_of_a_future() {
    let log = Log::default();
    fn run_case<T: std::fmt::Debug>(
        log: &Log,
        name: &str,
        make: impl FnOnce(&EventLoop) -> Box<dyn FnOnce(&EventLoop) -> T>,
    ) {
        let event_loop = EventLoop::new();
        let run = make(&event_loop);
        log.push(name);
        let (l, el) = (log.clone(), event_loop.clone());
        event_loop.call_soon(move || ticker(el, l, 1, 5));
        log.push(format!("-> {:?}", run(&event_loop)));
        event_loop.close().unwrap();
    }
    async fn quick() -> &'static str {
        "quick"
    }
    async fn one_yield() -> &'static str {
        sleep(Duration::ZERO).await;
        "yielded"
    }
    run_case(&log, "a done Future", |event_loop| {
        let future = event_loop.create_future();
        future.set_result("set").unwrap();
        Box::new(move |event_loop| event_loop.run_until_complete(future).unwrap().unwrap())
    });
    run_case(&log, "a done Task", |event_loop| {
        let task = event_loop.create_task(quick());
        event_loop.run_until_complete(async {}).unwrap();
        assert!(task.done());
        Box::new(move |event_loop| event_loop.run_until_complete(task).unwrap().unwrap())
    });
    run_case(&log, "a coroutine that returns at once", |_| {
        Box::new(|event_loop| event_loop.run_until_complete(quick()).unwrap())
    });
    run_case(&log, "a pending Task", |event_loop| {
        let task = event_loop.create_task(one_yield());
        Box::new(move |event_loop| event_loop.run_until_complete(task).unwrap().unwrap())
    });
    run_case(&log, "a Future set in the first iteration", |event_loop| {
        let future = event_loop.create_future();
        let setter = future.clone();
        event_loop.call_soon(move || setter.set_result("set soon").unwrap());
        Box::new(move |event_loop| event_loop.run_until_complete(future).unwrap().unwrap())
    });
    let expected = "a done Future|iter 1|-> \"set\"|\
                    a done Task|iter 1|-> \"quick\"|\
                    a coroutine that returns at once|iter 1|iter 2|-> \"quick\"|\
                    a pending Task|iter 1|iter 2|iter 3|-> \"yielded\"|\
                    a Future set in the first iteration|iter 1|iter 2|-> \"set soon\"";
    assert_eq!(log.lines().join("|"), expected);
}

/// tests/python/threadsafe_own_thread.py: `call_soon_threadsafe` made on the loop's own
/// thread while it runs joins the ready queue in order with `call_soon`, as asyncio's
/// appends to the one `_ready` for both. (It used to go through the injection queue,
/// drained at the next poll, after everything `call_soon` had queued meanwhile.)
#[test]
fn call_soon_threadsafe_on_the_loops_thread_keeps_fifo_order() {
    use std::sync::{Arc, Mutex};
    // Send, for the threadsafe callbacks.
    let log = Arc::new(Mutex::new(Vec::<&str>::new()));
    let push = |log: &Arc<Mutex<Vec<&'static str>>>, line| log.lock().unwrap().push(line);
    let event_loop = EventLoop::new();
    let handle = event_loop.handle();
    let (l, h, el) = (log.clone(), handle.clone(), event_loop.clone());
    event_loop.call_soon(move || {
        push(&l, "first");
        let l1 = l.clone();
        el.call_soon(move || push(&l1, "soon 1"));
        let l2 = l.clone();
        h.call_soon_threadsafe(move || push(&l2, "threadsafe"))
            .unwrap();
        let l3 = l.clone();
        el.call_soon(move || push(&l3, "soon 2"));
    });
    let l = log.clone();
    event_loop
        .run_until_complete(async move {
            push(&l, "task step 1");
            let l1 = l.clone();
            handle
                .call_soon_threadsafe(move || push(&l1, "threadsafe from the task"))
                .unwrap();
            sleep(Duration::ZERO).await;
            push(&l, "task step 2");
        })
        .unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        [
            "first",
            "task step 1",
            "soon 1",
            "threadsafe",
            "soon 2",
            "threadsafe from the task",
            "task step 2"
        ]
    );
}
