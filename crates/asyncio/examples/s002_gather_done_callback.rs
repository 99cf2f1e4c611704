//! Seed 002, program 3 (`tests/python/s002_gather_done_callback.py`): gather two tasks and
//! stop the loop when the gather is done. Python adds a done-callback to the gather future;
//! here a task awaits the gather and then stops the loop, which is the same thing.
//! (Bare `yield` -> `sleep(ZERO)`, rounded relative times: see `s002_run_forever_stop`.)

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

fn main() -> Result<(), asyncio::RunError> {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let start = event_loop.time();
    let task_a = asyncio::ensure_future(gen_(event_loop.clone(), "a", 3, start));
    let task_b = asyncio::ensure_future(gen_(event_loop.clone(), "b", 5, start));
    let future = asyncio::gather_tasks([task_a, task_b]);
    let stopper = event_loop.clone();
    let _task = asyncio::ensure_future(async move {
        let _ = future.await;
        stopper.stop(); // Python: future.add_done_callback(lambda future: loop.stop())
    });
    event_loop.run_forever()?;
    event_loop.close()
}
