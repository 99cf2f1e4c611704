//! Seed 001, programs 2 and 3 (`tests/python/s001_gather.py`): `gather` of three coroutines,
//! given as arguments (`gather!`, a tuple out) and as a list (`gather`, a `Vec` out); the
//! results come in argument order. Sleeps are shortened: 2 s -> 20 ms.

mod common;

use std::time::Duration;

const WAIT: Duration = Duration::from_millis(20);

async fn hello(name: &'static str, wait_time: Duration) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(wait_time).await;
    println!("{name}!");
    name
}

async fn main_() -> Result<(), asyncio::TaskError> {
    let (a, b, c) = asyncio::gather!(
        hello("Taro", WAIT),
        hello("Jiro", WAIT),
        hello("Saburo", WAIT)
    )
    .await?;
    println!("{}", common::py_list(&[a, b, c]));

    let co_list = vec![
        hello("Taro", WAIT),
        hello("Jiro", WAIT),
        hello("Saburo", WAIT),
    ];
    let result = asyncio::gather(co_list).await?; // Python: gather(*co_list)
    println!("{}", common::py_list(&result));
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(main_())??;
    Ok(())
}
