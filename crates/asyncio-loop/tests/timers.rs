//! Timer futures that travel: a `sleep` polled by one task and finished by another, or
//! carried from one loop to the next, wakes whoever polls it now and keeps its deadline.
//! Every wait is bounded by the loop's own `timeout`, so a regression fails, never hangs.

use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant};

use asyncio_loop::{EventLoop, ExceptionContext, Sleep, TimeoutError, create_task, sleep, timeout};

/// Longer than any test should take; a wait this long means the wake went astray.
/// Generous: a hang fails the test after this instead of stalling CI, and a slow run (under
/// Miri, ThreadSanitizer or valgrind, or on a loaded machine) is not taken for one.
const BOUND: Duration = Duration::from_secs(120);

/// Runs `f` on a fresh thread and fails the test if it takes longer than [`BOUND`].
fn within_bound<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(BOUND).expect("hung (or panicked)")
}

/// Polls `sleep` once, in whatever task runs this, and hands it back still pending.
async fn poll_once(mut sleep: Pin<Box<Sleep>>) -> Pin<Box<Sleep>> {
    poll_fn(|cx| {
        assert!(
            sleep.as_mut().poll(cx).is_pending(),
            "the sleep is not due yet"
        );
        Poll::Ready(())
    })
    .await;
    sleep
}

/// Task A arms a sleep and ends; task B awaits it: the timer must wake B, not A.
#[test]
fn a_sleep_polled_by_one_task_then_awaited_by_another_wakes_the_second() {
    let event_loop = EventLoop::new();
    let out = event_loop.run_until_complete(async {
        let slot: Rc<RefCell<Option<Pin<Box<Sleep>>>>> = Rc::default();
        let put = slot.clone();
        create_task(async move {
            let armed = poll_once(Box::pin(sleep(Duration::from_millis(5)))).await;
            *put.borrow_mut() = Some(armed);
        })
        .await
        .unwrap();
        let taker = create_task(async move {
            let armed = slot.borrow_mut().take().expect("task A left its sleep");
            armed.await;
            "woken"
        });
        timeout(BOUND, taker).await
    });
    assert_eq!(out, Ok(Ok(Ok("woken"))));
}

/// The same while task A is still alive and pending: its wake-up must not be the only one.
#[test]
fn a_sleep_handed_from_a_pending_task_to_another_wakes_the_second() {
    let event_loop = EventLoop::new();
    let out = event_loop.run_until_complete(async {
        let slot: Rc<RefCell<Option<Pin<Box<Sleep>>>>> = Rc::default();
        let put = slot.clone();
        let holder = create_task(async move {
            let armed = poll_once(Box::pin(sleep(Duration::from_millis(5)))).await;
            *put.borrow_mut() = Some(armed);
            std::future::pending::<()>().await;
        });
        let taker = create_task(async move {
            loop {
                let armed = slot.borrow_mut().take();
                if let Some(armed) = armed {
                    armed.await;
                    return "woken";
                }
                sleep(Duration::ZERO).await;
            }
        });
        let out = timeout(BOUND, taker).await;
        holder.cancel();
        out
    });
    assert_eq!(out, Ok(Ok(Ok("woken"))));
}

/// Arms `delay` on a first loop, which is then closed and dropped, and returns the sleep
/// with the instant before its first poll (its deadline is at least `delay` after that).
fn armed_on_a_dropped_loop(delay: Duration) -> (Pin<Box<Sleep>>, Instant) {
    let first = EventLoop::new();
    let before = Instant::now();
    let armed = first
        .run_until_complete(poll_once(Box::pin(sleep(delay))))
        .unwrap();
    first.close().unwrap();
    drop(first);
    (armed, before)
}

/// A new loop (often at the dropped one's address) must not take the sleep's entry id for
/// one of its own: an hour-long sleep is not done a moment later.
#[test]
fn a_sleep_moved_to_a_new_loop_does_not_complete_early() {
    let (armed, _) = armed_on_a_dropped_loop(Duration::from_secs(3600));
    let second = EventLoop::new();
    let out = second.run_until_complete(timeout(Duration::from_millis(20), armed));
    assert_eq!(out, Ok(Err(TimeoutError)), "an hour-long sleep ended early");
}

/// ... and a short one is re-armed there with the same deadline: it completes, not before.
#[test]
fn a_sleep_moved_to_a_new_loop_completes_at_its_deadline() {
    let delay = Duration::from_millis(30);
    let (armed, before) = armed_on_a_dropped_loop(delay);
    let second = EventLoop::new();
    let out = second.run_until_complete(timeout(BOUND, armed));
    assert_eq!(out, Ok(Ok(())), "the moved sleep never woke");
    assert!(
        before.elapsed() >= delay,
        "the moved sleep ended before its deadline"
    );
}

/// `Duration::MAX` (past what `Instant` can hold) means "never": no overflow panic.
#[test]
fn sleep_of_duration_max_never_completes() {
    let event_loop = EventLoop::new();
    let out =
        event_loop.run_until_complete(timeout(Duration::from_millis(10), sleep(Duration::MAX)));
    assert_eq!(out, Ok(Err(TimeoutError)));
}

#[test]
fn timeout_of_duration_max_never_times_out() {
    let event_loop = EventLoop::new();
    let out = event_loop.run_until_complete(timeout(Duration::MAX, async {
        sleep(Duration::from_millis(1)).await;
        7
    }));
    assert_eq!(out, Ok(Ok(7)));
}

#[test]
fn call_later_of_duration_max_never_runs_and_cancels() {
    let event_loop = EventLoop::new();
    let handle = event_loop.call_later(Duration::MAX, || panic!("never due"));
    assert!(handle.when() > Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600));
    event_loop
        .run_until_complete(sleep(Duration::from_millis(2)))
        .unwrap();
    handle.cancel();
    assert!(handle.cancelled());
}

/// A loop whose only timer is "never" sleeps (its poll timeout is that timer's, all but
/// unbounded) and still wakes for a remote stop; a timeout the poller cannot take would
/// show up as a poll error reported every iteration.
fn a_loop_waiting_for_never_wakes_for_a_stop(with_descriptor: bool) {
    let reports = within_bound(move || {
        let event_loop = EventLoop::new();
        let reports = Rc::new(RefCell::new(Vec::new()));
        let r = reports.clone();
        event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
            r.borrow_mut().push(context.to_string());
        }));
        #[cfg(unix)]
        let _watched = with_descriptor.then(|| {
            let (quiet, other_end) = std::os::unix::net::UnixStream::pair().unwrap();
            event_loop
                .add_reader(&quiet, || panic!("nothing is ever written"))
                .unwrap();
            (quiet, other_end)
        });
        let _never = event_loop.call_later(Duration::MAX, || panic!("never due"));
        let (running_tx, running_rx) = mpsc::channel::<()>();
        event_loop.call_soon(move || running_tx.send(()).unwrap());
        let handle = event_loop.handle();
        let stopper = std::thread::spawn(move || {
            running_rx.recv().unwrap();
            handle.stop();
        });
        event_loop.run_forever().unwrap();
        stopper.join().unwrap();
        reports.take()
    });
    assert_eq!(reports, Vec::<String>::new());
}

#[test]
fn a_parked_loop_waiting_for_never_wakes_for_a_stop() {
    a_loop_waiting_for_never_wakes_for_a_stop(false);
}

#[cfg(unix)]
#[test]
#[cfg_attr(miri, ignore = "Miri's epoll has edge-triggered registrations only")]
fn a_loop_in_the_poller_waiting_for_never_wakes_for_a_stop() {
    a_loop_waiting_for_never_wakes_for_a_stop(true);
}

#[test]
fn concurrent_future_wait_of_duration_max_waits_for_the_outcome() {
    let (done, outcome) = within_bound(|| {
        let event_loop = EventLoop::new();
        let handle = event_loop.handle();
        let client = std::thread::spawn(move || {
            let future = handle.spawn(async { 5 });
            let done = future.wait(Duration::MAX);
            handle.stop();
            (done, future.result())
        });
        event_loop.run_forever().unwrap();
        client.join().unwrap()
    });
    assert!(done);
    assert_eq!(outcome, Ok(5));
}

/// Pinned to tests/python/timeout_scope.py (CPython 3.11).
#[test]
fn a_timeout_scope_is_asyncios_timeout_object() {
    use asyncio_loop::TimeoutScope;
    let lines = EventLoop::new()
        .run_until_complete(async {
            let mut lines = Vec::new();
            let cm = TimeoutScope::new(None);
            let inside = cm.clone();
            let out = cm
                .run(async move {
                    let when = inside.when();
                    sleep(Duration::from_millis(1)).await;
                    when
                })
                .await;
            lines.push(format!("no deadline {:?}", out.unwrap()));
            lines.push(format!("expired {}", cm.expired()));

            let cm = TimeoutScope::new(Some(Duration::from_secs(3600)));
            let inside = cm.clone();
            let out = cm
                .run(async move {
                    let far = inside.when().unwrap() > Instant::now() + Duration::from_secs(3000);
                    assert!(far, "far deadline True");
                    inside.reschedule(Some(Instant::now() + Duration::from_millis(5)));
                    sleep(Duration::from_secs(3600)).await;
                    far
                })
                .await;
            assert!(out.is_err());
            lines.push(format!("TimeoutError expired {}", cm.expired()));
            let again =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cm.reschedule(None)));
            let message = again.unwrap_err();
            lines.push(message.downcast_ref::<&str>().unwrap().to_string());

            let cm = TimeoutScope::new(Some(Duration::from_millis(5)));
            let inside = cm.clone();
            let out = cm
                .run(async move {
                    inside.reschedule(None);
                    sleep(Duration::from_millis(20)).await;
                })
                .await;
            assert!(out.is_ok());
            lines.push(format!("rescheduled to never: expired {}", cm.expired()));
            lines
        })
        .unwrap();
    assert_eq!(
        lines,
        [
            "no deadline None",
            "expired false",
            "TimeoutError expired true",
            "Cannot change state of expired Timeout",
            "rescheduled to never: expired false",
        ]
    );
}
