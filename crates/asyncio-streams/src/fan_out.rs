//! One waker for the sink that wakes everyone waiting on it.
//!
//! A `futures-io` sink remembers the waker of the last `poll_write` that returned `Pending`
//! (smol's `Async` keeps one per direction), so two tasks polling the same sink with their
//! own wakers would starve each other: the second replaces the first, which is never woken.
//! The writer therefore always polls its sink with this fan-out waker, after adding the
//! polling task's waker to the list; when the sink is ready, everyone on the list is woken
//! and looks again. A stale entry costs one spurious wake, never a lost one.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Wake, Waker};

#[derive(Debug, Default)]
pub(crate) struct FanOut {
    wakers: Mutex<Vec<Waker>>,
}

impl FanOut {
    /// Adds `waker` to those woken when the sink is ready, unless it is there already.
    pub(crate) fn register(&self, waker: &Waker) {
        let mut wakers = self.wakers.lock().unwrap_or_else(PoisonError::into_inner);
        if !wakers.iter().any(|known| known.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for FanOut {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Taken out first: a woken task may poll the sink, and so register, at once.
        let wakers =
            std::mem::take(&mut *self.wakers.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in wakers {
            waker.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wakes_every_registered_waker_once() {
        let fan_out = Arc::new(FanOut::default());
        let (a, b) = (
            Arc::new(Count(AtomicUsize::new(0))),
            Arc::new(Count(AtomicUsize::new(0))),
        );
        let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
        fan_out.register(&wa);
        fan_out.register(&wa); // the same waker is kept once
        fan_out.register(&wb);
        let sink_waker = Waker::from(fan_out.clone());
        sink_waker.wake_by_ref();
        sink_waker.wake_by_ref(); // nobody registered again: nobody woken
        assert_eq!(a.0.load(Ordering::SeqCst), 1);
        assert_eq!(b.0.load(Ordering::SeqCst), 1);
    }
}
