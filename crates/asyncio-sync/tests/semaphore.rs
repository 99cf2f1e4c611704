//! Semaphore and BoundedSemaphore: counting, FIFO fairness, cancellation safety, errors.

mod common;

use asyncio_sync::{BoundedSemaphore, Semaphore, SemaphoreError};
use common::{now, start};

#[test]
fn permits_are_counted_and_returned_on_drop() {
    let semaphore = Semaphore::new(2);
    let a = now(semaphore.acquire());
    assert!(!semaphore.locked());
    let b = now(semaphore.acquire());
    assert!(semaphore.locked());
    assert_eq!(semaphore.value(), 0);
    let (mut c, poll) = start(semaphore.acquire());
    assert!(poll.is_pending());
    drop(a);
    assert!(c.woken());
    assert!(semaphore.locked(), "the permit went to the waiter");
    drop(c.ready());
    drop(b);
    assert_eq!(semaphore.value(), 2);
}

#[test]
fn waiters_are_served_in_arrival_order_and_releasers_do_not_overtake() {
    let semaphore = Semaphore::new(1);
    let held = now(semaphore.acquire());
    let (mut a, _) = start(semaphore.acquire());
    let (mut b, _) = start(semaphore.acquire());
    drop(held);
    let (mut again, poll) = start(semaphore.acquire());
    assert!(poll.is_pending());
    assert!(a.woken() && !b.woken());
    drop(a.ready());
    assert!(b.woken() && !again.woken());
    drop(b.ready());
    drop(again.ready());
}

#[test]
fn a_waiter_handed_a_permit_and_dropped_passes_it_on() {
    let semaphore = Semaphore::new(1);
    let held = now(semaphore.acquire());
    let (a, _) = start(semaphore.acquire());
    let (mut b, _) = start(semaphore.acquire());
    drop(held);
    drop(a);
    assert!(b.woken());
    drop(b.ready());
    assert_eq!(semaphore.value(), 1);

    let held = now(semaphore.acquire());
    let (only, _) = start(semaphore.acquire());
    drop(held);
    drop(only);
    assert_eq!(
        semaphore.value(),
        1,
        "nobody left: the permit is free again"
    );
}

#[test]
fn release_adds_a_permit_and_forget_keeps_one() {
    let semaphore = Semaphore::new(0);
    assert!(semaphore.locked());
    let (mut waiter, _) = start(semaphore.acquire());
    semaphore.release();
    waiter.ready().forget();
    assert_eq!(semaphore.value(), 0);
    semaphore.release();
    semaphore.release();
    assert_eq!(semaphore.value(), 2, "an unbounded semaphore may grow");
}

#[test]
fn bounded_semaphore_refuses_to_release_above_its_initial_value() {
    let semaphore = BoundedSemaphore::new(2);
    assert_eq!(
        semaphore.release(),
        Err(SemaphoreError::ReleasedTooManyTimes)
    );
    let permit = now(semaphore.acquire());
    assert_eq!(
        semaphore.release(),
        Err(SemaphoreError::ReleasedTooManyTimes),
        "the only permit out is held by a guard, which returns it itself"
    );
    permit.forget();
    assert_eq!(semaphore.value(), 1);
    assert_eq!(semaphore.release(), Ok(()));
    assert_eq!(semaphore.value(), 2);
    assert_eq!(
        semaphore.release(),
        Err(SemaphoreError::ReleasedTooManyTimes)
    );
    assert_eq!(
        SemaphoreError::ReleasedTooManyTimes.to_string(),
        "BoundedSemaphore released too many times"
    );
}

#[test]
fn bounded_semaphore_counts_permits_handed_to_waiters() {
    let semaphore = BoundedSemaphore::new(1);
    let held = now(semaphore.acquire());
    let (mut waiter, _) = start(semaphore.acquire());
    drop(held);
    assert_eq!(
        semaphore.release(),
        Err(SemaphoreError::ReleasedTooManyTimes)
    );
    drop(waiter.ready());
    assert!(!semaphore.locked());
}
