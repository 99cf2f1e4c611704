//! Seed 000, program 1 (`tests/python/s000_counter.py`): a coroutine object does nothing
//! until the loop runs it; `run_until_complete` gives back what it returned.
//!
//! One line differs from CPython's output: Python prints the coroutine object with its
//! address (`<coroutine object counter_coroutine at 0x7f...>`); a Rust future has no
//! address worth printing, so the line is `<coroutine object counter_coroutine>`.
//! Sleeps are shortened: 1 s -> 10 ms.

mod common;

use std::time::Duration;

async fn counter_coroutine(max: u32) -> &'static str {
    let mut count = 0;
    while count < max {
        count += 1;
        println!("{count}");
        asyncio::sleep(Duration::from_millis(10)).await; // like asyncio.sleep, awaited
    }
    "数え終わりました"
}

fn main() -> Result<(), asyncio::RunError> {
    let counter = counter_coroutine(3); // a future: nothing has run yet
    println!("counter is {}", common::coroutine_repr(&counter));
    let event_loop = asyncio::get_event_loop();
    let result = event_loop.run_until_complete(counter)?; // the coroutine's return value
    println!("{result}");
    event_loop.close()
}
