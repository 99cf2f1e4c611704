//! Seed 003, asyncio02.py (`tests/python/s003_create_then_await.py`): three tasks created,
//! then awaited: they run concurrently, one line each per second. (The book's listing puts
//! `return s` inside the loop, an extraction artefact: its output shows three lines per
//! task.) Sleeps are shortened: 1 s -> 10 ms.

use std::time::Duration;

async fn msg(s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{s}");
        asyncio::sleep(Duration::from_millis(10)).await; // suspend; the next task runs
    }
    s
}

async fn exe() -> Result<(), asyncio::TaskError> {
    let t1 = asyncio::create_task(msg("コルーチン1"));
    let t2 = asyncio::create_task(msg("コルーチン2"));
    let t3 = asyncio::create_task(msg("コルーチン3"));
    t1.await?;
    t2.await?;
    t3.await?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(exe())??;
    Ok(())
}
