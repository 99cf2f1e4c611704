//! Deterministic driving of futures for the tests: a waker that counts its wakes, so a test
//! can poll futures by hand in exactly the interleaving it wants, with no executor.

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A future polled by hand, with a waker of its own that counts wakes.
pub struct Driven<F: Future> {
    future: Pin<Box<F>>,
    counter: Arc<Counter>,
    waker: Waker,
}

impl<F: Future> Driven<F> {
    /// Wraps `future` without polling it.
    pub fn new(future: F) -> Self {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        Self {
            future: Box::pin(future),
            waker: Waker::from(counter.clone()),
            counter,
        }
    }

    /// Polls once.
    pub fn poll(&mut self) -> Poll<F::Output> {
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// Polls once and expects it to be pending.
    #[track_caller]
    pub fn pending(&mut self) {
        assert!(
            self.poll().is_pending(),
            "expected the future to be pending"
        );
    }

    /// Polls once and expects it to be ready; returns its output.
    #[track_caller]
    pub fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }

    /// How many times the future's waker was woken.
    pub fn wakes(&self) -> usize {
        self.counter.0.load(Ordering::SeqCst)
    }

    /// Whether it was woken since it was created.
    pub fn woken(&self) -> bool {
        self.wakes() > 0
    }
}

/// Polls `future` once and returns it as a driven future.
pub fn start<F: Future>(future: F) -> (Driven<F>, Poll<F::Output>) {
    let mut driven = Driven::new(future);
    let poll = driven.poll();
    (driven, poll)
}

/// Runs a future that must complete at its first poll.
#[track_caller]
pub fn now<F: Future>(future: F) -> F::Output {
    match start(future).1 {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("expected the future to complete at once"),
    }
}
