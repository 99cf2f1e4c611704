//! [`Event`]: asyncio's one-bit broadcast. `set` wakes every waiter; a waiter woken by a
//! `set` returns even if the event was cleared again before it ran, as in asyncio.

use crate::lock_state;
use crate::wait_hook::{EVENT_WAIT, pending};
use crate::waiters::{Waiters, wake_all};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// An asyncio event: a flag tasks can wait for. A handle is cheap to clone; clones share it.
///
/// ```
/// use asyncio_sync::Event;
/// # futures_lite::future::block_on(async {
/// let event = Event::new();
/// assert!(!event.is_set());
/// event.set();
/// event.wait().await;
/// event.clear();
/// assert!(!event.is_set());
/// # });
/// ```
#[derive(Clone, Default)]
pub struct Event {
    shared: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    set: bool,
    waiters: Waiters<()>,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

impl Event {
    /// How many waiters are registered (queued, or notified and not yet resumed): zero
    /// once every waiting future has completed or been dropped. For tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        lock_state(&self.shared).waiters.registered()
    }

    /// An event that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the event is set.
    pub fn is_set(&self) -> bool {
        lock_state(&self.shared).set
    }

    /// Sets the event and wakes every waiter.
    pub fn set(&self) {
        let mut state = lock_state(&self.shared);
        state.set = true;
        let wakers = state.waiters.notify_all(());
        drop(state);
        wake_all(wakers);
    }

    /// Clears the event: later `wait`s wait for the next `set`.
    pub fn clear(&self) {
        lock_state(&self.shared).set = false;
    }

    /// Waits until the event is set (returns at once if it is).
    pub fn wait(&self) -> EventWait<'_> {
        EventWait {
            event: self,
            key: None,
        }
    }
}

/// The future of [`Event::wait`].
#[must_use = "futures do nothing unless awaited"]
pub struct EventWait<'a> {
    event: &'a Event,
    key: Option<usize>,
}

impl Future for EventWait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = lock_state(&self.event.shared);
        match self.key {
            None if state.set => Poll::Ready(()),
            None => {
                let key = state.waiters.push(cx.waker());
                self.key = Some(key);
                pending(&EVENT_WAIT)
            }
            Some(key) => match state.waiters.poll(key, cx.waker()) {
                Some(()) => {
                    self.key = None;
                    Poll::Ready(())
                }
                None => pending(&EVENT_WAIT),
            },
        }
    }
}

impl Drop for EventWait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock_state(&self.event.shared).waiters.remove(key);
        }
    }
}
