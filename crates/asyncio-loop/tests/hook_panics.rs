//! Panics in the loop's other callbacks and hooks (issue 15; `panics.rs` has the call_soon
//! callback, task output and payload drops and a foreign waker at a timer, `threads.rs`
//! the wake hook, `lifecycle.rs` drops at `close`, asyncio-pool's `unwind.rs` the pool's):
//! a timer callback, a task's and a future's done callback, a signal handler's callback and
//! the exception handler itself. Each is caught and reported through the exception handler
//! (asyncio's "Exception in callback ..."), and the loop goes on with what comes next.

use std::cell::{Cell, RefCell};
use std::process::Command;
use std::rc::Rc;
use std::time::Duration;

use asyncio_loop::{EventLoop, ExceptionContext, get_running_loop, sleep};

/// Collects the exception handler's reports as "message / panic message".
fn capture(event_loop: &EventLoop) -> Rc<RefCell<Vec<String>>> {
    let reports = Rc::new(RefCell::new(Vec::new()));
    let r = reports.clone();
    event_loop.set_exception_handler(Some(move |context: &ExceptionContext| {
        r.borrow_mut().push(format!(
            "{} / {}",
            context.message(),
            context
                .panic()
                .map(|p| p.message().to_owned())
                .unwrap_or_default()
        ));
    }));
    reports
}

/// Whether one report is `Exception in callback ...` and carries `panic`'s message.
fn reported(reports: &[String], panic: &str) -> bool {
    reports
        .iter()
        .any(|r| r.starts_with("Exception in callback") && r.ends_with(&format!("/ {panic}")))
}

#[test]
fn a_panicking_timer_callback_is_reported_and_later_timers_fire() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let fired = Rc::new(Cell::new(false));
    event_loop.call_later(Duration::from_millis(1), || panic!("timer broke"));
    let f = fired.clone();
    event_loop.call_later(Duration::from_millis(2), move || f.set(true));
    event_loop
        .run_until_complete(sleep(Duration::from_millis(5)))
        .unwrap();
    assert!(fired.get(), "the later timer fired");
    assert!(reported(&reports.borrow(), "timer broke"), "{reports:?}");
}

#[test]
fn a_panicking_done_callback_of_a_task_is_reported_and_the_next_runs() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let next_ran = Rc::new(Cell::new(false));
    let n = next_ran.clone();
    let out = event_loop.run_until_complete(async move {
        let task = get_running_loop().unwrap().create_task(async { 7 });
        task.add_done_callback(|_| panic!("done callback broke"));
        task.add_done_callback(move |_| n.set(true));
        let out = task.await;
        // The done callbacks run in the iterations after the task finished.
        sleep(Duration::ZERO).await;
        out
    });
    assert_eq!(out, Ok(Ok(7)));
    assert!(next_ran.get(), "the next done callback ran");
    assert!(
        reported(&reports.borrow(), "done callback broke"),
        "{reports:?}"
    );
}

#[test]
fn a_panicking_done_callback_of_a_future_is_reported_and_the_next_runs() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let future = event_loop.create_future::<u32>();
    future.add_done_callback(|_| panic!("future callback broke"));
    let next_ran = Rc::new(Cell::new(false));
    let n = next_ran.clone();
    future.add_done_callback(move |f| n.set(f.result() == Ok(Ok(3))));
    future.set_result(3).unwrap();
    event_loop
        .run_until_complete(sleep(Duration::ZERO))
        .unwrap();
    assert!(
        next_ran.get(),
        "the next done callback ran, with the result"
    );
    assert!(
        reported(&reports.borrow(), "future callback broke"),
        "{reports:?}"
    );
}

#[cfg(unix)]
#[test]
fn a_panicking_signal_handler_is_reported_and_runs_again_at_the_next_signal() {
    let event_loop = EventLoop::new();
    let reports = capture(&event_loop);
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    event_loop
        .add_signal_handler(libc::SIGUSR2, move || {
            c.set(c.get() + 1);
            panic!("signal handler broke");
        })
        .unwrap();
    for _ in 0..2 {
        // SAFETY: SIGUSR2 has the loop's handler installed; no other test of this file
        // (one process) uses it.
        assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
        // The wake-up pipe's reader, then the queued callback.
        event_loop
            .run_until_complete(async {
                for _ in 0..3 {
                    sleep(Duration::ZERO).await;
                }
            })
            .unwrap();
    }
    assert_eq!(calls.get(), 2, "the handler stayed installed");
    let reports = reports.borrow();
    let broke = reports
        .iter()
        .filter(|r| r.ends_with("/ signal handler broke"))
        .count();
    assert_eq!(broke, 2, "{reports:?}");
    assert!(event_loop.remove_signal_handler(libc::SIGUSR2).unwrap());
    event_loop.close().unwrap();
}

#[test]
fn a_panicking_exception_handler_stays_inside_the_loop_and_stays_installed() {
    let event_loop = EventLoop::new();
    let calls = Rc::new(Cell::new(0));
    let c = calls.clone();
    event_loop.set_exception_handler(Some(move |_: &ExceptionContext| {
        c.set(c.get() + 1);
        panic!("handler broke");
    }));
    let after = Rc::new(Cell::new(false));
    event_loop.call_soon(|| panic!("first"));
    let a = after.clone();
    event_loop.call_soon(move || a.set(true));
    event_loop.call_soon(|| panic!("second"));
    // The handler's own panic goes to the default handler (stderr), not out of the run.
    let out = event_loop.run_until_complete(async {
        sleep(Duration::ZERO).await;
        "run done"
    });
    assert_eq!(out, Ok("run done"));
    assert!(after.get(), "the callback between the two ran");
    assert_eq!(calls.get(), 2, "the handler was called for both");
    event_loop.close().unwrap();
}

/// Set in the child process of the test below, which runs the scenario.
const CHILD: &str = "ASYNCIO_HOOK_PANICS_CHILD";

/// asyncio's default handler reports a failing handler as "Unhandled error in exception
/// handler", with its exception and the context it was handling. The default handler
/// writes to stderr, so the scenario runs in a child process (this test binary again)
/// whose stderr is read.
#[test]
fn a_panicking_exception_handler_is_reported_with_what_it_was_handling() {
    const NAME: &str = "a_panicking_exception_handler_is_reported_with_what_it_was_handling";
    if std::env::var_os(CHILD).is_some() {
        let event_loop = EventLoop::new();
        event_loop.set_exception_handler(Some(|_: &ExceptionContext| panic!("handler broke")));
        event_loop.call_soon(|| panic!("callback broke"));
        event_loop
            .run_until_complete(sleep(Duration::ZERO))
            .unwrap();
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(child.status.success(), "the child failed: {child:?}");
    let stderr = String::from_utf8_lossy(&child.stderr);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("Unhandled error") || line.starts_with("Exception in"))
        .collect();
    assert_eq!(
        lines,
        [
            "Unhandled error in exception handler; panicked: handler broke",
            "Exception in callback; panicked: callback broke",
        ],
        "stderr: {stderr}"
    );
}
