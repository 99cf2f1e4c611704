//! Seed 001, program 10 (`tests/python/s001_as_completed.py`): `as_completed` gives the
//! results in the order the work finishes (Saburo, Jiro, Taro), with a progress bar as the
//! seed draws with tqdm. The bar (indicatif) draws on stderr and hides itself when stderr is
//! not a terminal, so stdout is only the results. Sleeps: 1 s -> 10 ms.

use std::time::Duration;

use asyncio::anext;
use indicatif::ProgressBar;

async fn hello(name: &'static str, wait_time: Duration) -> &'static str {
    println!("Hello ...");
    asyncio::sleep(wait_time).await;
    println!("{name}!");
    name
}

async fn main_() -> Result<(), asyncio::AsCompletedError> {
    let tasks = [
        hello("Taro", Duration::from_millis(30)),
        hello("Jiro", Duration::from_millis(20)),
        hello("Saburo", Duration::from_millis(10)),
    ];
    let bar = ProgressBar::new(tasks.len() as u64);
    let mut completed = asyncio::as_completed(tasks);
    while let Some(result) = anext(&mut completed).await {
        let result = result?;
        bar.inc(1);
        bar.suspend(|| println!("{result}"));
    }
    bar.finish();
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    asyncio::run(main_())??;
    Ok(())
}
