//! [`Semaphore`] and [`BoundedSemaphore`]: asyncio's counting semaphores, with an RAII
//! [`SemaphorePermit`]. Fair like [`Lock`](crate::Lock): a released permit goes straight to
//! the first waiter, and a waiter handed a permit and dropped before it ran passes it on.

use crate::lock_state;
use crate::wait_hook::{SEMAPHORE_ACQUIRE, pending};
use crate::waiters::{Waiters, wake};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Why a semaphore operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SemaphoreError {
    /// `BoundedSemaphore.release()` would raise the value above its initial value.
    ReleasedTooManyTimes,
}

impl fmt::Display for SemaphoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // asyncio's ValueError message.
            Self::ReleasedTooManyTimes => f.write_str("BoundedSemaphore released too many times"),
        }
    }
}

impl std::error::Error for SemaphoreError {}

/// An asyncio semaphore: a counter of permits; `acquire` waits while none is free.
/// A handle is cheap to clone; clones share it.
///
/// ```
/// use asyncio_sync::Semaphore;
/// # futures_lite::future::block_on(async {
/// let semaphore = Semaphore::new(1);
/// let permit = semaphore.acquire().await;
/// assert!(semaphore.locked());
/// drop(permit);
/// assert!(!semaphore.locked());
/// # });
/// ```
#[derive(Clone)]
pub struct Semaphore {
    shared: Arc<Mutex<State>>,
}

struct State {
    /// Free permits.
    value: usize,
    /// Permits held by live permits or handed to notified waiters (not forgotten ones).
    outstanding: usize,
    waiters: Waiters<()>,
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock_state(&self.shared);
        f.debug_struct("Semaphore")
            .field("value", &state.value)
            .field("waiters", &state.waiters.queued())
            .finish()
    }
}

impl Default for Semaphore {
    /// A semaphore with one permit, as asyncio's default.
    fn default() -> Self {
        Self::new(1)
    }
}

impl Semaphore {
    /// How many waiters are registered (queued, or notified and not yet resumed): zero
    /// once every waiting future has completed or been dropped. For tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        lock_state(&self.shared).waiters.registered()
    }

    /// A semaphore with `value` free permits.
    pub fn new(value: usize) -> Self {
        Self {
            shared: Arc::new(Mutex::new(State {
                value,
                outstanding: 0,
                waiters: Waiters::default(),
            })),
        }
    }

    /// Whether `acquire` would wait (no free permit).
    pub fn locked(&self) -> bool {
        lock_state(&self.shared).value == 0
    }

    /// How many permits are free.
    pub fn value(&self) -> usize {
        lock_state(&self.shared).value
    }

    /// Acquires a permit, waiting behind earlier waiters; dropping the permit releases it.
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        SemaphoreAcquire {
            semaphore: self,
            key: None,
        }
    }

    /// Adds a permit (asyncio's `release()`): gives it to the first waiter, or frees it.
    /// Use it to return a permit given up with [`SemaphorePermit::forget`], or to raise the
    /// count.
    pub fn release(&self) {
        self.release_one(lock_state(&self.shared));
    }

    fn release_one(&self, mut state: std::sync::MutexGuard<'_, State>) {
        let waker = state.waiters.notify_first(());
        match waker {
            Some(_) => state.outstanding += 1,
            None => state.value += 1,
        }
        drop(state);
        wake(waker);
    }

    /// Returns the permit of a dropped permit or dropped notified waiter.
    fn give_back(&self) {
        let mut state = lock_state(&self.shared);
        state.outstanding -= 1;
        self.release_one(state);
    }
}

/// A held permit of a [`Semaphore`] or [`BoundedSemaphore`]; released when dropped.
#[must_use = "the permit is released as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    semaphore: &'a Semaphore,
}

impl SemaphorePermit<'_> {
    /// Keeps the permit acquired without a guard; `release()` returns it later.
    pub fn forget(self) {
        lock_state(&self.semaphore.shared).outstanding -= 1;
        std::mem::forget(self);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SemaphorePermit")
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.semaphore.give_back();
    }
}

/// The future of [`Semaphore::acquire`] and [`BoundedSemaphore::acquire`].
#[must_use = "futures do nothing unless awaited"]
pub struct SemaphoreAcquire<'a> {
    semaphore: &'a Semaphore,
    key: Option<usize>,
}

impl<'a> Future for SemaphoreAcquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let semaphore = self.semaphore;
        let mut state = lock_state(&semaphore.shared);
        match self.key {
            // A free permit implies nobody is queued: `release` hands permits over first.
            None if state.value > 0 => {
                state.value -= 1;
                state.outstanding += 1;
            }
            None => {
                let key = state.waiters.push(cx.waker());
                self.key = Some(key);
                return pending(&SEMAPHORE_ACQUIRE);
            }
            Some(key) => {
                if state.waiters.poll(key, cx.waker()).is_none() {
                    return pending(&SEMAPHORE_ACQUIRE);
                }
                self.key = None;
            }
        }
        Poll::Ready(SemaphorePermit { semaphore })
    }
}

impl Drop for SemaphoreAcquire<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let handed_over = lock_state(&self.semaphore.shared)
            .waiters
            .remove(key)
            .is_some();
        if handed_over {
            self.semaphore.give_back();
        }
    }
}

/// A semaphore whose `release()` refuses to raise the count above its initial value
/// (asyncio's `BoundedSemaphore`). A handle is cheap to clone; clones share it.
///
/// ```
/// use asyncio_sync::{BoundedSemaphore, SemaphoreError};
/// # futures_lite::future::block_on(async {
/// let semaphore = BoundedSemaphore::new(1);
/// semaphore.acquire().await.forget();
/// assert_eq!(semaphore.release(), Ok(()));
/// assert_eq!(semaphore.release(), Err(SemaphoreError::ReleasedTooManyTimes));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct BoundedSemaphore {
    semaphore: Semaphore,
    bound: usize,
}

impl Default for BoundedSemaphore {
    /// A bounded semaphore with one permit, as asyncio's default.
    fn default() -> Self {
        Self::new(1)
    }
}

impl BoundedSemaphore {
    /// How many waiters are registered (queued, or notified and not yet resumed): zero
    /// once every waiting future has completed or been dropped. For tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        self.semaphore.registered_waiters()
    }

    /// A bounded semaphore with `value` permits, which is also its bound.
    pub fn new(value: usize) -> Self {
        Self {
            semaphore: Semaphore::new(value),
            bound: value,
        }
    }

    /// Whether `acquire` would wait (no free permit).
    pub fn locked(&self) -> bool {
        self.semaphore.locked()
    }

    /// How many permits are free.
    pub fn value(&self) -> usize {
        self.semaphore.value()
    }

    /// Acquires a permit, waiting behind earlier waiters; dropping the permit releases it.
    pub fn acquire(&self) -> SemaphoreAcquire<'_> {
        self.semaphore.acquire()
    }

    /// Returns a permit given up with [`SemaphorePermit::forget`]; an error if that would
    /// raise the count above the initial value.
    pub fn release(&self) -> Result<(), SemaphoreError> {
        let state = lock_state(&self.semaphore.shared);
        if state.value + state.outstanding >= self.bound {
            return Err(SemaphoreError::ReleasedTooManyTimes);
        }
        self.semaphore.release_one(state);
        Ok(())
    }
}
