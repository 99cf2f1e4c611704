//! Seed 003, asyncio12.py (`tests/python/s003_async_iterator.py`): the same with an async
//! iterator written by hand: Python's `__anext__` is `Stream::poll_next`.
//! Sleeps and ties as in `s003_async_generator`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use asyncio::{Sleep, Stream, anext};

const UNIT: Duration = Duration::from_millis(10);

async fn msg(start: Instant) {
    for x in 1..=4 {
        asyncio::sleep_until(start + UNIT * x).await;
        println!("タスク1");
    }
}

/// The seed's `AsyncIter` class.
struct AsyncIter {
    q: [&'static str; 2],
    cur: usize,
    start: Instant,
    /// The sleep of the `__anext__` in progress, if one is.
    sleeping: Option<Pin<Box<Sleep>>>,
}

impl Stream for AsyncIter {
    type Item = &'static str;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<&'static str>> {
        if self.cur > 1 {
            return Poll::Ready(None); // Python: raise StopAsyncIteration
        }
        let deadline = self.start + UNIT * 2 * (self.cur as u32 + 1);
        let sleeping = self
            .sleeping
            .get_or_insert_with(|| Box::pin(asyncio::sleep_until(deadline)));
        if sleeping.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.sleeping = None;
        let r = self.q[self.cur];
        self.cur += 1;
        Poll::Ready(Some(r))
    }
}

async fn exe() {
    let start = Instant::now();
    asyncio::create_task(msg(start));
    let mut a = AsyncIter {
        q: ["a", "b"],
        cur: 0,
        start,
        sleeping: None,
    };
    while let Some(x) = anext(&mut a).await {
        println!("\t非同期に値を取得: {x}");
    }
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(exe())
}
