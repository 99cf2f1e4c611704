//! Seed 002, programs 4 and 5 (`tests/python/s002_run_until_complete.py`):
//! `run_until_complete(gather(..))` instead of a callback that stops the loop, with native
//! coroutines that yield with `sleep(0)`.
//! (Rounded relative times: see `s002_run_forever_stop`.)

use std::time::Duration;

use asyncio::EventLoop;

async fn gen_(event_loop: EventLoop, name: &'static str, count: u32, start: f64) {
    let now = || format!("{:.1}", event_loop.time() - start);
    println!("{name} {}", now());
    for i in 0..count {
        println!("{name} {i} {}", now());
        asyncio::sleep(Duration::ZERO).await;
    }
    println!("{name} done");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let start = event_loop.time();
    let future_a = asyncio::ensure_future(gen_(event_loop.clone(), "a", 3, start));
    let future_b = asyncio::ensure_future(gen_(event_loop.clone(), "b", 5, start));
    let future = asyncio::gather_tasks([future_a, future_b]);
    event_loop.run_until_complete(future)??;
    event_loop.close()?;
    Ok(())
}
