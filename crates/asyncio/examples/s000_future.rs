//! Seed 000, program 2 (`tests/python/s000_future.py`): a `Future` filled by a coroutine
//! that `ensure_future` wrapped in a task; `run_until_complete(future)` runs until it is set.
//!
//! One line differs from CPython's output: Python's task repr names the coroutine and its
//! source line (`<Task pending name='Task-1' coro=<counter_coroutine() running at ...>>`);
//! ours is `<Task pending name='Task-1'>`. Sleeps are shortened: 1 s -> 10 ms.

use std::time::Duration;

async fn counter_coroutine(max: u32, future: asyncio::Future<&'static str>) {
    let mut count = 0;
    while count < max {
        count += 1;
        println!("{count}");
        asyncio::sleep(Duration::from_millis(10)).await;
    }
    future
        .set_result("数え終わりました")
        .expect("the future is set once");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let future = event_loop.create_future(); // a box for a result that comes later
    let counter = counter_coroutine(3, future.clone());

    let task = asyncio::ensure_future(counter); // schedules counter as a task
    println!("task is {task:?}");

    event_loop.run_until_complete(future.clone())??;
    println!("{}", future.result()??); // what set_result stored
    event_loop.close()?;
    Ok(())
}
