//! Seed 001, program 4 (`tests/python/s001_return_exceptions.py`): with
//! `return_exceptions=True`, a failing coroutine's exception comes back in its place and the
//! others finish normally. In Rust the failure is an `Err` value, so gathering futures that
//! return `Result` gives every `Result` in place: that *is* `return_exceptions=True`.
//!
//! The three result lines differ from CPython's on purpose: Python prints the repr of each
//! value (`'Taro'`, `ValueError('Jiro failed')`), Rust the `Debug` of each `Result`
//! (`Ok("Taro")`, `Err(ValueError("Jiro failed"))`). Sleeps are shortened: 2 s -> 20 ms.

use std::time::Duration;

/// Python's `ValueError`, as a Rust error value.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug
struct ValueError(String);

async fn hello(name: &'static str) -> Result<&'static str, ValueError> {
    println!("Hello ...");
    asyncio::sleep(Duration::from_millis(20)).await;
    if name == "Jiro" {
        return Err(ValueError(format!("{name} failed")));
    }
    println!("{name}!");
    Ok(name)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let main_ = async { asyncio::gather([hello("Taro"), hello("Jiro"), hello("Saburo")]).await };
    let result = asyncio::run(main_)??;
    for r in result {
        println!("{r:?}");
    }
    Ok(())
}
