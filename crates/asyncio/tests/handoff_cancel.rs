//! Cancelling work handed to another loop of a set (`Loops::spawn` / `spawn_with`):
//! the returned `ConcurrentFuture`, cancelled explicitly or dropped by an awaiter that
//! gave up (a `wait_for` timeout), cancels the task on the other loop, as cancelling
//! `run_coroutine_threadsafe`'s future does in asyncio; the hand-off stops counting as in
//! flight.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use asyncio::{ConcurrentFuture, ConcurrentSetter, Pick, TaskError, run_per_core, sleep, wait_for};

/// Events from both loops.
type Log = Arc<Mutex<Vec<String>>>;

/// Logs "cancelled" when dropped before it finished: the task's future dropped by its
/// cancellation.
struct OnCancel(Log, bool);

impl Drop for OnCancel {
    fn drop(&mut self) {
        if !self.1 {
            self.0.lock().unwrap().push("cancelled".to_owned());
        }
    }
}

/// Sleeps an hour on the loop that runs it, after saying it started.
async fn forever(log: Log, started: ConcurrentSetter<()>) -> &'static str {
    log.lock().unwrap().push("started".to_owned());
    started.set_result(());
    let mut guard = OnCancel(log, false);
    sleep(Duration::from_secs(3600)).await;
    guard.1 = true;
    "finished"
}

#[test]
fn cancelling_the_handed_off_future_cancels_the_task_on_the_other_loop() {
    for with in [false, true] {
        let log = Log::default();
        let out = run_per_core(2, |index, loops| {
            let log = Arc::clone(&log);
            async move {
                if index == 1 {
                    return None;
                }
                let (started, setter) = ConcurrentFuture::new();
                let work = if with {
                    let log = Arc::clone(&log);
                    loops.spawn_with(Pick::Index(1), move || forever(log, setter))
                } else {
                    loops.spawn(Pick::Index(1), forever(Arc::clone(&log), setter))
                };
                started.await.unwrap();
                assert_eq!(loops.in_flight(1), 1);
                assert!(work.cancel());
                assert!(work.cancelled());
                let outcome = work.await;
                // A probe sent after the cancel runs after the cancelled step on loop 1.
                loops.spawn(Pick::Index(1), async {}).await.unwrap();
                Some((outcome, loops.in_flight(1)))
            }
        })
        .unwrap();
        assert_eq!(
            out,
            [Some((Err(TaskError::Cancelled), 0)), None],
            "with {with}"
        );
        assert_eq!(
            *log.lock().unwrap(),
            ["started", "cancelled"],
            "with {with}"
        );
    }
}

/// `asyncio.wait_for(asyncio.wrap_future(run_coroutine_threadsafe(...)), t)` timing out
/// cancels the coroutine on the other loop; so does a timeout around the hand-off here.
#[test]
fn a_timeout_on_the_awaiting_loop_cancels_the_work_on_the_other() {
    let log = Log::default();
    let out = run_per_core(2, |index, loops| {
        let log = Arc::clone(&log);
        async move {
            if index == 1 {
                return None;
            }
            let (started, setter) = ConcurrentFuture::new();
            let work = loops.spawn(Pick::Index(1), forever(Arc::clone(&log), setter));
            started.await.unwrap();
            let timed_out = wait_for(Duration::from_millis(1), work).await.is_err();
            loops.spawn(Pick::Index(1), async {}).await.unwrap();
            Some((timed_out, loops.in_flight(1)))
        }
    })
    .unwrap();
    assert_eq!(out, [Some((true, 0)), None]);
    assert_eq!(*log.lock().unwrap(), ["started", "cancelled"]);
}
