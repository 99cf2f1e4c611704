//! [`Barrier`]: asyncio's barrier. Each `wait` takes the next arrival index; the arrival that
//! completes the party releases everyone and the barrier starts over for the next round.
//! `abort` breaks it (every waiter, and every later `wait`, fails with
//! [`BrokenBarrierError`]); `reset` fails the current waiters and makes it usable again.
//! A waiter dropped before the party completes withdraws its arrival, as a cancelled asyncio
//! waiter does.

use crate::lock_state;
use crate::wait_hook::{BARRIER_WAIT, pending};
use crate::waiters::{Waiters, wake_all};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// `Barrier::wait` on a barrier that is (or got) broken by `abort` or `reset` (asyncio's
/// `BrokenBarrierError`). The two cases are asyncio's two messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokenBarrierError {
    /// The `wait` arrived at a barrier that [`abort`](Barrier::abort) had broken:
    /// "Barrier aborted".
    Aborted,
    /// [`abort`](Barrier::abort) or [`reset`](Barrier::reset) was called while the `wait`
    /// waited: "Abort or reset of barrier".
    AbortOrReset,
}

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Aborted => "Barrier aborted",
            Self::AbortOrReset => "Abort or reset of barrier",
        })
    }
}

impl std::error::Error for BrokenBarrierError {}

/// An asyncio barrier for `parties` tasks. A handle is cheap to clone; clones share it.
///
/// ```
/// use asyncio_sync::Barrier;
/// # futures_lite::future::block_on(async {
/// let barrier = Barrier::new(2);
/// let (a, b) = futures_lite::future::zip(barrier.wait(), barrier.wait()).await;
/// assert_eq!((a, b), (Ok(0), Ok(1)));
/// # });
/// ```
#[derive(Clone)]
pub struct Barrier {
    parties: usize,
    shared: Arc<Mutex<State>>,
}

/// What a waiter is told when it leaves the barrier.
#[derive(Clone, Copy)]
enum Outcome {
    Passed,
    Broken,
}

struct State {
    /// Arrivals of the current round.
    count: usize,
    broken: bool,
    waiters: Waiters<Outcome>,
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock_state(&self.shared);
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &state.count)
            .field("broken", &state.broken)
            .finish()
    }
}

impl Barrier {
    /// How many waiters are registered (queued, or notified and not yet resumed): zero
    /// once every waiting future has completed or been dropped. For tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        lock_state(&self.shared).waiters.registered()
    }

    /// A barrier that releases its waiters when `parties` tasks are waiting.
    ///
    /// # Panics
    /// If `parties` is 0, with asyncio's `ValueError` message, "parties must be > 0".
    pub fn new(parties: usize) -> Self {
        assert!(parties >= 1, "parties must be > 0");
        Self {
            parties,
            shared: Arc::new(Mutex::new(State {
                count: 0,
                broken: false,
                waiters: Waiters::default(),
            })),
        }
    }

    /// How many tasks the barrier waits for.
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// How many tasks are waiting now.
    pub fn n_waiting(&self) -> usize {
        lock_state(&self.shared).count
    }

    /// Whether the barrier is broken.
    pub fn broken(&self) -> bool {
        lock_state(&self.shared).broken
    }

    /// Waits until `parties` tasks wait; returns this task's arrival index
    /// (`0..parties`), or an error if the barrier is or gets broken.
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            key: None,
            index: 0,
        }
    }

    /// Breaks the barrier: waiting and later `wait`s fail until [`reset`](Self::reset).
    pub fn abort(&self) {
        let mut state = lock_state(&self.shared);
        state.broken = true;
        state.count = 0;
        let wakers = state.waiters.notify_all(Outcome::Broken);
        drop(state);
        wake_all(wakers);
    }

    /// Returns the barrier to its empty state; the tasks waiting now fail with
    /// [`BrokenBarrierError`].
    pub fn reset(&self) {
        let mut state = lock_state(&self.shared);
        state.broken = false;
        state.count = 0;
        let wakers = state.waiters.notify_all(Outcome::Broken);
        drop(state);
        wake_all(wakers);
    }
}

/// The future of [`Barrier::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    key: Option<usize>,
    index: usize,
}

impl Future for BarrierWait<'_> {
    type Output = Result<usize, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let barrier = self.barrier;
        let mut state = lock_state(&barrier.shared);
        match self.key {
            None if state.broken => Poll::Ready(Err(BrokenBarrierError::Aborted)),
            None => {
                let index = state.count;
                state.count += 1;
                if state.count == barrier.parties {
                    state.count = 0;
                    let wakers = state.waiters.notify_all(Outcome::Passed);
                    drop(state);
                    wake_all(wakers);
                    return Poll::Ready(Ok(index));
                }
                self.index = index;
                self.key = Some(state.waiters.push(cx.waker()));
                pending(&BARRIER_WAIT)
            }
            Some(key) => match state.waiters.poll(key, cx.waker()) {
                None => pending(&BARRIER_WAIT),
                Some(outcome) => {
                    self.key = None;
                    match outcome {
                        Outcome::Passed => Poll::Ready(Ok(self.index)),
                        Outcome::Broken => Poll::Ready(Err(BrokenBarrierError::AbortOrReset)),
                    }
                }
            },
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut state = lock_state(&self.barrier.shared);
        if state.waiters.remove(key).is_none() {
            // Still waiting for the party: withdraw the arrival.
            state.count -= 1;
        }
    }
}
