//! Seed 002, program 2 (`tests/python/s002_run_forever_stop.py`): two tasks interleave one
//! step per loop iteration; the first to finish stops the loop, and the other's step in that
//! same iteration still runs (`b done` prints). The seed's generator-based coroutines yield
//! with a bare `yield`; `sleep(Duration::ZERO)` is the same one-iteration yield.
//!
//! `loop.time()` is printed relative to the start and rounded to 0.1 s (in the Python port
//! too), so the output is deterministic while still showing every step at the same time.

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
    event_loop.stop();
}

fn main() -> Result<(), asyncio::RunError> {
    let event_loop = asyncio::new_event_loop();
    let start = event_loop.time();
    event_loop.create_task(gen_(event_loop.clone(), "a", 3, start));
    event_loop.create_task(gen_(event_loop.clone(), "b", 3, start));
    event_loop.run_forever()?;
    event_loop.close()
}
