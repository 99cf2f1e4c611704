//! Every misuse is a clear error with asyncio's message, never a hang or a silent no-op.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use asyncio_loop::{
    CancelledError, EventLoop, InvalidStateError, IoError, RunError, TaskError, create_task,
    create_task_named, get_event_loop, get_running_loop, set_event_loop, shield, sleep,
};

/// Runs `f` on a fresh thread and fails the test if it takes longer than a few seconds.
fn within_bound<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    // Generous: a hang fails after this instead of stalling CI; slow runs (Miri) still pass.
    rx.recv_timeout(Duration::from_secs(120))
        .expect("hung (or panicked)")
}

/// asyncio's RuntimeError, which the awaiting task ends with as its panic.
fn different_loop(awaiting: &str, awaited: &str) -> String {
    format!(
        "Task <Task pending name='{awaiting}'> got Future <Task pending name='{awaited}'> \
         attached to a different loop"
    )
}

/// A task of loop A awaited by a task running on loop B: loop A does not run, so the wait
/// would never end. asyncio raises RuntimeError in the awaiting task instead.
#[test]
fn awaiting_a_task_of_another_loop_fails_the_awaiting_task() {
    let messages = within_bound(|| {
        let loop_a = EventLoop::new();
        let theirs = loop_a.create_task_named("theirs", async { 1 });
        let also_theirs = loop_a.create_task_named("also_theirs", async { 2 });
        let loop_b = EventLoop::new();
        let out = loop_b.run_until_complete(async move {
            let direct = create_task_named("awaiting", theirs);
            let shielded = create_task_named("shielding", shield(also_theirs));
            (direct.await, shielded.await)
        });
        let (direct, shielded) = out.unwrap();
        [direct, shielded].map(|outcome| match outcome {
            Err(TaskError::Panicked(panic)) => panic.message().to_owned(),
            other => format!("not a panic: {other:?}"),
        })
    });
    assert_eq!(
        messages,
        [
            different_loop("awaiting", "theirs"),
            different_loop("shielding", "also_theirs")
        ]
    );
}

/// The same from `run_until_complete`'s own future: the panic comes out of the run.
#[test]
fn run_until_complete_of_a_task_of_another_loop_fails() {
    let message = within_bound(|| {
        let loop_a = EventLoop::new();
        let theirs = loop_a.create_task_named("theirs", async { 1 });
        let loop_b = EventLoop::new();
        let caught = catch_unwind(AssertUnwindSafe(|| loop_b.run_until_complete(theirs)));
        let payload = caught.expect_err("the run must fail, not complete");
        let message = payload.downcast_ref::<String>().cloned();
        // Both loops stay usable.
        assert_eq!(loop_b.run_until_complete(async { 3 }), Ok(3));
        assert_eq!(loop_a.run_until_complete(async { 4 }), Ok(4));
        message
    });
    let message = message.expect("a formatted message");
    assert!(
        message.starts_with("Task <Task pending name='Task-")
            && message
                .ends_with("got Future <Task pending name='theirs'> attached to a different loop"),
        "{message}"
    );
}

#[test]
fn running_a_running_loop_is_an_error() {
    let event_loop = EventLoop::new();
    let el = event_loop.clone();
    let out = event_loop.run_until_complete(async move {
        (
            el.run_until_complete(async {}).err(),
            el.run_forever().err(),
            el.run_once().err(),
            el.close().err(),
        )
    });
    let (a, b, c, d) = out.unwrap();
    assert_eq!(a, Some(RunError::AlreadyRunning));
    assert_eq!(b, Some(RunError::AlreadyRunning));
    assert_eq!(c, Some(RunError::AlreadyRunning));
    assert_eq!(d, Some(RunError::CloseRunning));
    assert_eq!(
        RunError::AlreadyRunning.to_string(),
        "This event loop is already running"
    );
    assert_eq!(
        RunError::CloseRunning.to_string(),
        "Cannot close a running event loop"
    );
}

#[test]
fn running_another_loop_inside_a_running_one_is_an_error() {
    let outer = EventLoop::new();
    let out = outer.run_until_complete(async {
        let inner = EventLoop::new();
        inner.run_until_complete(async { 1 })
    });
    assert_eq!(out, Ok(Err(RunError::NestedRun)));
    assert_eq!(
        RunError::NestedRun.to_string(),
        "Cannot run the event loop while another loop is running"
    );
}

#[test]
fn a_closed_loop_refuses_to_run() {
    let event_loop = EventLoop::new();
    event_loop.close().unwrap();
    assert!(event_loop.is_closed());
    assert_eq!(
        event_loop.run_until_complete(async {}),
        Err(RunError::Closed)
    );
    assert_eq!(event_loop.run_forever(), Err(RunError::Closed));
    assert_eq!(event_loop.run_once(), Err(RunError::Closed));
    assert_eq!(RunError::Closed.to_string(), "Event loop is closed");
    assert_eq!(
        RunError::Cancelled.to_string(),
        CancelledError::new().to_string()
    );
    assert_eq!(event_loop.close(), Ok(()), "close is idempotent");
    assert_eq!(
        event_loop.handle().call_soon_threadsafe(|| {}),
        Err(RunError::Closed)
    );
}

/// Expected trace of tests/python/create_task_closed.py: asyncio's `create_task` on a
/// closed loop raises `RuntimeError('Event loop is closed')` (it used to give a task born
/// cancelled here); the body never runs. The same for every spawner on the loop's thread.
/// One order differs, as Rust forces: Python's caller still holds the coroutine, dropped
/// after the `except` ("RuntimeError" then "future dropped"); here the future was moved
/// into the call, which drops it before it panics.
#[test]
fn create_task_on_a_closed_loop_panics_with_asyncios_message() {
    struct Guard(std::rc::Rc<std::cell::RefCell<Vec<String>>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.borrow_mut().push("future dropped".to_owned());
        }
    }
    let event_loop = EventLoop::new();
    event_loop.close().unwrap();
    let trace = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let spawners: [(&str, &dyn Fn(Guard)); 4] = [
        ("create_task", &|guard| {
            drop(event_loop.create_task(async move {
                guard.0.borrow_mut().push("body ran".to_owned());
            }))
        }),
        ("create_task_named", &|guard| {
            drop(event_loop.create_task_named("t", async move {
                guard.0.borrow_mut().push("body ran".to_owned());
            }))
        }),
        ("create_task_with_context", &|guard| {
            let context = asyncio_contextvars::Context::new();
            drop(event_loop.create_task_with_context(&context, async move {
                guard.0.borrow_mut().push("body ran".to_owned());
            }))
        }),
        ("create_task_at", &|guard| {
            let here = std::panic::Location::caller();
            drop(event_loop.create_task_at(
                async move {
                    guard.0.borrow_mut().push("body ran".to_owned());
                },
                here,
            ))
        }),
    ];
    for (name, spawn) in spawners {
        trace.borrow_mut().clear();
        let guard = Guard(trace.clone());
        let payload = catch_unwind(AssertUnwindSafe(|| spawn(guard))).expect_err(name);
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap();
        trace.borrow_mut().push(format!("RuntimeError: {message}"));
        trace.borrow_mut().push("end".to_owned());
        assert_eq!(
            *trace.borrow(),
            [
                "future dropped",
                "RuntimeError: Event loop is closed",
                "end"
            ],
            "{name}"
        );
    }
}

#[test]
#[cfg(unix)]
#[cfg_attr(miri, ignore = "Miri has no sockets")]
fn add_reader_on_a_closed_loop_is_refused_with_asyncios_message() {
    let event_loop = EventLoop::new();
    event_loop.close().unwrap();
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let refused = event_loop.add_reader(&a, || {}).unwrap_err();
    assert!(matches!(refused, IoError::Closed));
    assert_eq!(refused.to_string(), "Event loop is closed");
}

/// asyncio's `call_soon`, `call_later` and `call_at` raise `RuntimeError('Event loop is
/// closed')`; here they panic with it (the callback used to be dropped silently), and
/// `call_soon_threadsafe` returns it.
#[test]
fn scheduling_on_a_closed_loop_panics_with_asyncios_message() {
    let event_loop = EventLoop::new();
    event_loop.close().unwrap();
    let message_of = |f: &dyn Fn()| -> String {
        let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    };
    let soon = message_of(&|| drop(event_loop.call_soon(|| {})));
    let later = message_of(&|| drop(event_loop.call_later(Duration::ZERO, || {})));
    let at = message_of(&|| drop(event_loop.call_at(std::time::Instant::now(), || {})));
    for message in [soon, later, at] {
        assert_eq!(message, "Event loop is closed");
    }
    assert_eq!(
        event_loop.handle().call_soon_threadsafe(|| {}),
        Err(RunError::Closed)
    );
}

#[test]
fn stopping_before_the_future_completes_is_an_error() {
    let event_loop = EventLoop::new();
    let el = event_loop.clone();
    let out = event_loop.run_until_complete(async move {
        el.stop();
        sleep(Duration::from_secs(3600)).await;
    });
    assert_eq!(out, Err(RunError::StoppedBeforeComplete));
    assert!(!event_loop.is_running());
}

#[test]
fn no_running_loop() {
    let error = get_running_loop().unwrap_err();
    assert_eq!(error.to_string(), "no running event loop");
    let caught = std::panic::catch_unwind(|| drop(create_task(async {})));
    let payload = caught.unwrap_err();
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(message.contains("no running event loop"), "{message}");
}

#[test]
fn results_asked_too_early_or_set_twice() {
    let event_loop = EventLoop::new();
    let task = event_loop.create_task(async { 1 });
    assert_eq!(task.result().unwrap_err().message(), "Result is not set.");
    event_loop.run_once().unwrap();
    assert_eq!(task.result(), Ok(Ok(1)));
    assert!(task.result().is_err(), "the output is taken once");
    let future = event_loop.create_future::<u8>();
    assert!(future.result().is_err());
    future.set_result(1).unwrap();
    let twice: Result<(), InvalidStateError> = future.set_result(2);
    // CPython's C Future: `InvalidStateError('invalid state')`.
    assert_eq!(twice.unwrap_err().to_string(), "invalid state");
    assert!(!future.cancel());
    assert_eq!(future.result(), Ok(Ok(1)));
}

#[test]
fn get_event_loop_prefers_running_then_set_then_creates() {
    let created = get_event_loop();
    assert_eq!(
        get_event_loop(),
        created,
        "the created loop becomes the thread's loop"
    );
    let other = EventLoop::new();
    set_event_loop(Some(&other));
    assert_eq!(get_event_loop(), other);
    let running = EventLoop::new();
    let r = running.clone();
    assert_eq!(
        running.run_until_complete(async move { get_event_loop() == r }),
        Ok(true)
    );
    set_event_loop(None);
    assert_ne!(get_event_loop(), other);
}

#[test]
fn a_task_asking_its_own_result_while_it_runs_is_told_it_is_not_set() {
    use std::cell::RefCell;
    use std::rc::Rc;

    let event_loop = EventLoop::new();
    let own_handle: Rc<RefCell<Option<asyncio_loop::Task<u32>>>> = Rc::default();
    let asked = Rc::new(RefCell::new(None));
    let task = event_loop.create_task({
        let own_handle = Rc::clone(&own_handle);
        let asked = Rc::clone(&asked);
        async move {
            // The task's own step holds its stage: asking is a clean "not set yet".
            let own = own_handle
                .borrow_mut()
                .take()
                .expect("the handle was stashed");
            *asked.borrow_mut() = Some(own.result().map(|_| ()).map_err(|e| e.message()));
            *own_handle.borrow_mut() = Some(own);
            7
        }
    });
    *own_handle.borrow_mut() = Some(task);
    let handle = Rc::clone(&own_handle);
    let out = event_loop.run_until_complete(async move {
        sleep(Duration::ZERO).await;
        handle
            .borrow_mut()
            .take()
            .expect("the task put it back")
            .result()
    });
    assert_eq!(*asked.borrow(), Some(Err("Result is not set.")));
    assert_eq!(out, Ok(Ok(Ok(7))));
    event_loop.close().unwrap();
}
