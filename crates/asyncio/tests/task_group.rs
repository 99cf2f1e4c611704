//! `TaskGroup`: all children succeed, a failure (an `Err` or a panic) cancels the others,
//! every failure is reported, and leaving the group early cancels what is left.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio::{Failure, Task, TaskError, TaskGroup, catch_cancelled};
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
    assert_eq!((a, b), (Ok(Ok("a")), Ok(Ok("b"))));
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
    assert_eq!(
        result.unwrap_err().failures,
        [Failure::Error(Rc::new("bad"))]
    );
    assert_eq!(slow, Err(TaskError::Cancelled));
    assert_eq!(*log.borrow(), ["slow cancelled"]);
}

/// asyncio cancels the siblings when the loop runs the failed child's done callback, the
/// iteration after: a sibling already scheduled in the failing iteration still runs its
/// step, and its failure is collected too (the old behaviour cancelled it on the spot).
#[test]
fn a_panic_is_a_failure_and_a_sibling_ready_in_the_same_iteration_still_runs() {
    let (result, sibling) = asyncio::run(async {
        let group = TaskGroup::<&str>::new();
        group.create_task(async {
            if true {
                panic!("child panicked");
            }
            Ok(())
        });
        let sibling = group.create_task(async { Err::<(), _>("child erred") });
        (group.wait().await, sibling.await)
    })
    .unwrap();
    assert_eq!(
        result.unwrap_err().failures,
        [
            Failure::Panicked("child panicked".to_string()),
            Failure::Error(Rc::new("child erred"))
        ]
    );
    assert_eq!(sibling, Ok(Err(Failure::Error(Rc::new("child erred")))));
}

#[test]
fn the_error_lists_every_failure() {
    let error = asyncio::TaskGroupError {
        failures: vec![
            Failure::Panicked("p".to_string()),
            Failure::Error(Rc::new("e")),
        ],
    };
    assert_eq!(
        error.to_string(),
        "unhandled errors in a TaskGroup (2 sub-exceptions)"
    );
    let listed: Vec<String> = error.failures.iter().map(ToString::to_string).collect();
    assert_eq!(listed, ["panicked: p", "e"]);
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
            [Failure::Error(Rc::new("first"))]
        );
        assert_eq!(late.await, Err(TaskError::Cancelled));
    })
    .unwrap();
}

/// Trace lines, and a ticker that marks iterations.
#[derive(Clone, Default)]
struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    fn push(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    fn ticker(&self, n: u32, limit: u32) {
        self.push(format!("iter {n}"));
        if n < limit {
            let next = self.clone();
            asyncio::get_running_loop()
                .unwrap()
                .call_soon(move || next.ticker(n + 1, limit));
        }
    }
}

/// `child()` of tests/python/task_group_order.py.
async fn child(
    trace: Trace,
    name: &'static str,
    steps: u32,
    fail: bool,
) -> Result<&'static str, String> {
    let work = async {
        for i in 0..steps {
            trace.push(format!("{name} step {i}"));
            asyncio::sleep(Duration::ZERO).await;
        }
    };
    if let Err(cancelled) = catch_cancelled(work).await {
        trace.push(format!("{name} cancelled, cleaning up"));
        asyncio::sleep(Duration::ZERO).await;
        trace.push(format!("{name} cleanup done"));
        return cancelled.reraise().await;
    }
    if fail {
        return Err(name.to_owned());
    }
    Ok(name)
}

type Handles = Rc<RefCell<Vec<Task<Result<&'static str, Failure<String>>>>>>;

fn expect(trace: &Trace, expected: &str) {
    let expected: Vec<String> = expected.lines().map(|l| l.trim().to_owned()).collect();
    assert_eq!(*trace.0.borrow(), expected);
}

/// Pinned to the `siblings` part of tests/python/task_group_order.py (CPython 3.11).
#[test]
fn failures_cancel_siblings_and_the_body_a_loop_later_as_asyncio() {
    let trace = Trace::default();
    asyncio::run({
        let trace = trace.clone();
        async move {
            trace.push("-- siblings");
            let first = trace.clone();
            asyncio::get_running_loop()
                .unwrap()
                .call_soon(move || first.ticker(1, 8));
            let handles = Handles::default();
            let kept = handles.clone();
            let body_trace = trace.clone();
            let result = asyncio::task_group(|tg| async move {
                let t = &body_trace;
                kept.borrow_mut()
                    .push(tg.create_task(child(t.clone(), "a", 1, true)));
                kept.borrow_mut()
                    .push(tg.create_task(child(t.clone(), "b", 1, true)));
                kept.borrow_mut()
                    .push(tg.create_task(child(t.clone(), "c", 5, false)));
                t.push("body waits");
                if let Err(cancelled) =
                    catch_cancelled(asyncio::sleep(Duration::from_secs(3600))).await
                {
                    t.push("body cancelled");
                    return cancelled.reraise().await;
                }
                Ok(())
            })
            .await;
            let failures: Vec<String> = result
                .unwrap_err()
                .failures
                .iter()
                .map(ToString::to_string)
                .collect();
            trace.push(format!("group failed {failures:?}"));
            let handles = handles.take();
            let error = |i: usize| match handles[i].result_cloned() {
                Ok(Ok(Err(failure))) => format!("ValueError('{failure}')"),
                other => format!("{other:?}"),
            };
            trace.push(format!(
                "a {} b {} c cancelled {}",
                error(0),
                error(1),
                if handles[2].cancelled() {
                    "True"
                } else {
                    "False"
                }
            ));
            asyncio::sleep(Duration::from_millis(10)).await;
        }
    })
    .unwrap();
    expect(
        &trace,
        r#"-- siblings
        body waits
        iter 1
        a step 0
        b step 0
        c step 0
        iter 2
        c step 1
        iter 3
        c cancelled, cleaning up
        iter 4
        body cancelled
        c cleanup done
        iter 5
        iter 6
        group failed ["a", "b"]
        a ValueError('a') b ValueError('b') c cancelled True
        iter 7
        iter 8"#,
    );
}

/// Pinned to the `body fails` part of tests/python/task_group_order.py: the children are
/// cancelled and waited for, their cleanup included, before the body's failure is reported.
#[test]
fn a_failing_body_cancels_and_awaits_the_children_as_asyncio() {
    let trace = Trace::default();
    asyncio::run({
        let trace = trace.clone();
        async move {
            trace.push("-- body fails");
            let handles = Handles::default();
            let kept = handles.clone();
            let t = trace.clone();
            let result = asyncio::task_group(|tg| async move {
                kept.borrow_mut()
                    .push(tg.create_task(child(t, "c", 5, false)));
                asyncio::sleep(Duration::ZERO).await;
                Err::<(), _>("body".to_owned())
            })
            .await;
            let failures: Vec<String> = result
                .unwrap_err()
                .failures
                .iter()
                .map(ToString::to_string)
                .collect();
            trace.push(format!("group failed {failures:?}"));
            let cancelled = handles.borrow()[0].cancelled();
            trace.push(format!(
                "c cancelled {}",
                if cancelled { "True" } else { "False" }
            ));
        }
    })
    .unwrap();
    expect(
        &trace,
        r#"-- body fails
        c step 0
        c cancelled, cleaning up
        c cleanup done
        group failed ["body"]
        c cancelled True"#,
    );
}

/// A cancellation of the task from outside is passed on once the children have finished
/// their cleanup; the group's own cancellation of the body never leaks out.
#[test]
fn an_outside_cancellation_passes_through_the_group_after_the_children() {
    let trace = Trace::default();
    let out = asyncio::run({
        let trace = trace.clone();
        async move {
            let t = trace.clone();
            let outer = asyncio::create_task(async move {
                let result: Result<(), _> = asyncio::task_group(|tg| async move {
                    tg.create_task(child(t.clone(), "c", 100, false));
                    asyncio::sleep(Duration::from_secs(3600)).await;
                    Ok::<_, String>(())
                })
                .await;
                let _ = result;
                "not reached"
            });
            asyncio::sleep(Duration::ZERO).await;
            asyncio::sleep(Duration::ZERO).await;
            outer.cancel();
            outer.await
        }
    })
    .unwrap();
    assert_eq!(out, Err(TaskError::Cancelled));
    let lines = trace.0.borrow();
    assert!(
        lines.ends_with(&[
            "c cancelled, cleaning up".to_owned(),
            "c cleanup done".to_owned()
        ]),
        "{lines:?}"
    );
}
