//! Condition: wait/notify through the lock, notify(n) order, errors, cancellation.

mod common;

use asyncio_sync::{Condition, ConditionError, Lock};
use common::{now, start};

#[test]
fn notify_wakes_waiters_in_order_and_they_reacquire_the_lock() {
    let cond = Condition::new();
    let (mut a, _) = start(async {
        let guard = cond.lock().await;
        let _guard = cond.wait(guard).await.unwrap();
        "a"
    });
    let (mut b, _) = start(async {
        let guard = cond.lock().await;
        let _guard = cond.wait(guard).await.unwrap();
        "b"
    });
    assert!(!cond.locked(), "waiting releases the lock");
    let guard = now(cond.lock());
    cond.notify(1).unwrap();
    assert!(a.woken() && !b.woken());
    a.pending(); // notified, now waiting for the lock we hold
    drop(guard);
    assert_eq!(a.ready(), "a");
    b.pending();
    let guard = now(cond.lock());
    cond.notify_all().unwrap();
    drop(guard);
    assert_eq!(b.ready(), "b");
    assert!(!cond.locked());
}

#[test]
fn notify_without_the_lock_is_an_error() {
    let cond = Condition::new();
    assert_eq!(cond.notify(1), Err(ConditionError::NotLocked));
    assert_eq!(cond.notify_all(), Err(ConditionError::NotLocked));
    assert_eq!(
        ConditionError::NotLocked.to_string(),
        "cannot notify on un-acquired lock"
    );
}

#[test]
fn wait_with_a_guard_of_another_lock_is_an_error() {
    let cond = Condition::new();
    let other = Lock::new();
    let guard = now(other.lock());
    assert_eq!(
        now(cond.wait(guard)).err(),
        Some(ConditionError::ForeignGuard)
    );
    assert!(!other.locked(), "the foreign guard was dropped");
    assert_eq!(
        ConditionError::ForeignGuard.to_string(),
        "cannot wait on un-acquired lock"
    );
}

#[test]
fn conditions_can_share_a_lock() {
    let lock = Lock::new();
    let cond = Condition::with_lock(lock.clone());
    let guard = now(lock.lock());
    assert!(cond.locked());
    assert!(cond.get_lock().locked());
    let (mut waiter, _) = start(cond.wait(guard));
    assert!(!lock.locked());
    let _held = now(cond.lock());
    cond.notify(1).unwrap();
    waiter.pending();
}

#[test]
fn a_notified_waiter_dropped_before_it_ran_passes_the_notification_on() {
    let cond = Condition::new();
    let (a, _) = start(async {
        let guard = cond.lock().await;
        drop(cond.wait(guard).await);
    });
    let (mut b, _) = start(async {
        let guard = cond.lock().await;
        drop(cond.wait(guard).await);
    });
    let guard = now(cond.lock());
    cond.notify(1).unwrap();
    drop(a);
    assert!(b.woken(), "the notification moved to the next waiter");
    drop(guard);
    b.ready();
}

#[test]
fn wait_for_rechecks_the_predicate_after_each_wake() {
    let cond = Condition::new();
    let value = std::sync::atomic::AtomicU32::new(0);
    let read = || value.load(std::sync::atomic::Ordering::SeqCst);
    let (mut waiter, _) = start(async {
        let guard = cond.lock().await;
        let _guard = cond.wait_for(guard, || read() >= 2).await.unwrap();
        read()
    });
    for step in 1..=2 {
        let guard = now(cond.lock());
        value.store(step, std::sync::atomic::Ordering::SeqCst);
        cond.notify_all().unwrap();
        drop(guard);
        if step == 1 {
            waiter.pending();
        }
    }
    assert_eq!(waiter.ready(), 2);
}
