//! Cancellation at every kind of suspension point, its propagation through awaited tasks
//! (and its absence under `shield`), and `timeout`. Cancellation drops the future at its
//! next step; these tests watch the drops through guards.

mod common;

use std::cell::{Cell, RefCell};
use std::future::Future as _;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use asyncio_loop::{
    EventLoop, RunError, TaskError, TimeoutError, create_task, current_task, get_running_loop,
    shield, sleep, timeout,
};
use common::{Log, ticker};

/// Logs its name when dropped: where cleanup runs.
struct Guard(Log, &'static str);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.push(self.1);
    }
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    EventLoop::new().run_until_complete(f).unwrap()
}

#[test]
fn cancel_at_sleep_drops_the_future_on_the_loop_thread() {
    let log = Log::default();
    let l = log.clone();
    run(async move {
        let loop_thread = std::thread::current().id();
        let l2 = l.clone();
        let task = create_task(async move {
            let _guard = Guard(l2.clone(), "cleanup");
            l2.push("sleeping");
            sleep(Duration::from_secs(3600)).await;
            l2.push("never");
        });
        sleep(Duration::ZERO).await;
        assert!(task.cancel());
        assert!(
            !task.done(),
            "the future is dropped at the task's next step, not now"
        );
        assert_eq!(task.await, Err(TaskError::Cancelled));
        assert_eq!(std::thread::current().id(), loop_thread);
    });
    assert_eq!(log.lines(), ["sleeping", "cleanup"]);
}

/// tests/python/cancel_propagation.py
#[test]
fn cancel_propagates_through_awaited_task() {
    let log = Log::default();
    let l = log.clone();
    run(async move {
        let event_loop = get_running_loop().unwrap();
        let l2 = l.clone();
        let inner = create_task(async move {
            let _guard = Guard(l2, "inner cleanup");
            sleep(Duration::from_secs(3600)).await;
        });
        let inner_ref = inner.as_ref();
        let l3 = l.clone();
        let outer = create_task(async move {
            let _guard = Guard(l3, "outer cleanup");
            let _ = inner.await;
        });
        sleep(Duration::ZERO).await;
        sleep(Duration::ZERO).await;
        let (el, l4) = (event_loop.clone(), l.clone());
        event_loop.call_soon(move || ticker(el, l4, 1, 4));
        l.push(format!("cancel {}", outer.cancel()));
        for _ in 0..4 {
            sleep(Duration::ZERO).await;
        }
        l.push(format!(
            "inner cancelled {} outer cancelled {}",
            inner_ref.cancelled(),
            outer.cancelled()
        ));
        l.push(format!("cancel again {}", outer.cancel()));
    });
    let expected = "cancel true|iter 1|inner cleanup|iter 2|outer cleanup|iter 3|iter 4|\
                    inner cancelled true outer cancelled true|cancel again false";
    assert_eq!(log.lines().join("|"), expected);
}

#[test]
fn shield_keeps_the_inner_task_running() {
    let log = Log::default();
    let l = log.clone();
    run(async move {
        let l2 = l.clone();
        let inner = create_task(async move {
            sleep(Duration::from_millis(5)).await;
            l2.push("inner finished");
            7
        });
        let inner_ref = inner.as_ref();
        let outer = create_task(async move { shield(inner).await });
        sleep(Duration::ZERO).await;
        assert!(outer.cancel());
        assert_eq!(outer.await, Err(TaskError::Cancelled));
        assert!(!inner_ref.done() && !inner_ref.cancelled());
        while !inner_ref.done() {
            sleep(Duration::from_millis(1)).await;
        }
        assert!(!inner_ref.cancelled());
    });
    assert_eq!(log.lines(), ["inner finished"]);
}

#[test]
fn dropping_an_awaited_handle_cancels_but_a_never_polled_one_detaches() {
    let log = Log::default();
    let l = log.clone();
    run(async move {
        let l2 = l.clone();
        let detached = create_task(async move {
            sleep(Duration::from_millis(2)).await;
            l2.push("detached ran to the end");
        });
        let detached_ref = detached.as_ref();
        drop(detached);
        let l3 = l.clone();
        let awaited = create_task(async move {
            let _guard = Guard(l3, "awaited task dropped");
            sleep(Duration::from_secs(3600)).await;
        });
        let awaited_ref = awaited.as_ref();
        // Await it for a while, then give up: the awaiter drops the handle.
        assert_eq!(
            timeout(Duration::from_millis(1), awaited).await.err(),
            Some(TimeoutError)
        );
        while !(detached_ref.done() && awaited_ref.done()) {
            sleep(Duration::from_millis(1)).await;
        }
        assert!(awaited_ref.cancelled());
        assert!(!detached_ref.cancelled());
    });
    let mut lines = log.lines();
    lines.sort();
    assert_eq!(lines, ["awaited task dropped", "detached ran to the end"]);
}

/// asyncio's `Task.cancel()` cancels the future the task awaits (`_fut_waiter`), so its
/// other awaiters see the cancellation too (tests/python/await_future_cancel.py).
#[test]
fn cancel_while_awaiting_a_future_cancels_the_future_as_asyncio() {
    let event_loop = EventLoop::new();
    let future = event_loop.create_future::<u32>();
    let f = future.clone();
    let task = event_loop.create_task(f);
    let t = task.as_ref();
    event_loop.run_once().unwrap();
    assert!(t.cancel());
    event_loop.run_once().unwrap();
    assert!(t.done() && t.cancelled());
    assert!(future.cancelled(), "asyncio cancels the awaited future");
    assert_eq!(task.result(), Ok(Err(TaskError::Cancelled)));
}

/// A future of no runtime of ours: it parks its waker in a slot and waits to be woken.
struct Parked {
    slot: Rc<RefCell<Option<Waker>>>,
    log: Log,
}

impl std::future::Future for Parked {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.slot.borrow_mut() = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for Parked {
    fn drop(&mut self) {
        self.log.push("parked future dropped");
    }
}

#[test]
fn cancel_at_a_foreign_waker_based_future() {
    let log = Log::default();
    let slot = Rc::new(RefCell::new(None));
    let event_loop = EventLoop::new();
    let task = event_loop.create_task(Parked {
        slot: slot.clone(),
        log: log.clone(),
    });
    event_loop.run_once().unwrap();
    assert!(slot.borrow().is_some());
    assert!(task.cancel());
    event_loop.run_once().unwrap();
    assert_eq!(log.lines(), ["parked future dropped"]);
    // Waking a cancelled task is harmless.
    slot.borrow_mut().take().unwrap().wake();
    event_loop.run_once().unwrap();
    assert!(task.cancelled());
}

#[test]
fn cancel_from_another_task_and_of_a_done_task() {
    run(async {
        let victim = create_task(sleep(Duration::from_secs(3600)));
        let victim_ref = victim.as_ref();
        let killer = create_task(async move { victim_ref.cancel() });
        assert_eq!(killer.await, Ok(true));
        assert_eq!(victim.await, Err(TaskError::Cancelled));
        let done = create_task(async { 1 });
        let done_ref = done.as_ref();
        assert_eq!(done.await, Ok(1));
        assert!(!done_ref.cancel(), "cancel() of a done task is false");
        assert!(!done_ref.cancelled());
    });
}

#[test]
fn a_task_cancelling_itself_stops_at_its_next_suspension() {
    let log = Log::default();
    let l = log.clone();
    run(async move {
        let l2 = l.clone();
        let task = create_task(async move {
            l2.push("before");
            assert!(current_task().unwrap().cancel());
            l2.push("still running until it suspends");
            sleep(Duration::ZERO).await;
            l2.push("never");
        });
        assert_eq!(task.await, Err(TaskError::Cancelled));
    });
    assert_eq!(log.lines(), ["before", "still running until it suspends"]);
}

#[test]
fn a_task_cancelled_before_its_first_step_never_runs() {
    let ran = Rc::new(Cell::new(false));
    let r = ran.clone();
    run(async move {
        let task = create_task(async move { r.set(true) });
        assert!(task.cancel());
        assert_eq!(task.await, Err(TaskError::Cancelled));
    });
    assert!(!ran.get());
}

#[test]
fn cancelling_the_main_task_ends_run_until_complete() {
    let event_loop = EventLoop::new();
    let out = event_loop.run_until_complete(async {
        current_task().unwrap().cancel();
        sleep(Duration::ZERO).await;
        1
    });
    assert_eq!(out, Err(RunError::Cancelled));
    assert!(!event_loop.is_running());
    assert_eq!(event_loop.run_until_complete(async { 2 }), Ok(2));
}

#[test]
fn timeout_drops_the_future_before_returning_err() {
    let log = Log::default();
    let l = log.clone();
    run(async move {
        let l2 = l.clone();
        let slow = async move {
            let _guard = Guard(l2, "inner dropped");
            sleep(Duration::from_secs(3600)).await;
        };
        let out = timeout(Duration::from_millis(2), slow).await;
        l.push(format!("timeout returned {out:?}"));
        let fast = timeout(Duration::from_secs(3600), async { 5 }).await;
        assert_eq!(fast, Ok(5));
        let in_time = timeout(Duration::from_secs(3600), sleep(Duration::from_millis(1))).await;
        assert_eq!(in_time, Ok(()));
    });
    assert_eq!(
        log.lines(),
        ["inner dropped", "timeout returned Err(TimeoutError)"]
    );
}

#[test]
fn a_cancelled_timer_callback_never_runs() {
    let ran = Rc::new(Cell::new(0));
    let event_loop = EventLoop::new();
    let (r1, r2) = (ran.clone(), ran.clone());
    let cancelled = event_loop.call_later(Duration::from_millis(1), move || r1.set(r1.get() + 1));
    let kept = event_loop.call_later(Duration::from_millis(1), move || r2.set(r2.get() + 10));
    assert!(!cancelled.cancelled());
    cancelled.cancel();
    assert!(cancelled.cancelled() && !kept.cancelled());
    event_loop
        .run_until_complete(sleep(Duration::from_millis(5)))
        .unwrap();
    assert_eq!(ran.get(), 10);
    // A timeout whose future is ready at once sets no timer; one that wins cancels its own.
    event_loop
        .run_until_complete(async {
            let mut t = std::pin::pin!(timeout(Duration::from_secs(3600), async { 1 }));
            std::future::poll_fn(|cx| {
                assert_eq!(t.as_mut().poll(cx), Poll::Ready(Ok(1)));
                Poll::Ready(())
            })
            .await;
        })
        .unwrap();
}
