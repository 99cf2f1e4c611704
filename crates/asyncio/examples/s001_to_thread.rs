//! Seed 001, program 8 (`tests/python/s001_to_thread.py`): `to_thread` runs a blocking
//! function on the loop's default thread pool while the coroutines run; `gather!` mixes it
//! with them. `heavy_task` is not shown in the seed: it blocks its thread for 10 ms and
//! returns its argument. Sleeps: 2 s -> 20 ms.

mod common;

use std::time::Duration;

fn heavy_task(s: &'static str) -> &'static str {
    std::thread::sleep(Duration::from_millis(10)); // blocking: fine on a pool thread
    s
}

async fn hello(name: &'static str) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(Duration::from_millis(20)).await;
    println!("{name}!");
    name
}

async fn main_() -> Result<(), Box<dyn std::error::Error>> {
    // Python passes the function and its argument apart; a closure does the same here.
    let co = asyncio::to_thread(|| heavy_task("heavy!"));
    let (a, b, c, heavy) =
        asyncio::gather!(hello("Taro"), hello("Jiro"), hello("Saburo"), co).await?;
    println!("{}", common::py_list(&[a, b, c, heavy?]));
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(main_())?
}
