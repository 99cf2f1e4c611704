//! `sleep_with`: asyncio's `sleep(delay, result)`, which gives `result` back after the
//! delay. A future of its own around the loop's [`Sleep`], so that the common `sleep`
//! stays three words.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use asyncio_loop::{Sleep, sleep};

/// asyncio's `await asyncio.sleep(delay, result)`: completes with `result` after `delay`,
/// timed exactly as [`sleep`] (`Duration::ZERO` yields one loop iteration, no timer).
/// asyncio's negative delays act as zero; a `Duration` cannot be negative.
///
/// Cancel safety: dropping it before it completes cancels its timer and drops `result`.
///
/// ```
/// use std::time::Duration;
///
/// let out = asyncio::run(asyncio::sleep_with(Duration::from_millis(1), "done"));
/// assert_eq!(out, Ok("done"));
/// ```
pub fn sleep_with<T>(delay: Duration, result: T) -> SleepWith<T> {
    SleepWith {
        sleep: sleep(delay),
        result: Some(result),
    }
}

/// The future of [`sleep_with`].
#[must_use = "futures do nothing unless awaited"]
pub struct SleepWith<T> {
    sleep: Sleep,
    /// `None` once handed over.
    result: Option<T>,
}

/// `result` is only ever moved out whole, never pinned, and `Sleep` is `Unpin`.
impl<T> Unpin for SleepWith<T> {}

impl<T> Future for SleepWith<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.get_mut();
        if Pin::new(&mut this.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let result = this.result.take();
        Poll::Ready(result.expect("sleep_with: polled after completion"))
    }
}

impl<T> fmt::Debug for SleepWith<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SleepWith")
            .field("sleep", &self.sleep)
            .field("done", &self.result.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn a_zero_sleep_with_a_result_yields_one_iteration_like_sleep() {
        // asyncio: `await sleep(0, x)` is `await sleep(0)`, then `x`.
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        asyncio_loop::EventLoop::new()
            .run_until_complete(async move {
                let other = {
                    let l = l.clone();
                    asyncio_loop::create_task(async move {
                        l.borrow_mut().push("other 1".to_string());
                        sleep(Duration::ZERO).await;
                        l.borrow_mut().push("other 2".to_string());
                    })
                };
                let got = sleep_with(Duration::ZERO, "value").await;
                l.borrow_mut().push(format!("got {got}"));
                let got = sleep_with(Duration::ZERO, "again").await;
                l.borrow_mut().push(format!("got {got}"));
                other.await.unwrap();
            })
            .unwrap();
        assert_eq!(
            *log.borrow(),
            ["other 1", "got value", "other 2", "got again"]
        );
    }

    #[test]
    fn the_result_comes_after_the_delay() {
        let event_loop = asyncio_loop::EventLoop::new();
        let start = std::time::Instant::now();
        let out = event_loop.run_until_complete(sleep_with(Duration::from_millis(5), vec![1, 2]));
        assert_eq!(out, Ok(vec![1, 2]));
        assert!(start.elapsed() >= Duration::from_millis(5));
    }
}
