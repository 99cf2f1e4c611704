//! Panics are caught per task and kept; nobody-retrieved ones reach the exception handler;
//! the loop goes on. A panic in the main future comes out of `run_until_complete`.

use std::cell::RefCell;
use std::future::Future as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use asyncio_loop::{
    EventLoop, ExceptionContext, TaskError, all_tasks, create_task, create_task_named,
    current_task, sleep,
};

/// Collects the exception handler's reports as "message / task name / panic message".
fn capture(event_loop: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        r.borrow_mut().push(format!(
            "{} / {} / {}",
            context.message(),
            context.task().map(|t| t.name()).unwrap_or_default(),
            context
                .panic()
                .map(|p| p.message().to_owned())
                .unwrap_or_default()
        ));
    }));
    reports
}

#[test]
fn awaiting_a_panicked_task_gives_the_panic_and_the_loop_goes_on() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let out = event_loop.run_until_complete(async {
        let bad = create_task(async {
            sleep(Duration::ZERO).await;
            panic!("boom");
        });
        let good = create_task(async {
            sleep(Duration::ZERO).await;
            sleep(Duration::ZERO).await;
            "fine"
        });
        let bad = bad.await;
        (bad, good.await)
    });
    let (bad, good) = out.unwrap();
    match bad {
        Err(TaskError::Panicked(panic)) => assert_eq!(panic.message(), "boom"),
        other => panic!("expected a panic, got {other:?}"),
    }
    assert_eq!(good, Ok("fine"));
    assert!(
        reports.borrow().is_empty(),
        "a retrieved panic is not reported"
    );
}

#[test]
fn a_detached_panicking_task_is_reported_with_its_name() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    event_loop
        .run_until_complete(async {
            drop(create_task_named("doomed", async { panic!("lost") }));
            sleep(Duration::ZERO).await;
            sleep(Duration::ZERO).await;
        })
        .unwrap();
    assert_eq!(
        *reports.borrow(),
        ["Task exception was never retrieved / doomed / lost"]
    );
}

#[test]
fn a_held_but_unretrieved_panic_is_reported_when_the_handle_drops() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let task = event_loop.create_task(async { panic!("kept") });
    let name = task.name();
    event_loop.run_once().unwrap();
    assert!(task.done() && !task.cancelled());
    assert!(reports.borrow().is_empty());
    drop(task);
    assert_eq!(
        *reports.borrow(),
        [format!(
            "Task exception was never retrieved / {name} / kept"
        )]
    );
}

#[test]
fn a_panic_in_the_main_future_is_resumed_and_the_loop_stays_usable() {
    let event_loop = EventLoop::new();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        event_loop.run_until_complete(async {
            sleep(Duration::ZERO).await;
            panic!("main failed");
        })
    }));
    let payload = caught.expect_err("the panic comes out of run_until_complete");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"main failed"));
    assert!(!event_loop.is_running());
    assert_eq!(event_loop.run_until_complete(async { 3 }), Ok(3));
}

#[test]
fn a_panicking_callback_is_reported_and_the_loop_goes_on() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    event_loop.call_soon(|| panic!("callback broke"));
    let after = Rc::new(RefCell::new(false));
    let a = after.clone();
    event_loop.call_soon(move || *a.borrow_mut() = true);
    event_loop.run_once().unwrap();
    assert!(*after.borrow());
    assert_eq!(
        *reports.borrow(),
        ["Exception in callback /  / callback broke"]
    );
}

/// A value whose `Drop` panics with its message.
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// Runs `future` to completion on `event_loop`, failing (not unwinding) if a panic escapes.
fn run_surviving<T>(event_loop: &EventLoop, future: impl std::future::Future<Output = T>) -> T {
    let out = catch_unwind(AssertUnwindSafe(|| event_loop.run_until_complete(future)));
    match out {
        Ok(Ok(out)) => out,
        Ok(Err(error)) => panic!("the run failed: {error}"),
        Err(_) => panic!("a panic escaped run_until_complete"),
    }
}

/// After a run that met a stray panic, nothing is left registered: no phantom main task in
/// `all_tasks()`, and a later run that cancels every other task is not stopped by it (a
/// main task's end queues a `stop`).
fn assert_no_phantom(event_loop: &EventLoop) {
    let left: Vec<String> = event_loop.all_tasks().iter().map(|t| t.name()).collect();
    assert!(left.is_empty(), "tasks left behind: {left:?}");
    let out = event_loop.run_until_complete(async {
        let me = current_task().unwrap();
        for task in all_tasks() {
            if task != me {
                task.cancel();
            }
        }
        sleep(Duration::from_millis(2)).await;
        "later run"
    });
    assert_eq!(out, Ok("later run"));
}

#[test]
fn a_detached_tasks_output_that_panics_when_dropped_is_reported() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let out = run_surviving(&event_loop, async {
        drop(create_task(async { PanicsOnDrop("output dropped") }));
        sleep(Duration::ZERO).await;
        sleep(Duration::ZERO).await;
        "main done"
    });
    assert_eq!(out, "main done");
    let reports = reports.borrow().clone();
    assert!(
        reports.iter().any(|r| r.ends_with("/ output dropped")),
        "not reported: {reports:?}"
    );
    assert_no_phantom(&event_loop);
}

#[test]
#[cfg_attr(
    miri,
    ignore = "the second payload is leaked on purpose, which Miri reports"
)]
fn a_panic_payload_that_panics_when_dropped_is_reported() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let out = run_surviving(&event_loop, async {
        let doomed = create_task_named("doomed", async {
            std::panic::panic_any(PanicsOnDrop("payload dropped"));
        });
        let outcome = doomed.await;
        matches!(outcome, Err(TaskError::Panicked(_)))
    });
    assert!(out, "the task's own panic is its outcome");
    let reports = reports.borrow().clone();
    assert!(
        reports
            .iter()
            .any(|r| r.contains("/ doomed /") && r.ends_with("/ payload dropped")),
        "not reported: {reports:?}"
    );
    assert_no_phantom(&event_loop);
}

/// A waker of someone else's making that panics when woken.
struct PanicsOnWake;

impl Wake for PanicsOnWake {
    fn wake(self: Arc<Self>) {
        panic!("foreign waker");
    }
}

#[test]
fn a_foreign_waker_that_panics_when_its_timer_fires_is_reported() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let out = run_surviving(&event_loop, async {
        let waker = Waker::from(Arc::new(PanicsOnWake));
        let mut armed = Box::pin(sleep(Duration::from_millis(1)));
        let polled = armed.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(polled.is_pending());
        // The 1 ms timer fires first and wakes the foreign waker.
        sleep(Duration::from_millis(5)).await;
        drop(armed);
        "main done"
    });
    assert_eq!(out, "main done");
    let reports = reports.borrow().clone();
    assert!(
        reports.iter().any(|r| r.ends_with("/ foreign waker")),
        "not reported: {reports:?}"
    );
    assert_no_phantom(&event_loop);
}
