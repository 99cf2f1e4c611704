//! Seed 001, program 1 (`tests/python/s001_hello.py`): asyncio's Hello World.
//! Sleeps are shortened: 2 s -> 20 ms.

use std::time::Duration;

async fn main_() {
    println!("Hello ...");
    asyncio::sleep(Duration::from_millis(20)).await; // not std::thread::sleep: that blocks the loop
    println!("World!");
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
