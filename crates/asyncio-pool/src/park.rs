//! Blocking on a future from plain threads: the park/unpark waker behind [`Job::wait`] and
//! [`Job::result`](crate::Job::result), so blocking callers share the one wake-up path that
//! async callers use.
//!
//! [`Job::wait`]: crate::Job::wait

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Instant;

struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this thread, parking between polls, until it is ready.
pub(crate) fn block_on<F: Future + Unpin>(future: &mut F) -> F::Output {
    loop {
        // Without a deadline `wait_until` only returns once the future is ready.
        if let Some(output) = wait_until(future, None) {
            return output;
        }
    }
}

/// Polls `future` on this thread, parking between polls, until it is ready (`Some`) or the
/// deadline passes (`None`).
pub(crate) fn wait_until<F: Future + Unpin>(
    future: &mut F,
    deadline: Option<Instant>,
) -> Option<F::Output> {
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = Pin::new(&mut *future).poll(&mut cx) {
            return Some(output);
        }
        // Spurious unparks just mean one more poll.
        match deadline {
            None => thread::park(),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    return None;
                }
                thread::park_timeout(deadline - now);
            }
        }
    }
}
