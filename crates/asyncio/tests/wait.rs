//! `wait` with each `ReturnWhen`, with and without a timeout.

use std::time::Duration;

use asyncio::{ReturnWhen, Task, TaskError};

fn sleeper(ms: u64) -> Task<u64> {
    asyncio::create_task(async move {
        asyncio::sleep(Duration::from_millis(ms)).await;
        ms
    })
}

fn names(done: &[asyncio::Done<u64>]) -> Vec<Result<u64, TaskError>> {
    done.iter().map(|d| d.outcome().clone()).collect()
}

#[test]
fn first_completed_returns_with_the_first_done_and_the_rest_pending() {
    asyncio::run(async {
        let (done, pending) = asyncio::wait(
            [sleeper(40), sleeper(1), sleeper(60)],
            ReturnWhen::FirstCompleted,
            None,
        )
        .await;
        assert_eq!(names(&done), [Ok(1)]);
        assert_eq!(pending.len(), 2);
        assert!(pending.iter().all(|t| !t.done()), "wait cancels nothing");
        for task in pending {
            assert!(task.await.is_ok(), "the pending tasks still finish");
        }
    })
    .unwrap();
}

#[test]
fn all_completed_waits_for_every_task_in_given_order() {
    asyncio::run(async {
        let (done, pending) = asyncio::wait(
            [sleeper(20), sleeper(1), sleeper(10)],
            ReturnWhen::AllCompleted,
            None,
        )
        .await;
        assert_eq!(names(&done), [Ok(20), Ok(1), Ok(10)]);
        assert!(pending.is_empty());
    })
    .unwrap();
}

#[test]
fn first_exception_returns_at_the_first_panic() {
    asyncio::run(async {
        let boom = asyncio::create_task(async {
            asyncio::sleep(Duration::from_millis(5)).await;
            if true {
                panic!("boom");
            }
            0u64
        });
        let (done, pending) = asyncio::wait(
            [sleeper(1), boom, sleeper(60)],
            ReturnWhen::FirstException,
            None,
        )
        .await;
        assert_eq!(done.len(), 2, "the quick one and the panicked one");
        assert_eq!(done[0].outcome(), &Ok(1));
        assert!(matches!(done[1].outcome(), Err(TaskError::Panicked(_))));
        assert_eq!(pending.len(), 1);
        pending[0].cancel();
    })
    .unwrap();
}

#[test]
fn first_exception_without_a_panic_waits_for_all_and_ignores_cancellation() {
    asyncio::run(async {
        let cancelled = sleeper(60);
        cancelled.cancel();
        let (done, pending) =
            asyncio::wait([sleeper(5), cancelled], ReturnWhen::FirstException, None).await;
        assert!(
            pending.is_empty(),
            "a cancellation is not an exception: wait went on"
        );
        assert_eq!(names(&done), [Ok(5), Err(TaskError::Cancelled)]);
        assert!(done[1].cancelled());
    })
    .unwrap();
}

#[test]
fn a_timeout_returns_what_is_done_and_leaves_the_rest_running() {
    asyncio::run(async {
        let (done, pending) = asyncio::wait(
            [sleeper(1), sleeper(60_000)],
            ReturnWhen::AllCompleted,
            Some(Duration::from_millis(20)),
        )
        .await;
        assert_eq!(names(&done), [Ok(1)]);
        assert_eq!(pending.len(), 1);
        assert!(!pending[0].done(), "still running after the timeout");
        pending[0].cancel();
    })
    .unwrap();
}

/// asyncio: `await asyncio.wait([])` raises `ValueError('Set of Tasks/Futures is empty.')`;
/// it used to return `([], [])` here.
#[test]
#[should_panic(expected = "Set of Tasks/Futures is empty.")]
fn waiting_for_no_task_panics_with_asyncios_message() {
    let _ = asyncio::run(async {
        let none: Vec<Task<u64>> = Vec::new();
        asyncio::wait(none, ReturnWhen::AllCompleted, None).await
    });
}

async fn job(name: &'static str, ms: u64, fail: bool) -> Result<&'static str, String> {
    asyncio::sleep(Duration::from_millis(ms)).await;
    if fail {
        return Err(format!("ValueError('{name}')"));
    }
    Ok(name)
}

/// Pinned to `tests/python/wait_again.py` under CPython 3.11: `wait` on shared handles,
/// then again on what is left (`FirstException` returns at the task whose `Err` is its
/// exception), then the same tasks awaited afterwards.
#[test]
fn wait_again_on_what_is_left_then_await_the_same_tasks() {
    let lines = asyncio::run(async {
        let mut lines = Vec::new();
        let a = asyncio::create_try_task(job("a", 10, false));
        let b = asyncio::create_try_task(job("b", 30, true));
        let c = asyncio::create_try_task(job("c", 60, false));
        let all = [a.share(), b.share(), c.share()];
        let (done, pending) = asyncio::wait(all, ReturnWhen::FirstCompleted, None).await;
        let first: Vec<_> = done
            .into_iter()
            .map(|d| d.result().unwrap().unwrap())
            .collect();
        lines.push(format!("first {first:?} pending {}", pending.len()));
        let (done, pending) = asyncio::wait(pending, ReturnWhen::FirstException, None).await;
        let then: Vec<_> = done
            .into_iter()
            .map(|d| d.result().unwrap().unwrap_err())
            .collect();
        lines.push(format!("then {then:?} pending {}", pending.len()));
        lines.push(format!("a again {}", (&a).await.unwrap().unwrap()));
        lines.push(format!("c {}", (&c).await.unwrap().unwrap()));
        lines.push(format!(
            "c again {}",
            c.result_cloned().unwrap().unwrap().unwrap()
        ));
        drop(b);
        lines
    })
    .unwrap();
    assert_eq!(
        lines,
        [
            "first [\"a\"] pending 2",
            "then [\"ValueError('b')\"] pending 1",
            "a again a",
            "c c",
            "c again c",
        ]
    );
}
