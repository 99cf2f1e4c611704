//! Task handles: an outcome is never made up (a taken one is asyncio's InvalidStateError),
//! it can be looked at more than once where `T: Clone`, and several parties can await the
//! same task by reference.

use std::time::Duration;

use asyncio_loop::{EventLoop, TaskError, create_task, shield_ref, sleep};

fn hour() -> asyncio_loop::Sleep {
    sleep(Duration::from_secs(3600))
}

/// Regression: awaiting a handle whose output `result()` had taken gave
/// `Err(TaskError::Cancelled)` for a task that finished normally.
#[test]
fn awaiting_a_taken_result_is_invalid_state_not_cancelled() {
    let out = EventLoop::new().run_until_complete(async {
        let task = create_task(async { 5 });
        sleep(Duration::ZERO).await;
        assert_eq!(task.result(), Ok(Ok(5)));
        assert!(!task.cancelled(), "it finished, it was not cancelled");
        let awaiter = create_task(task);
        awaiter.await
    });
    match out {
        Ok(Err(TaskError::Panicked(panic))) => {
            assert!(
                panic.message().starts_with("Result was already taken."),
                "{}",
                panic.message()
            );
        }
        other => panic!("expected the awaiter to fail with InvalidStateError, got {other:?}"),
    }
}

#[test]
fn exception_and_result_cloned_leave_the_outcome_in_place() {
    EventLoop::new()
        .run_until_complete(async {
            let ok = create_task(async { String::from("fine") });
            let failed = create_task(async { panic!("boom") });
            assert!(ok.exception().is_err(), "pending: InvalidStateError");
            sleep(Duration::ZERO).await;
            assert_eq!(ok.exception(), Ok(None));
            assert_eq!(ok.result_cloned(), Ok(Ok("fine".to_owned())));
            assert_eq!(ok.result_cloned(), Ok(Ok("fine".to_owned())));
            match failed.exception() {
                Ok(Some(TaskError::Panicked(p))) => assert_eq!(p.message(), "boom"),
                other => panic!("{other:?}"),
            }
            assert_eq!(ok.await, Ok("fine".to_owned()));
            assert!(failed.result().is_ok());
            assert_eq!(
                failed.exception().unwrap_err().message(),
                "Result was already taken."
            );
        })
        .unwrap();
}

#[test]
fn several_tasks_await_the_same_task_by_reference() {
    let out = EventLoop::new().run_until_complete(async {
        let shared = std::rc::Rc::new(create_task(async {
            sleep(Duration::from_millis(1)).await;
            vec![1, 2, 3]
        }));
        let mut watchers = Vec::new();
        for i in 0..3 {
            let shared = std::rc::Rc::clone(&shared);
            watchers.push(create_task(async move {
                let v = (&*shared).await.unwrap();
                v.iter().sum::<i32>() * i
            }));
        }
        let mut sums = Vec::new();
        for w in watchers {
            sums.push(w.await.unwrap());
        }
        let owner = std::rc::Rc::try_unwrap(shared).ok().unwrap();
        (sums, owner.await)
    });
    assert_eq!(out, Ok((vec![0, 6, 12], Ok(vec![1, 2, 3]))));
}

/// asyncio: cancelling a task that awaits another cancels that one too (`await t`), but
/// not through `shield(t)`.
#[test]
fn cancelling_an_awaiter_by_reference_propagates_unless_shielded() {
    EventLoop::new()
        .run_until_complete(async {
            let target = std::rc::Rc::new(create_task(hour()));
            let t = std::rc::Rc::clone(&target);
            let shielded = create_task(async move { shield_ref(&*t).await.is_ok() });
            sleep(Duration::ZERO).await;
            shielded.cancel();
            assert_eq!(shielded.await, Err(TaskError::Cancelled));
            assert!(!target.done(), "shield_ref kept the task running");

            let t = std::rc::Rc::clone(&target);
            let awaiting = create_task(async move { (&*t).await.is_ok() });
            sleep(Duration::ZERO).await;
            awaiting.cancel();
            assert_eq!(awaiting.await, Err(TaskError::Cancelled));
            assert!(
                target.cancelled(),
                "awaiting by reference propagates the cancel"
            );
        })
        .unwrap();
}
