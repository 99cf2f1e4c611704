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
    // Only the slow task's step must be reported; on a slow run (Miri, a loaded CI) the
    // main task's quick steps may pass the 50 ms mark too, and are reported as well.
    let reports: Vec<String> = reports
        .borrow()
        .iter()
        .filter(|r| r.contains("slowpoke"))
        .cloned()
        .collect();
    assert_eq!(reports.len(), 1, "{reports:?}");
    // The figure is however long the step took on this machine (at least the 0.150 s it
    // slept; more under Miri or a loaded CI): only its form is asyncio's.
    let took = reports[0]
        .strip_prefix("Executing <Task pending name='slowpoke'> took ")
        .and_then(|rest| rest.strip_suffix(" seconds"))
        .unwrap_or_else(|| panic!("{}", reports[0]));
    let (whole, millis) = took.split_once('.').expect("seconds with a fraction");
    assert!(whole.parse::<u64>().is_ok() && millis.len() == 3, "{took}");
    assert!(took.parse::<f64>().unwrap() >= 0.15, "{took}");
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
