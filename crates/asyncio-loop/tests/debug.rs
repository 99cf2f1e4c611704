//! Debug mode: slow steps are reported with the task's name; closing with pending tasks
//! reports them. Reports are captured through the exception handler, never timed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio_loop::{EventLoop, ExceptionContext, create_task_named, sleep};

fn capture(event_loop: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |c: &ExceptionContext| {
        r.borrow_mut().push(c.message().to_owned());
    }));
    reports
}

#[test]
fn a_slow_step_is_reported_with_the_task_name() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    event_loop.set_debug(true);
    assert!(event_loop.get_debug());
    event_loop.set_slow_callback_duration(Duration::from_millis(50));
    event_loop
        .run_until_complete(async {
            let slow = create_task_named("slowpoke", async {
                // Blocking the loop on purpose: that is what is being detected.
                std::thread::sleep(Duration::from_millis(150));
            });
            slow.await.unwrap();
        })
        .unwrap();
    let reports = reports.borrow();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("Executing <Task pending name='slowpoke'> took 0."),
        "{}",
        reports[0]
    );
    assert!(reports[0].ends_with(" seconds"));
}

#[test]
fn fast_steps_and_non_debug_loops_report_nothing() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    event_loop.set_debug(false);
    event_loop.set_slow_callback_duration(Duration::ZERO);
    event_loop
        .run_until_complete(sleep(Duration::ZERO))
        .unwrap();
    assert!(reports.borrow().is_empty());
}

#[test]
fn closing_with_pending_tasks_reports_them() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    event_loop.set_debug(true);
    let task = event_loop.create_task_named("left-behind", sleep(Duration::from_secs(3600)));
    event_loop.run_once().unwrap();
    event_loop.close().unwrap();
    assert_eq!(*reports.borrow(), ["Task was destroyed but it is pending!"]);
    assert!(task.cancelled());
}
