//! `TaskGroup`: all children succeed, a failure (an `Err` or a panic) cancels the others,
//! every failure is reported, and leaving the group early cancels what is left.

mod common;

use std::time::Duration;

use asyncio::{Failure, TaskError, TaskGroup};
use common::{Log, OnDrop};

#[test]
fn the_group_waits_for_every_child_and_gives_their_values() {
    let (result, a, b) = asyncio::run(async {
        let group = TaskGroup::<String>::new();
        let a = group.create_task(async {
            asyncio::sleep(Duration::from_millis(10)).await;
            Ok("a")
        });
        let b = group.create_task(async { Ok("b") });
        let result = group.wait().await;
        assert!(a.done() && b.done(), "wait returned after both ended");
        (result, a.await, b.await)
    })
    .unwrap();
    assert_eq!(result, Ok(()));
    assert_eq!((a, b), (Ok(Some("a")), Ok(Some("b"))));
}

#[test]
fn the_first_err_cancels_the_siblings_and_is_reported() {
    let log = Log::default();
    let (result, slow) = asyncio::run({
        let log = log.clone();
        async move {
            let group = TaskGroup::new();
            let slow = group.create_task({
                let log = log.clone();
                async move {
                    let _cleanup = OnDrop(log.clone(), "slow cancelled");
                    asyncio::sleep(Duration::from_secs(60)).await;
                    Ok(())
                }
            });
            group.create_task(async {
                asyncio::sleep(Duration::from_millis(1)).await;
                Err::<(), _>("bad")
            });
            (group.wait().await, slow.await)
        }
    })
    .unwrap();
    assert_eq!(result.unwrap_err().failures, [Failure::Error("bad")]);
    assert_eq!(slow, Err(TaskError::Cancelled));
    assert_eq!(*log.borrow(), ["slow cancelled"]);
}

#[test]
fn a_panic_is_a_failure_and_cancels_a_sibling_before_it_can_fail_too() {
    let (result, sibling) = asyncio::run(async {
        let group = TaskGroup::<&str>::new();
        group.create_task(async {
            if true {
                panic!("child panicked");
            }
            Ok(())
        });
        // Scheduled in the same iteration, after the panicking child: the cancellation lands
        // before its first step, so it never runs (as in asyncio, where it would get
        // CancelledError at its first step).
        let sibling = group.create_task(async { Err::<(), _>("child erred") });
        (group.wait().await, sibling.await)
    })
    .unwrap();
    assert_eq!(
        result.unwrap_err().failures,
        [Failure::Panicked("child panicked".to_string())]
    );
    assert_eq!(sibling, Err(TaskError::Cancelled));
}

#[test]
fn the_error_lists_every_failure() {
    let error = asyncio::TaskGroupError {
        failures: vec![Failure::Panicked("p".to_string()), Failure::Error("e")],
    };
    assert_eq!(
        error.to_string(),
        "TaskGroup: 2 children failed: panicked: p; e"
    );
}

#[test]
fn an_empty_group_succeeds_at_once() {
    let result = asyncio::run(async { TaskGroup::<()>::new().wait().await }).unwrap();
    assert_eq!(result, Ok(()));
}

#[test]
fn dropping_the_group_cancels_its_children() {
    let log = Log::default();
    let left = asyncio::run({
        let log = log.clone();
        async move {
            let group = TaskGroup::<()>::new();
            group.create_task({
                let log = log.clone();
                async move {
                    let _cleanup = OnDrop(log, "child cancelled");
                    asyncio::sleep(Duration::from_secs(60)).await;
                    Ok(())
                }
            });
            asyncio::sleep(Duration::ZERO).await; // the child starts
            let timed_out = asyncio::wait_for(Duration::from_millis(1), group.wait()).await;
            assert!(timed_out.is_err());
            asyncio::sleep(Duration::ZERO).await; // the cancellation lands
            asyncio::all_tasks().len()
        }
    })
    .unwrap();
    assert_eq!(left, 1, "only the main task");
    assert_eq!(*log.borrow(), ["child cancelled"]);
}

#[test]
fn a_child_added_after_a_failure_is_cancelled() {
    asyncio::run(async {
        let group = TaskGroup::new();
        group.create_task(async { Err::<i32, _>("first") });
        asyncio::sleep(Duration::ZERO).await;
        asyncio::sleep(Duration::ZERO).await;
        assert!(group.failed());
        let late = group.create_task(async { Ok(1) });
        assert_eq!(
            group.wait().await.unwrap_err().failures,
            [Failure::Error("first")]
        );
        assert_eq!(late.await, Err(TaskError::Cancelled));
    })
    .unwrap();
}
