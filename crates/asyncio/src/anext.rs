//! `anext`: the next item of an async iterable, for `while let` loops.
//!
//! Python's `async for x in it:` becomes `while let Some(x) = anext(&mut it).await { .. }`.
//! Any [`Stream`] is an async iterable here (the async generators of
//! [`async_generator`](crate::async_generator), [`as_completed`](crate::as_completed), a
//! hand-written `poll_next`), so this one function serves them all.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

/// Python's `anext(iterator)`: a future of the stream's next item, `None` once it has ended.
///
/// ```
/// use asyncio::{anext, async_generator};
///
/// # futures_lite::future::block_on(async {
/// let mut letters = async_generator(|mut y| async move {
///     y.yield_('a').await;
/// });
/// assert_eq!(anext(&mut letters).await, Some('a'));
/// assert_eq!(anext(&mut letters).await, None);
/// # });
/// ```
pub fn anext<S: Stream + Unpin + ?Sized>(stream: &mut S) -> Next<'_, S> {
    Next { stream }
}

/// The future returned by [`anext`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, S: ?Sized> {
    stream: &'a mut S,
}

impl<S: Stream + Unpin + ?Sized> Future for Next<'_, S> {
    type Output = Option<S::Item>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut *self.stream).poll_next(cx)
    }
}
