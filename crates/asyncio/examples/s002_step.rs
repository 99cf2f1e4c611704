//! Seed 002, program 6 (`tests/python/s002_step.py`): the loop embedded in a program's own
//! main loop, one iteration per frame. CPython spells one iteration `loop.stop();
//! loop.run_forever()`; here it is `run_once()`, which never blocks. The gather is done in
//! the 7th iteration, one after `b` finished, as in CPython.
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

fn main() -> Result<(), asyncio::RunError> {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let start = event_loop.time();
    let task_a = asyncio::ensure_future(gen_(event_loop.clone(), "a", 3, start));
    let task_b = asyncio::ensure_future(gen_(event_loop.clone(), "b", 5, start));
    let future = asyncio::gather_tasks([task_a, task_b]);

    let mut count = 1;
    while !future.done() {
        println!("{count}");
        count += 1;
        event_loop.run_once()?; // one loop iteration per frame of our own loop
    }

    println!("done");
    event_loop.close()
}
