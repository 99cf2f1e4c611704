//! Barrier: arrival indices, rounds, abort, reset, withdrawal of dropped waiters.

mod common;

use asyncio_sync::{Barrier, BrokenBarrierError};
use common::{now, start};

#[test]
fn the_last_arrival_releases_everyone_with_arrival_indices() {
    let barrier = Barrier::new(3);
    assert_eq!(barrier.parties(), 3);
    let (mut a, _) = start(barrier.wait());
    let (mut b, _) = start(barrier.wait());
    assert_eq!(barrier.n_waiting(), 2);
    assert_eq!(now(barrier.wait()), Ok(2));
    assert_eq!(barrier.n_waiting(), 0);
    assert_eq!(a.ready(), Ok(0));
    assert_eq!(b.ready(), Ok(1));
    // The next round starts from zero.
    let (mut c, poll) = start(barrier.wait());
    assert!(poll.is_pending());
    let (_d, _) = start(barrier.wait());
    now(barrier.wait()).unwrap();
    assert_eq!(c.ready(), Ok(0));
}

#[test]
fn abort_breaks_the_barrier_until_reset() {
    let barrier = Barrier::new(2);
    let (mut a, _) = start(barrier.wait());
    barrier.abort();
    assert!(barrier.broken());
    assert_eq!(a.ready(), Err(BrokenBarrierError::AbortOrReset));
    assert_eq!(now(barrier.wait()), Err(BrokenBarrierError::Aborted));
    barrier.reset();
    assert!(!barrier.broken());
    let (mut b, _) = start(barrier.wait());
    assert_eq!(now(barrier.wait()), Ok(1));
    assert_eq!(b.ready(), Ok(0));
    // asyncio's two messages (locks.py: `_block` and `_wait`).
    assert_eq!(BrokenBarrierError::Aborted.to_string(), "Barrier aborted");
    assert_eq!(
        BrokenBarrierError::AbortOrReset.to_string(),
        "Abort or reset of barrier"
    );
}

#[test]
fn reset_fails_the_current_waiters() {
    let barrier = Barrier::new(3);
    let (mut a, _) = start(barrier.wait());
    barrier.reset();
    assert_eq!(a.ready(), Err(BrokenBarrierError::AbortOrReset));
    assert_eq!(barrier.n_waiting(), 0);
    assert!(!barrier.broken());
}

#[test]
fn a_dropped_waiter_withdraws_its_arrival() {
    let barrier = Barrier::new(2);
    let (a, _) = start(barrier.wait());
    drop(a);
    assert_eq!(barrier.n_waiting(), 0);
    let (mut b, poll) = start(barrier.wait());
    assert!(poll.is_pending(), "the dropped arrival does not count");
    assert_eq!(now(barrier.wait()), Ok(1));
    assert_eq!(b.ready(), Ok(0));
}

#[test]
#[should_panic(expected = "parties must be > 0")]
fn zero_parties_is_refused() {
    let _ = Barrier::new(0);
}
