//! `Future`'s done callbacks: added, removed, and the order the others keep.

use std::cell::RefCell;
use std::rc::Rc;

use asyncio_loop::{EventLoop, Future};

/// tests/python/remove_done_callback.py. asyncio removes every registration of one function
/// object in one call; a Rust closure has no identity, so each registration has its own id
/// and `b`'s two take two calls, whose counts add up to asyncio's.
#[test]
fn removed_done_callbacks_do_not_run() {
    let log = Rc::new(RefCell::new(Vec::<String>::new()));
    let event_loop = EventLoop::new();
    let future = event_loop.create_future::<u32>();
    let cb = |name: &'static str| {
        let log = Rc::clone(&log);
        move |f: &Future<u32>| {
            let result = f.result().unwrap().unwrap();
            log.borrow_mut().push(format!("{name} {result}"));
        }
    };
    let a = future.add_done_callback(cb("a"));
    let b = future.add_done_callback(cb("b"));
    let _c = future.add_done_callback(cb("c"));
    let b_again = future.add_done_callback(cb("b"));
    let say = |line: String| log.borrow_mut().push(line);
    let removed = future.remove_done_callback(b) + future.remove_done_callback(b_again);
    say(format!("removed b: {removed}"));
    let removed = future.remove_done_callback(b) + future.remove_done_callback(b_again);
    say(format!("removed b again: {removed}"));
    future.set_result(1).unwrap();
    say(format!(
        "removed a after done: {}",
        future.remove_done_callback(a)
    ));
    let result = event_loop.run_until_complete(future).unwrap().unwrap();
    say(format!("result {result}"));
    event_loop.close().unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "removed b: 2",
            "removed b again: 0",
            "removed a after done: 0",
            "a 1",
            "c 1",
            "result 1"
        ]
    );
}

#[test]
fn a_removed_callback_is_dropped_at_once_and_ids_are_per_registration() {
    let event_loop = EventLoop::new();
    let future = event_loop.create_future::<()>();
    let captured = Rc::new(());
    let held = Rc::clone(&captured);
    let first = future.add_done_callback(move |_| drop(held));
    let second = future.add_done_callback(|_| {});
    assert_ne!(first, second);
    assert_eq!(Rc::strong_count(&captured), 2);
    assert_eq!(future.remove_done_callback(first), 1);
    assert_eq!(
        Rc::strong_count(&captured),
        1,
        "the closure went with its removal"
    );
    future.set_result(()).unwrap();
    let late = future.add_done_callback(|_| {});
    assert_eq!(
        future.remove_done_callback(late),
        0,
        "added to a done future: scheduled at once, nothing to remove"
    );
    event_loop.close().unwrap();
}
