//! Panics are caught per task and kept; nobody-retrieved ones reach the exception handler;
//! the loop goes on. A panic in the main future comes out of `run_until_complete`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio_loop::{EventLoop, ExceptionContext, TaskError, create_task, create_task_named, sleep};

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
