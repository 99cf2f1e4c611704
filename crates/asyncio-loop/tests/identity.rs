//! Loop identity: `EventLoop::id`, `LoopHandle::id`, and handles that compare and hash by
//! the loop they reach, from any thread (asyncio compares loops by identity: `loop is
//! other_loop`).

use std::collections::HashSet;
use std::sync::mpsc;
use std::time::Duration;

use asyncio_loop::{EventLoop, LoopHandle, get_running_loop};

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

#[test]
fn ids_are_unique_and_never_reused() {
    let first = EventLoop::new();
    let dropped = EventLoop::new().id();
    let second = EventLoop::new();
    assert_ne!(first.id(), second.id());
    assert_ne!(
        second.id(),
        dropped,
        "a loop made after one was dropped is another loop"
    );
    assert!(
        first.id() < dropped && dropped < second.id(),
        "numbered in order"
    );
    assert_eq!(first.id(), first.clone().id(), "clones name the same loop");
    assert_eq!(first.handle().id(), first.id());
    assert_eq!(
        format!("{:?}", first.id()),
        format!("LoopId({})", first.id().get())
    );
}

#[test]
// Both hash by their loop's id, which never changes: the interior mutability clippy sees
// behind them plays no part in `Hash` or `Eq`.
#[allow(clippy::mutable_key_type)]
fn handles_compare_and_hash_by_their_loop() {
    let a = EventLoop::new();
    let b = EventLoop::new();
    assert_eq!(a.handle(), a.handle());
    assert_eq!(a.handle(), a.clone().handle());
    assert_ne!(a.handle(), b.handle());
    let set: HashSet<LoopHandle> = [a.handle(), b.handle(), a.handle()].into();
    assert_eq!(set.len(), 2);
    let loops: HashSet<EventLoop> = [a.clone(), b.clone(), a.clone()].into();
    assert_eq!(loops.len(), 2);
    a.close().unwrap();
    assert_eq!(a.handle(), a.handle(), "a closed loop is still itself");
}

/// A handle sent to another thread equals the handle the loop's own thread makes for it
/// there (here: inside a `call_soon_threadsafe` callback, sent back), and differs from the
/// handle of a loop running on a third thread.
#[test]
fn a_handle_equals_the_handle_of_the_same_loop_made_on_another_thread() {
    within_bound(handle_made_on_another_thread);
}

fn handle_made_on_another_thread() {
    let (other_tx, other_rx) = mpsc::channel::<LoopHandle>();
    let other_thread = std::thread::spawn(move || {
        let other = EventLoop::new();
        other_tx.send(other.handle()).unwrap();
        // Runs until the test stops it from its thread.
        other.run_forever().unwrap();
        other.close().unwrap();
    });
    let other = other_rx.recv_timeout(HANG).expect("the other loop started");

    let event_loop = EventLoop::new();
    let ours = event_loop.handle();
    let (tx, rx) = mpsc::channel();
    let helper = {
        let ours = ours.clone();
        std::thread::spawn(move || {
            let (made_tx, made_rx) = mpsc::channel();
            ours.call_soon_threadsafe(move || {
                let made_there = get_running_loop().unwrap().handle();
                made_tx.send(made_there).unwrap();
            })
            .unwrap();
            let made_there = made_rx
                .recv_timeout(HANG)
                .expect("the loop ran the callback");
            tx.send((made_there == ours, made_there == other, made_there.id()))
                .unwrap();
            ours.stop();
            other.stop();
        })
    };
    event_loop.run_forever().unwrap();
    let (same, different, id) = rx.recv_timeout(HANG).expect("the helper answered");
    helper.join().unwrap();
    other_thread.join().unwrap();
    assert!(
        same,
        "the handle made on the loop's thread equals the one sent away"
    );
    assert!(!different, "another loop's handle differs");
    assert_eq!(id, event_loop.id());
}
