//! Seed 003, asyncio02-2.py (`tests/python/s003_await_one_by_one.py`): each task awaited
//! before the next is created: they run one after the other, not concurrently.
//! (`return` after the loop: see `s003_create_then_await`.) Sleeps: 1 s -> 10 ms.

use std::time::Duration;

async fn msg(s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{s}");
        asyncio::sleep(Duration::from_millis(10)).await;
    }
    s
}

async fn exe() -> Result<(), asyncio::TaskError> {
    asyncio::create_task(msg("コルーチン1")).await?;
    asyncio::create_task(msg("コルーチン2")).await?;
    asyncio::create_task(msg("コルーチン3")).await?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(exe())??;
    Ok(())
}
