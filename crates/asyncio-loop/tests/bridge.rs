//! The thread-safe bridges between a loop and other threads: a `ConcurrentFuture` that
//! another thread completes through its `ConcurrentSetter` (Python's
//! `concurrent.futures.Future`, awaited as asyncio's `wrap_future` does), and a loop
//! `Future` set from another thread through its `FutureSetter`
//! (`loop.call_soon_threadsafe(fut.set_result, x)`). Every `Send` path crosses a thread;
//! each test is bounded and waits on a channel or a join, never on a sleep.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use asyncio_loop::{
    CancelledError, ConcurrentFuture, ConcurrentSetter, EventLoop, FutureSetter, RunError,
    TaskError, get_running_loop,
};

/// Generous: a hang fails the test after this instead of stalling CI.
const HANG: Duration = Duration::from_secs(120);

/// Runs `f` on a fresh thread and fails the test if it takes longer than `HANG`.
fn within_bound<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG).expect("the test hung")
}

fn assert_send<T: Send>(_: &T) {}

/// A task parks on a `ConcurrentFuture`, then (told so by the task) a thread sets it: the
/// remote wake ends the loop's sleep and the task gets the value.
#[test]
fn a_task_awaits_a_result_set_on_another_thread() {
    let out = within_bound(|| {
        let (future, setter) = ConcurrentFuture::<String>::new();
        assert_send(&setter);
        assert_send(&future);
        let (parked_tx, parked_rx) = mpsc::channel::<()>();
        let worker = std::thread::spawn(move || {
            parked_rx.recv().unwrap();
            setter.set_result("computed elsewhere".to_owned());
        });
        let event_loop = EventLoop::new();
        let out = event_loop.run_until_complete(async move {
            let task = asyncio_loop::create_task(future);
            // Let the task park on the future before the thread sets it.
            asyncio_loop::sleep(Duration::ZERO).await;
            parked_tx.send(()).unwrap();
            task.await.unwrap()
        });
        worker.join().unwrap();
        out
    });
    assert_eq!(out, Ok(Ok("computed elsewhere".to_owned())));
}

#[test]
fn a_setter_dropped_on_another_thread_cancels_the_future() {
    let out = within_bound(|| {
        let (future, setter) = ConcurrentFuture::<u8>::new();
        std::thread::spawn(move || drop(setter)).join().unwrap();
        EventLoop::new().run_until_complete(future)
    });
    assert_eq!(out, Ok(Err(TaskError::Cancelled)));
}

/// A thread blocks on the result another thread sets; the setter learns when nobody waits
/// any more.
#[test]
fn a_thread_blocks_on_a_result_and_a_producer_sees_it_abandoned() {
    within_bound(|| {
        let (future, setter) = ConcurrentFuture::<u32>::new();
        let reader = std::thread::spawn(move || future.result());
        let writer = std::thread::spawn(move || setter.set_result(7));
        writer.join().unwrap();
        assert_eq!(reader.join().unwrap(), Ok(7));

        let (future, setter) = ConcurrentFuture::<u32>::new();
        let abandoned = std::thread::spawn(move || {
            let before = setter.is_abandoned();
            (before, setter)
        });
        let (before, setter) = abandoned.join().unwrap();
        assert!(!before);
        drop(future);
        let after = std::thread::spawn(move || setter.is_abandoned());
        assert!(after.join().unwrap(), "the future was dropped");
    });
}

/// tests/python/future_setter.py: set from another thread, the result arrives in order
/// among that thread's other callbacks, and the waiter resumes the iteration after.
#[test]
fn a_future_set_from_another_thread_keeps_asyncios_order() {
    let lines = within_bound(|| {
        let log = Rc::new(RefCell::new(Vec::<String>::new()));
        let event_loop = EventLoop::new();
        let future = event_loop.create_future::<&'static str>();
        let task = event_loop.create_task({
            let (future, log) = (future.clone(), log.clone());
            async move {
                let got = future.await.unwrap();
                log.borrow_mut().push(format!("waiter got {got}"));
            }
        });
        event_loop.run_once().unwrap(); // the waiter waits

        // What the loop's thread lends the other thread: Send callbacks that reach the
        // log through the loop (the log itself is not Send).
        fn ticker(n: u32) {
            let event_loop = get_running_loop().unwrap();
            say(&event_loop, format!("iter {n}"));
            if n < 4 {
                event_loop.call_soon(move || ticker(n + 1));
            }
        }
        fn say(event_loop: &EventLoop, line: String) {
            event_loop.with_extension(|log: &Rc<RefCell<Vec<String>>>| log.borrow_mut().push(line));
        }
        event_loop.set_extension(Rc::clone(&log)).unwrap();
        let handle = event_loop.handle();
        let setter: FutureSetter<&'static str> = future.threadsafe_setter().unwrap();
        std::thread::spawn(move || {
            let print =
                |what: &'static str| move || say(&get_running_loop().unwrap(), what.to_owned());
            handle.call_soon_threadsafe(|| ticker(1)).unwrap();
            handle.call_soon_threadsafe(print("A")).unwrap();
            setter.set_result("x").unwrap();
            handle.call_soon_threadsafe(print("B")).unwrap();
        })
        .join()
        .unwrap();
        event_loop.run_until_complete(task).unwrap().unwrap();
        log.borrow_mut().push("done".to_owned());
        event_loop.close().unwrap();
        log.borrow().clone()
    });
    assert_eq!(
        lines,
        [
            "iter 1",
            "A",
            "B",
            "iter 2",
            "waiter got x",
            "iter 3",
            "done"
        ]
    );
}

#[test]
fn a_future_cancelled_from_another_thread() {
    let out = within_bound(|| {
        let event_loop = EventLoop::new();
        let future = event_loop.create_future::<u8>();
        let setter = future.threadsafe_setter().unwrap();
        std::thread::spawn(move || setter.cancel().unwrap())
            .join()
            .unwrap();
        event_loop.run_until_complete(future)
    });
    assert_eq!(out, Ok(Err(CancelledError::new())));
}

/// asyncio's `call_soon_threadsafe(fut.set_result, x)` on a future done by then raises
/// `InvalidStateError` in the callback, which the loop's exception handler reports.
#[test]
fn setting_a_done_future_from_another_thread_is_reported() {
    let reports = within_bound(|| {
        let event_loop = EventLoop::new();
        let reports = Rc::new(RefCell::new(Vec::new()));
        let r = Rc::clone(&reports);
        event_loop.set_exception_handler(Some(move |context: &asyncio_loop::ExceptionContext| {
            r.borrow_mut().push(context.message().to_owned());
        }));
        let future = event_loop.create_future::<u8>();
        let setter = future.threadsafe_setter().unwrap();
        future.set_result(1).unwrap();
        std::thread::spawn(move || setter.set_result(2).unwrap())
            .join()
            .unwrap();
        event_loop.run_once().unwrap();
        assert_eq!(future.result(), Ok(Ok(1)), "the first result stays");
        reports.borrow().clone()
    });
    assert_eq!(
        reports,
        ["Exception in callback Future.set_result(): invalid state"]
    );
}

/// A setter dropped unused on another thread leaves the future alone and lets the loop
/// forget it: the clone the loop kept goes in the next iteration.
#[test]
fn an_unused_setter_dropped_on_another_thread_is_forgotten() {
    within_bound(|| {
        let event_loop = EventLoop::new();
        let future = event_loop.create_future::<u8>();
        let witness = Rc::new(());
        let held = Rc::clone(&witness);
        future.add_done_callback(move |_| drop(held));
        let setter = future.threadsafe_setter().unwrap();
        drop(future);
        assert_eq!(Rc::strong_count(&witness), 2, "the loop keeps the future");
        std::thread::spawn(move || drop(setter)).join().unwrap();
        event_loop.run_once().unwrap();
        assert_eq!(Rc::strong_count(&witness), 1, "and forgets it");
    });
}

#[test]
fn a_closed_loop_refuses_setters_and_their_results() {
    within_bound(|| {
        let event_loop = EventLoop::new();
        let future = event_loop.create_future::<u8>();
        let setter = future.threadsafe_setter().unwrap();
        event_loop.close().unwrap();
        let sent = std::thread::spawn(move || setter.set_result(1))
            .join()
            .unwrap();
        assert_eq!(sent, Err(RunError::Closed));
        assert!(matches!(future.threadsafe_setter(), Err(RunError::Closed)));
        assert!(!future.done());
    });
}

#[test]
fn setters_are_send() {
    fn send<T: Send>() {}
    send::<FutureSetter<String>>();
    send::<ConcurrentSetter<String>>();
    send::<ConcurrentFuture<String>>();
}
