//! Lock: mutual exclusion, FIFO fairness, cancellation safety (driven by hand).

mod common;

use asyncio_sync::Lock;
use common::{now, start};

#[test]
fn waiters_get_the_lock_in_arrival_order() {
    let lock = Lock::new();
    let guard = now(lock.lock());
    let (mut a, _) = start(lock.lock());
    let (mut b, _) = start(lock.lock());
    drop(guard);
    assert!(lock.locked(), "handed over, not unlocked");
    assert!(a.woken() && !b.woken());
    let guard_a = a.ready();
    b.pending();
    drop(guard_a);
    assert!(b.woken());
    drop(b.ready());
    assert!(!lock.locked());
}

#[test]
fn release_then_reacquire_does_not_overtake_a_waiter() {
    let lock = Lock::new();
    let guard = now(lock.lock());
    let (mut waiter, _) = start(lock.lock());
    drop(guard);
    let (mut again, poll) = start(lock.lock());
    assert!(poll.is_pending(), "the releaser queues behind the waiter");
    let waiter_guard = waiter.ready();
    again.pending();
    drop(waiter_guard);
    drop(again.ready());
}

#[test]
fn a_waiter_handed_the_lock_and_dropped_passes_it_on() {
    let lock = Lock::new();
    let guard = now(lock.lock());
    let (a, _) = start(lock.lock());
    let (mut b, _) = start(lock.lock());
    drop(guard);
    drop(a);
    assert!(b.woken());
    drop(b.ready());
    assert!(!lock.locked());

    let guard = now(lock.lock());
    let (only, _) = start(lock.lock());
    drop(guard);
    drop(only);
    assert!(!lock.locked(), "nobody left: the lock is released");
}

#[test]
fn a_dropped_queued_waiter_is_skipped() {
    let lock = Lock::new();
    let guard = now(lock.lock());
    let (a, _) = start(lock.lock());
    let (mut b, _) = start(lock.lock());
    drop(a);
    drop(guard);
    assert!(b.woken());
    let guard = b.ready();
    assert!(std::ptr::eq(guard.lock(), &lock));
}
