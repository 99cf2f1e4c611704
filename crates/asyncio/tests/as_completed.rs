//! `as_completed`: completion order, failures in place, the overall timeout, and drop.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::{AsCompletedError, TaskError, anext};

async fn after(ms: u64) -> u64 {
    asyncio::sleep(Duration::from_millis(ms)).await;
    ms
}

#[test]
fn yields_in_completion_order() {
    let order = asyncio::run(async {
        let mut done = asyncio::as_completed([after(30), after(1), after(15)]);
        assert_eq!(done.remaining(), 3);
        let mut order = Vec::new();
        while let Some(ms) = anext(&mut done).await {
            order.push(ms.unwrap());
        }
        assert_eq!(done.remaining(), 0);
        order
    })
    .unwrap();
    assert_eq!(order, [1, 15, 30]);
}

#[test]
fn ties_come_in_the_order_the_children_finished() {
    // Equal sleeps end in the order they were set: the argument order.
    let order = asyncio::run(async {
        let mut done = asyncio::as_completed(["a", "b", "c"].map(|name| async move {
            asyncio::sleep(Duration::ZERO).await;
            name
        }));
        let mut order = Vec::new();
        while let Some(name) = anext(&mut done).await {
            order.push(name.unwrap());
        }
        order
    })
    .unwrap();
    assert_eq!(order, ["a", "b", "c"]);
}

#[test]
fn a_panicking_child_yields_its_error_in_its_place() {
    let outcomes = asyncio::run(async {
        let boom = async {
            asyncio::sleep(Duration::from_millis(1)).await;
            if true {
                panic!("boom");
            }
            0
        };
        let children: Vec<std::pin::Pin<Box<dyn Future<Output = u64>>>> =
            vec![Box::pin(after(10)), Box::pin(boom)];
        let mut done = asyncio::as_completed(children);
        let mut outcomes = Vec::new();
        while let Some(outcome) = anext(&mut done).await {
            outcomes.push(outcome);
        }
        outcomes
    })
    .unwrap();
    assert!(matches!(
        &outcomes[0],
        Err(AsCompletedError::Task(TaskError::Panicked(_)))
    ));
    assert_eq!(outcomes[1], Ok(10));
}

#[test]
fn the_timeout_yields_one_error_then_ends_and_drop_leaves_the_rest_running() {
    let finished = Rc::new(Cell::new(false));
    let (outcomes, left) = asyncio::run({
        let finished = finished.clone();
        async move {
            let slow = async move {
                asyncio::sleep(Duration::from_secs(60)).await;
                finished.set(true);
                60_000
            };
            let children: Vec<std::pin::Pin<Box<dyn Future<Output = u64>>>> =
                vec![Box::pin(slow), Box::pin(after(1))];
            let mut done = asyncio::as_completed_timeout(children, Duration::from_millis(20));
            let mut outcomes = Vec::new();
            while let Some(outcome) = anext(&mut done).await {
                outcomes.push(outcome);
            }
            drop(done);
            asyncio::sleep(Duration::ZERO).await; // a cancellation would have run by now
            let left = asyncio::all_tasks();
            assert!(left.iter().all(|t| !t.cancelled()));
            (outcomes, left.len())
        }
    })
    .unwrap();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0], Ok(1));
    assert_eq!(
        outcomes[1],
        Err(AsCompletedError::Timeout(Duration::from_millis(20)))
    );
    assert_eq!(left, 2, "the main task and the slow child, still running");
    assert!(!finished.get(), "asyncio.run's end cancelled it");
}
