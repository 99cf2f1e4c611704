//! Event: set wakes every waiter, clear, waiters woken by a set return.

mod common;

use asyncio_sync::Event;
use common::{now, start};

#[test]
fn set_wakes_every_waiter_and_later_waits_return_at_once() {
    let event = Event::new();
    let (mut a, poll) = start(event.wait());
    assert!(poll.is_pending());
    let (mut b, _) = start(event.wait());
    event.set();
    assert!(event.is_set());
    assert!(a.woken() && b.woken());
    a.ready();
    b.ready();
    now(event.wait());
}

#[test]
fn a_waiter_woken_by_set_returns_even_if_cleared_before_it_ran() {
    let event = Event::new();
    let (mut waiter, _) = start(event.wait());
    event.set();
    event.clear();
    assert!(!event.is_set());
    waiter.ready();
    let (mut later, poll) = start(event.wait());
    assert!(
        poll.is_pending(),
        "after clear, a new wait waits for the next set"
    );
    event.set();
    later.ready();
}

#[test]
fn a_dropped_waiter_is_forgotten() {
    let event = Event::new();
    let (waiter, _) = start(event.wait());
    drop(waiter);
    event.set();
    assert!(event.is_set());
}
