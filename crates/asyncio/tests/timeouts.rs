//! `wait_for`, `timeout`, `timeout_at` and `shield`: the deadline cancels the inner work
//! before the error is returned; a shield lets the work finish anyway.

mod common;

use common::OnDrop;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

#[test]
fn wait_for_gives_the_output_when_in_time() {
    let out = asyncio::run(asyncio::wait_for(Duration::from_secs(60), async { 5 }));
    assert_eq!(out.unwrap(), Ok(5));
}

#[test]
fn wait_for_drops_the_inner_future_before_it_returns_the_timeout() {
    let log = common::Log::default();
    asyncio::run({
        let log = log.clone();
        async move {
            let inner = {
                let log = log.clone();
                async move {
                    let _cleanup = OnDrop(log.clone(), "inner cleaned up");
                    asyncio::sleep(Duration::from_secs(60)).await;
                    log.borrow_mut().push("inner finished");
                }
            };
            let out = asyncio::wait_for(Duration::from_millis(2), inner).await;
            assert!(out.is_err());
            log.borrow_mut().push("wait_for returned");
        }
    })
    .unwrap();
    assert_eq!(*log.borrow(), ["inner cleaned up", "wait_for returned"]);
}

#[test]
fn wait_for_on_a_task_cancels_the_task() {
    let (cancelled, pending_after) = asyncio::run(async {
        let task = asyncio::create_task(asyncio::sleep(Duration::from_secs(60)));
        let observer = task.as_ref();
        let out = asyncio::wait_for(Duration::from_millis(2), task).await;
        assert!(out.is_err());
        asyncio::sleep(Duration::ZERO).await; // the cancellation is carried out on the task's next step
        (observer.cancelled(), asyncio::all_tasks().len())
    })
    .unwrap();
    assert!(cancelled, "as asyncio: a timed-out task is cancelled");
    assert_eq!(pending_after, 1, "only the main task remains");
}

#[test]
fn timeout_bounds_a_block_and_timeout_at_a_deadline() {
    let (late, early, at) = asyncio::run(async {
        let late = asyncio::timeout(Duration::from_millis(1), async {
            asyncio::sleep(Duration::from_secs(60)).await;
        })
        .await;
        let early = asyncio::timeout(Duration::from_secs(60), async { "in time" }).await;
        let at = asyncio::timeout_at(
            Instant::now() + Duration::from_millis(1),
            asyncio::sleep(Duration::from_secs(60)),
        )
        .await;
        (late, early, at)
    })
    .unwrap();
    assert!(late.is_err());
    assert_eq!(early, Ok("in time"));
    assert!(at.is_err());
}

#[test]
fn shield_lets_the_inner_work_finish_after_the_waiter_gave_up() {
    let finished = Rc::new(Cell::new(false));
    let timed_out = asyncio::run({
        let finished = finished.clone();
        async move {
            let work = async move {
                asyncio::sleep(Duration::from_millis(20)).await;
                finished.set(true);
                "result"
            };
            let shielded = asyncio::shield(work);
            let ended = asyncio::Event::new();
            let signal = ended.clone();
            shielded.task().add_done_callback(move |_| signal.set());
            let out = asyncio::wait_for(Duration::from_millis(1), shielded).await;
            ended.wait().await; // the shielded task itself ends
            out.is_err()
        }
    })
    .unwrap();
    assert!(timed_out);
    assert!(finished.get(), "the shielded work ran to its end");
}

#[test]
fn shield_gives_the_output_when_nobody_gives_up() {
    let out = asyncio::run(async { asyncio::shield_task(asyncio::create_task(async { 9 })).await });
    assert_eq!(out.unwrap(), Ok(9));
    let out = asyncio::run(async { asyncio::shield(async { 10 }).await });
    assert_eq!(out.unwrap(), Ok(10));
}
