//! Async generators: a function that `yield`s values with awaits between them.
//!
//! Python writes `async def agen(): ... yield x` and consumes it with `async for`. Rust has
//! no stable generator syntax, so [`async_generator`] takes an `async` closure that receives
//! a [`Yielder`] and calls `y.yield_(x).await` where Python writes `yield x`. The result is a
//! [`Stream`], the async iterable of the Rust ecosystem; [`anext`](crate::anext) or any
//! `StreamExt` consumes it.
//!
//! It works on any executor: the generator body is an ordinary future polled by whoever
//! polls the stream, and the yielded value passes through a slot shared by the two halves.
//!
//! Closing is dropping. asyncio's `aclose()` throws `GeneratorExit` in at the `yield` where
//! the generator waits, so its `finally` blocks run (and may await); here
//! [`aclose`](AsyncGenerator::aclose) drops the body future where it waits, so the `Drop`
//! of every value it holds runs, which is where Rust cleanup lives. What has no Rust
//! form: cleanup that awaits (a `Drop` cannot), and a generator that ignores the close and
//! yields again (asyncio's RuntimeError "async generator ignored GeneratorExit"), since a
//! dropped future never runs again. As in asyncio, the running loop tracks every generator
//! first iterated on it and [`run`](crate::run) closes those still alive at its end
//! (`asyncgens.rs`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_core::Stream;

/// Makes an async generator: `body` gets a [`Yielder`] and runs as the stream is polled;
/// each `yielder.yield_(value).await` hands `value` to the consumer and suspends the body
/// until the next value is asked for. The stream ends when `body` returns.
///
/// ```
/// use asyncio::{anext, async_generator};
///
/// # futures_lite::future::block_on(async {
/// // Python: async def count(n):  for i in range(n): yield i
/// let mut numbers = async_generator(|mut y| async move {
///     for i in 0..3 {
///         y.yield_(i).await;
///     }
/// });
/// let mut seen = Vec::new();
/// while let Some(i) = anext(&mut numbers).await {
///     seen.push(i);
/// }
/// assert_eq!(seen, [0, 1, 2]);
/// # });
/// ```
///
/// The body must be `'static` (own what it uses, as an `async move` block does): the loop
/// that first iterates the generator keeps a reference to it, to close it if it is still
/// alive when [`run`](crate::run) ends, as asyncio's loop does.
pub fn async_generator<T, F, Fut>(body: F) -> AsyncGenerator<T, Fut>
where
    F: FnOnce(Yielder<T>) -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    let slot = Arc::new(Mutex::new(None));
    let body = body(Yielder { slot: slot.clone() });
    AsyncGenerator {
        body: Arc::new(Mutex::new(Some(Box::pin(body)))),
        slot,
        started: false,
    }
}

/// The generator's side: hands values to the consumer. Given to the body of
/// [`async_generator`].
pub struct Yielder<T> {
    slot: Arc<Mutex<Option<T>>>,
}

impl<T> Yielder<T> {
    /// Python's `yield value`: gives `value` to the consumer and suspends until it asks for
    /// the next one (`yield` is a reserved word in Rust, hence the underscore).
    pub fn yield_(&mut self, value: T) -> Yield<'_, T> {
        Yield {
            yielder: self,
            value: Some(value),
        }
    }
}

impl<T> fmt::Debug for Yielder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Yielder")
    }
}

/// The future of [`Yielder::yield_`]: the first poll stores the value and suspends, the
/// second (when the consumer asks for the next value) completes.
#[must_use = "a value is only yielded when the `yield_` future is awaited"]
pub struct Yield<'a, T> {
    yielder: &'a mut Yielder<T>,
    value: Option<T>,
}

impl<T> Unpin for Yield<'_, T> {}

impl<T> Future for Yield<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        match self.value.take() {
            Some(value) => {
                *lock(&self.yielder.slot) = Some(value);
                // No waker is registered on purpose: the stream sees the value as soon as
                // this poll returns and reports it; the consumer's next `poll_next` resumes us.
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

impl<T> fmt::Debug for Yield<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Yield")
            .field("pending", &self.value.is_some())
            .finish()
    }
}

/// A generator's body while it may still run: `None` once it returned or was closed.
/// Shared (behind a lock, so a generator stays `Send` when its body is) with the registry
/// of the loop that first iterated it, which holds it weakly.
type Body<Fut> = Mutex<Option<Pin<Box<Fut>>>>;

/// The consumer's side of [`async_generator`]: a [`Stream`] of the yielded values.
#[must_use = "streams do nothing unless polled"]
pub struct AsyncGenerator<T, Fut> {
    body: Arc<Body<Fut>>,
    slot: Arc<Mutex<Option<T>>>,
    /// Whether it was iterated: the first time, the running loop starts tracking it.
    started: bool,
}

impl<T, Fut> AsyncGenerator<T, Fut> {
    /// Python's `await agen.aclose()`: closes the generator where it waits, by dropping its
    /// body future (the `Drop` of what the body holds is its `finally`); the generator is
    /// then exhausted ([`anext`](crate::anext) gives `None`). Closing one that has
    /// finished, or that never started (its body, never polled, holds only what it
    /// captured), does nothing else. A panic in that cleanup comes out of the await.
    ///
    /// Cancel safety: it completes at its first poll; dropped before that, it closed
    /// nothing.
    ///
    /// ```
    /// use asyncio::{anext, async_generator};
    ///
    /// struct Finally;
    /// impl Drop for Finally {
    ///     fn drop(&mut self) {
    ///         println!("finally");
    ///     }
    /// }
    ///
    /// # futures_lite::future::block_on(async {
    /// let mut numbers = async_generator(|mut y| async move {
    ///     let _finally = Finally; // Python: try: ... finally: print("finally")
    ///     y.yield_(1).await;
    ///     y.yield_(2).await;
    /// });
    /// assert_eq!(anext(&mut numbers).await, Some(1));
    /// numbers.aclose().await; // prints "finally"
    /// assert_eq!(anext(&mut numbers).await, None);
    /// # });
    /// ```
    pub async fn aclose(&mut self) {
        close(&self.body);
    }
}

/// Drops the body, outside the lock: its cleanup may do anything, panic included.
fn close<Fut>(body: &Body<Fut>) {
    let body = lock(body).take();
    drop(body);
}

impl<Fut: Future<Output = ()> + 'static> crate::asyncgens::Close for Body<Fut> {
    fn close(&self) {
        close(self);
    }

    fn name(&self) -> &'static str {
        std::any::type_name::<Fut>()
    }
}

impl<T, Fut> Stream for AsyncGenerator<T, Fut>
where
    Fut: Future<Output = ()> + 'static,
{
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = &mut *self;
        if !this.started {
            this.started = true;
            crate::asyncgens::first_iteration(&this.body);
        }
        let mut body = lock(&this.body);
        let Some(running) = body.as_mut() else {
            return Poll::Ready(None);
        };
        let finished = running.as_mut().poll(cx).is_ready();
        if finished {
            *body = None;
        }
        drop(body);
        match lock(&this.slot).take() {
            Some(value) => Poll::Ready(Some(value)),
            None if finished => Poll::Ready(None),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if lock(&self.body).is_none() {
            (0, Some(0))
        } else {
            (0, None)
        }
    }
}

impl<T, Fut> fmt::Debug for AsyncGenerator<T, Fut> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncGenerator")
            .field("finished", &lock(&self.body).is_none())
            .finish()
    }
}

/// A poisoned lock only means a panic happened while it was held (a value moved in or out,
/// a body that panicked in its poll); the `Option` inside is still valid.
fn lock<T>(slot: &Mutex<Option<T>>) -> std::sync::MutexGuard<'_, Option<T>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anext;
    use futures_lite::future::block_on;

    #[test]
    fn yields_values_in_order_then_ends() {
        let mut gen_ = async_generator(|mut y| async move {
            y.yield_("a").await;
            y.yield_("b").await;
        });
        block_on(async {
            assert_eq!(anext(&mut gen_).await, Some("a"));
            assert_eq!(anext(&mut gen_).await, Some("b"));
            assert_eq!(anext(&mut gen_).await, None);
            assert_eq!(
                anext(&mut gen_).await,
                None,
                "an ended generator stays ended"
            );
        });
    }

    #[test]
    fn body_runs_only_as_far_as_values_are_asked_for() {
        let steps = Arc::new(Mutex::new(Vec::new()));
        let log = steps.clone();
        let mut gen_ = async_generator(move |mut y| async move {
            for i in 0..3 {
                log.lock().unwrap().push(i);
                y.yield_(i).await;
            }
        });
        assert!(
            steps.lock().unwrap().is_empty(),
            "nothing runs before the first poll"
        );
        block_on(async {
            assert_eq!(anext(&mut gen_).await, Some(0));
        });
        assert_eq!(
            *steps.lock().unwrap(),
            [0],
            "the body waits at its first yield"
        );
    }

    #[test]
    fn a_generator_is_send_when_its_body_and_values_are() {
        fn send<S: Send>(_: &S) {}
        let gen_ = async_generator(|mut y| async move {
            y.yield_(1_u8).await;
        });
        send(&gen_);
    }

    #[test]
    fn awaits_between_yields_suspend_the_stream() {
        // A body that awaits a future which is pending once: the stream is pending too,
        // then yields once woken.
        let mut gen_ = async_generator(|mut y| async move {
            futures_lite::future::yield_now().await;
            y.yield_(7).await;
        });
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert_eq!(Pin::new(&mut gen_).poll_next(&mut cx), Poll::Pending);
        assert_eq!(Pin::new(&mut gen_).poll_next(&mut cx), Poll::Ready(Some(7)));
        assert_eq!(Pin::new(&mut gen_).poll_next(&mut cx), Poll::Ready(None));
        assert_eq!(gen_.size_hint(), (0, Some(0)));
    }
}
