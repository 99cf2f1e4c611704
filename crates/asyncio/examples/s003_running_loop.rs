//! Seed 003, 4.5.5.2 (`tests/python/s003_running_loop.py`): `get_running_loop()` gives the
//! loop inside a coroutine and an error (asyncio's `RuntimeError`) outside one.

mod common;

async fn main_() {
    let event_loop = asyncio::get_running_loop().expect("inside asyncio::run");
    println!("running: {}", common::py_bool(event_loop.is_running()));
}

fn main() -> Result<(), asyncio::RunError> {
    if let Err(e) = asyncio::get_running_loop() {
        println!("RuntimeError: {e}");
    }
    asyncio::run(main_())
}
