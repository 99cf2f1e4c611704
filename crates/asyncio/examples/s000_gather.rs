//! Seed 000, program 3 (`tests/python/s000_gather.py`): three counters scheduled together
//! with `gather`, which makes each a task at once and returns a future of their results.
//! Sleeps are shortened: 1 s -> 10 ms.

mod common;

use std::time::Duration;

async fn counter_coroutine(name: &'static str, max: u32) -> String {
    let mut count = 0;
    while count < max {
        count += 1;
        println!("{name}: {count}");
        asyncio::sleep(Duration::from_millis(10)).await;
    }
    format!("{name} 数え終わりました")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    let counters = asyncio::gather([
        counter_coroutine("A", 1),
        counter_coroutine("B", 2),
        counter_coroutine("C", 3),
    ]);
    println!("counters is {counters:?}"); // gather gives a future, as in asyncio

    let result = event_loop.run_until_complete(counters)??;
    println!("{}", common::py_list(&result));
    event_loop.close()?;
    Ok(())
}
