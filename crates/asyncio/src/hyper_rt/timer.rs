//! [`HyperTimer`]: hyper's `Timer` on the loop's timer wheel.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio_loop::{Sleep, sleep_until};

/// `hyper::rt::Timer` on the running loop: hyper's sleeps are the loop's
/// [`sleep_until`](crate::sleep_until) futures, one entry of the
/// timer wheel each (1 ms resolution, never early), cancelled in O(1) when hyper drops
/// them (as it does each time a request's head arrives before `header_read_timeout`).
///
/// Give it to `hyper::server::conn::http1::Builder::timer`; hyper then enforces
/// `header_read_timeout` (30 s unless set otherwise).
///
/// The sleeps must be polled by a task of a running loop, which is where a connection
/// served on our loop polls them; polled anywhere else they panic with "sleep: no running
/// event loop". They are `Send + Sync`, as hyper requires, because the loop's `Sleep` is
/// plain data (a deadline, then a timer id) that reaches its loop only through the
/// thread's running loop when polled.
#[derive(Clone, Copy, Debug, Default)]
pub struct HyperTimer;

/// The loop's sleep as a `hyper::rt::Sleep`. A newtype because neither the trait nor
/// `asyncio_loop::Sleep` is this crate's.
struct HyperSleep(Sleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The loop's `Sleep` is `Unpin`: it holds no self-reference.
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl hyper::rt::Timer for HyperTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        // hyper means `duration` from now; the loop's `sleep` would count from its first
        // poll, which hyper may make later.
        Box::pin(HyperSleep(sleep_until(self.now() + duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(sleep_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            // Ours: replace the timer in place, keeping hyper's allocation. Dropping the
            // old `Sleep` cancels its wheel entry.
            Some(mine) => mine.get_mut().0 = sleep_until(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}
