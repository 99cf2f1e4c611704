//! Seed 001, program 6 (`tests/python/s001_wait_for.py`): `wait_for` with a timeout shorter
//! than the work gives a timeout error, and the work is interrupted: `Taro!` never prints.
//! Sleeps: 2 s -> 20 ms, 1 s -> 10 ms.

use std::time::Duration;

async fn hello(name: &'static str, wait_time: Duration) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(wait_time).await;
    println!("{name}!");
    name
}

async fn main_() {
    match asyncio::wait_for(
        Duration::from_millis(10),
        hello("Taro", Duration::from_millis(20)),
    )
    .await
    {
        Ok(results) => println!("{results}"),
        Err(asyncio::TimeoutError { .. }) => println!("timeout!"),
    }
    asyncio::sleep(Duration::from_millis(30)).await;
    println!("Taro was interrupted");
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
