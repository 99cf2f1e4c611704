//! [`Condition`]: asyncio's condition variable, bound to a [`Lock`]. `wait` registers the
//! waiter *before* it releases the lock, so a `notify` made by the next holder cannot be
//! missed; a waiter that was notified and dropped before it ran passes the notification on
//! to the next waiter (as asyncio 3.13 does), so `notify(1)` is never swallowed.

use crate::lock::{Lock, LockAcquire, LockGuard};
use crate::lock_state;
use crate::wait_hook::{CONDITION_WAIT, pending};
use crate::waiters::{Waiters, wake, wake_all};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Why a [`Condition`] operation was refused. Displays asyncio's `RuntimeError` message
/// for the same mistake; the variant says which it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionError {
    /// `notify` or `notify_all` while the condition's lock is not held.
    NotLocked,
    /// `wait` or `wait_for` given the guard of another lock than the condition's: this
    /// task does not hold the condition's lock (asyncio's `wait()` on an un-acquired lock).
    ForeignGuard,
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotLocked => f.write_str("cannot notify on un-acquired lock"),
            Self::ForeignGuard => f.write_str("cannot wait on un-acquired lock"),
        }
    }
}

impl std::error::Error for ConditionError {}

/// An asyncio condition: tasks holding its lock wait to be notified by another holder.
/// A handle is cheap to clone; clones share it.
///
/// ```
/// use asyncio_sync::Condition;
/// # futures_lite::future::block_on(async {
/// let cond = Condition::new();
/// let ready = std::cell::Cell::new(false);
/// let waiter = async {
///     let guard = cond.lock().await;
///     let _guard = cond.wait_for(guard, || ready.get()).await.unwrap();
///     "woken"
/// };
/// let notifier = async {
///     let _guard = cond.lock().await;
///     ready.set(true);
///     cond.notify_all().unwrap();
/// };
/// let (woken, ()) = futures_lite::future::zip(waiter, notifier).await;
/// assert_eq!(woken, "woken");
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Condition {
    lock: Lock,
    waiters: Arc<Mutex<Waiters<()>>>,
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("locked", &self.lock.locked())
            .field("waiters", &lock_state(&self.waiters).queued())
            .finish()
    }
}

impl Condition {
    /// How many waiters are registered for a notification (queued, or notified and not yet
    /// resumed; not those waiting for the lock): zero once every waiting future has
    /// completed or been dropped. For tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        lock_state(&self.waiters).registered()
    }

    /// How many of those are queued, not yet notified. For tests.
    #[doc(hidden)]
    pub fn queued_waiters(&self) -> usize {
        lock_state(&self.waiters).queued()
    }

    /// A condition with a lock of its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// A condition bound to `lock` (which other conditions may share).
    pub fn with_lock(lock: Lock) -> Self {
        Self {
            lock,
            waiters: Arc::default(),
        }
    }

    /// The condition's lock.
    pub fn get_lock(&self) -> &Lock {
        &self.lock
    }

    /// Acquires the condition's lock.
    pub fn lock(&self) -> LockAcquire<'_> {
        self.lock.lock()
    }

    /// Whether the condition's lock is held.
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// Releases the lock held by `guard`, waits to be notified, then re-acquires the lock and
    /// returns its new guard. If the future is dropped meanwhile, the lock is not held.
    pub async fn wait<'a>(&'a self, guard: LockGuard<'a>) -> Result<LockGuard<'a>, ConditionError> {
        if !guard.lock().same_as(&self.lock) {
            return Err(ConditionError::ForeignGuard);
        }
        let notified = Notified::register(self);
        drop(guard);
        notified.await;
        Ok(self.lock.lock().await)
    }

    /// Waits (as [`wait`](Self::wait)) until `predicate` is true, checking it first and
    /// after each wake-up with the lock held; returns the guard.
    pub async fn wait_for<'a>(
        &'a self,
        mut guard: LockGuard<'a>,
        mut predicate: impl FnMut() -> bool,
    ) -> Result<LockGuard<'a>, ConditionError> {
        while !predicate() {
            guard = self.wait(guard).await?;
        }
        Ok(guard)
    }

    /// Wakes up to `n` waiters, first come first; the lock must be held.
    pub fn notify(&self, n: usize) -> Result<(), ConditionError> {
        if !self.locked() {
            return Err(ConditionError::NotLocked);
        }
        // One waiter at a time, each woken outside the mutex: no allocation. No waiter can
        // join the line meanwhile, since waiting needs the lock the caller holds.
        for _ in 0..n {
            let waker = lock_state(&self.waiters).notify_first(());
            match waker {
                Some(waker) => waker.wake(),
                None => break,
            }
        }
        Ok(())
    }

    /// Wakes every waiter; the lock must be held.
    pub fn notify_all(&self) -> Result<(), ConditionError> {
        if !self.locked() {
            return Err(ConditionError::NotLocked);
        }
        let wakers = lock_state(&self.waiters).notify_all(());
        wake_all(wakers);
        Ok(())
    }
}

/// A waiter of a condition, registered when created (before the lock is released).
struct Notified<'a> {
    cond: &'a Condition,
    key: Option<usize>,
}

impl<'a> Notified<'a> {
    fn register(cond: &'a Condition) -> Self {
        // The real waker is stored by the first poll, right after the lock is released.
        let key = lock_state(&cond.waiters).push(Waker::noop());
        Self {
            cond,
            key: Some(key),
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let key = self.key.expect("`Notified` polled after completion");
        if lock_state(&self.cond.waiters)
            .poll(key, cx.waker())
            .is_some()
        {
            self.key = None;
            Poll::Ready(())
        } else {
            pending(&CONDITION_WAIT)
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut waiters = lock_state(&self.cond.waiters);
        let waker = match waiters.remove(key) {
            Some(()) => waiters.notify_first(()),
            None => None,
        };
        drop(waiters);
        wake(waker);
    }
}
