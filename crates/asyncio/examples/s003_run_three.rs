//! Seed 003, asyncio01.py (`tests/python/s003_run_three.py`): three `asyncio::run` calls one
//! after another: each makes its own loop, runs one coroutine and closes, so nothing runs
//! concurrently.

async fn msg(s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{s}");
    }
    s
}

fn main() -> Result<(), asyncio::RunError> {
    let r1 = asyncio::run(msg("コルーチン1"))?;
    let r2 = asyncio::run(msg("コルーチン2"))?;
    let r3 = asyncio::run(msg("コルーチン3"))?;

    println!("---\n {r1} {r2} {r3}"); // Python's print('---\n', r1, r2, r3)
    Ok(())
}
