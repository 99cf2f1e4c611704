//! Seed 001, program 9 (`tests/python/s001_run_in_executor.py`): `run_in_executor` on a
//! thread pool of our own (Python's `ThreadPoolExecutor`), shut down at the end as the
//! `with` block does. Sleeps: 2 s -> 20 ms.

mod common;

use std::time::Duration;

use asyncio::EventLoopExt;

fn heavy_task(s: &'static str) -> &'static str {
    std::thread::sleep(Duration::from_millis(10));
    s
}

async fn hello(name: &'static str) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(Duration::from_millis(20)).await;
    println!("{name}!");
    name
}

async fn main_() -> Result<(), Box<dyn std::error::Error>> {
    let executor = asyncio::ThreadPool::builder().build()?;
    let event_loop = asyncio::get_running_loop()?;
    let co = event_loop.run_in_executor(Some(&executor), || heavy_task("heavy!"));
    let (a, b, c, heavy) =
        asyncio::gather!(hello("Taro"), hello("Jiro"), hello("Saburo"), co).await?;
    println!("{}", common::py_list(&[a, b, c, heavy?]));
    executor.shutdown(true, false); // the end of Python's `with` block
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(main_())?
}
