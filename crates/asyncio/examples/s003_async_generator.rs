//! Seed 003, asyncio11.py (`tests/python/s003_async_generator.py`): an async generator
//! consumed by an async `for` loop while another task runs; neither blocks the other.
//! `async_generator` is the facade's way to write Python's `async def` with `yield`.
//!
//! Sleeps: 1 s -> 10 ms, 2 s -> 20 ms. At 20 ms and 40 ms both tasks' timers are due at the
//! same time; CPython fires them in one iteration because its poll wakes on a whole
//! millisecond. To make that tie exact rather than lucky, both sleep until deadlines counted
//! from one start (`sleep_until`); equal deadlines fire in the order they were set.

use std::time::{Duration, Instant};

use asyncio::{anext, async_generator};

const UNIT: Duration = Duration::from_millis(10);

async fn msg(start: Instant) {
    for x in 1..=4 {
        asyncio::sleep_until(start + UNIT * x).await;
        println!("タスク1");
    }
}

async fn exe() {
    let start = Instant::now();
    asyncio::create_task(msg(start)); // task 1: runs on its own
    // Python: async def aGen(): for x in ['a', 'b']: await asyncio.sleep(2); yield x
    let mut a_gen = async_generator(|mut y| async move {
        for (k, x) in ["a", "b"].into_iter().enumerate() {
            asyncio::sleep_until(start + UNIT * 2 * (k as u32 + 1)).await;
            y.yield_(x).await;
        }
    });
    while let Some(x) = anext(&mut a_gen).await {
        println!("\t非同期に値を取得: {x}");
    }
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(exe())
}
