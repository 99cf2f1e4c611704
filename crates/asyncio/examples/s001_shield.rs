//! Seed 001, program 7 (`tests/python/s001_shield.py`): `wait_for(shield(..))` times out,
//! but the shielded work is not cancelled: `Taro!` prints while `main` sleeps afterwards.
//! Sleeps: 2 s -> 20 ms, 0.5 s -> 5 ms.

use std::time::Duration;

async fn hello(name: &'static str, wait_time: Duration) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(wait_time).await;
    println!("{name}!");
    name
}

async fn main_() {
    let shielded = asyncio::shield(hello("Taro", Duration::from_millis(20)));
    match asyncio::wait_for(Duration::from_millis(5), shielded).await {
        Ok(results) => println!("{}", results.expect("hello does not panic")),
        Err(_timeout) => println!("timeout!"),
    }
    asyncio::sleep(Duration::from_millis(20)).await; // hello("Taro") goes on meanwhile
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
