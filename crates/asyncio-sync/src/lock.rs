//! [`Lock`]: asyncio's mutual-exclusion lock, with an RAII [`LockGuard`] instead of
//! `release()`. Fair: `unlock` hands the lock straight to the first waiter (it stays locked
//! throughout), so a task that releases and at once re-acquires queues behind the waiters.
//! A waiter that was handed the lock and is dropped before it observes it passes it on.
//! [`Condition`](crate::Condition) is built on it.

use crate::lock_state;
use crate::wait_hook::{LOCK_ACQUIRE, pending};
use crate::waiters::{Waiters, wake};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// An asyncio lock: at most one holder at a time, waiters served first come, first served.
/// A handle is cheap to clone; clones share the lock.
///
/// ```
/// use asyncio_sync::Lock;
/// # futures_lite::future::block_on(async {
/// let lock = Lock::new();
/// let guard = lock.lock().await;
/// assert!(lock.locked());
/// drop(guard);
/// assert!(!lock.locked());
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Lock {
    shared: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    locked: bool,
    /// Waiters; a notified one has been handed the lock.
    waiters: Waiters<()>,
}

impl fmt::Debug for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock_state(&self.shared);
        f.debug_struct("Lock")
            .field("locked", &state.locked)
            .field("waiters", &state.waiters.queued())
            .finish()
    }
}

impl Lock {
    /// How many waiters are registered (queued, or notified and not yet resumed): zero
    /// once every waiting future has completed or been dropped. For tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        lock_state(&self.shared).waiters.registered()
    }

    /// An unlocked lock.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the lock is held (or has been handed to a waiter that has not run yet).
    pub fn locked(&self) -> bool {
        lock_state(&self.shared).locked
    }

    /// Acquires the lock, waiting behind earlier waiters; the guard releases it when dropped.
    pub fn lock(&self) -> LockAcquire<'_> {
        LockAcquire {
            lock: self,
            key: None,
        }
    }

    /// asyncio's name for [`lock`](Self::lock): `await lock.acquire()`.
    pub fn acquire(&self) -> LockAcquire<'_> {
        self.lock()
    }

    /// Whether `self` and `other` are handles of the same lock.
    pub(crate) fn same_as(&self, other: &Lock) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// Hands the lock to the first waiter, or unlocks it if none waits.
    fn release(&self) {
        let mut state = lock_state(&self.shared);
        let waker = state.waiters.notify_first(());
        if waker.is_none() {
            state.locked = false;
        }
        drop(state);
        wake(waker);
    }
}

/// Proof that the [`Lock`] is held; releases it when dropped.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl LockGuard<'_> {
    /// The lock this guard holds.
    pub fn lock(&self) -> &Lock {
        self.lock
    }
}

impl fmt::Debug for LockGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LockGuard")
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        self.lock.release();
    }
}

/// The future of [`Lock::lock`].
#[must_use = "futures do nothing unless awaited"]
pub struct LockAcquire<'a> {
    lock: &'a Lock,
    key: Option<usize>,
}

impl<'a> Future for LockAcquire<'a> {
    type Output = LockGuard<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a>> {
        let lock = self.lock;
        let mut state = lock_state(&lock.shared);
        match self.key {
            None if !state.locked => {
                // Unlocked implies nobody is queued: `release` hands over instead of unlocking.
                state.locked = true;
            }
            None => {
                let key = state.waiters.push(cx.waker());
                self.key = Some(key);
                return pending(&LOCK_ACQUIRE);
            }
            Some(key) => {
                if state.waiters.poll(key, cx.waker()).is_none() {
                    return pending(&LOCK_ACQUIRE);
                }
                self.key = None;
            }
        }
        Poll::Ready(LockGuard { lock })
    }
}

impl Drop for LockAcquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let handed_over = lock_state(&self.lock.shared).waiters.remove(key).is_some();
        if handed_over {
            self.lock.release();
        }
    }
}
