//! Seed 003, asyncio03.py (`tests/python/s003_gather.py`): `gather` does asyncio02.py's
//! create-then-await in one call and returns the results as a list.
//! (`return` after the loop: see `s003_create_then_await`.) Sleeps: 1 s -> 10 ms.

mod common;

use std::time::Duration;

async fn msg(s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{s}");
        asyncio::sleep(Duration::from_millis(10)).await;
    }
    s
}

async fn exe() -> Result<(), asyncio::TaskError> {
    let g = asyncio::gather([msg("コルーチン1"), msg("コルーチン2"), msg("コルーチン3")]).await?;
    println!("{}", common::py_list(&g));
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(exe())??;
    Ok(())
}
