//! Seed 001, program 5 (`tests/python/s001_create_task.py`): a fire-and-forget task starts
//! with `create_task` and runs while `main` goes on and then sleeps. Unlike CPython, the
//! task could not be lost even if nothing kept its handle. Sleeps: 2 s -> 20 ms.

use std::time::Duration;

async fn hello(name: &'static str, wait_time: Duration) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(wait_time).await;
    println!("{name}!");
    name
}

async fn main_() {
    let _task = asyncio::create_task(hello("Taro", Duration::from_millis(20)));
    println!("main goes on");
    asyncio::sleep(Duration::from_millis(40)).await; // hello runs meanwhile
    println!("main done");
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
