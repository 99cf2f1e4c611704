//! Seed 003, asyncio06.py (`tests/python/s003_executor_and_coroutine.py`): a blocking
//! function on a one-thread pool and a coroutine on the loop run side by side. The thread
//! and the loop print through a turnstile (thread, coroutine, ..., in the Python port too)
//! so the output is deterministic. Sleeps: 1 s -> 10 ms.

mod common;

use std::time::Duration;

use asyncio::{EventLoopExt, Executor, JobError};
use common::Turnstile;

static TURNS: Turnstile = Turnstile::new();

fn normalf(s: &'static str) -> &'static str {
    for i in 0..3 {
        TURNS.print_in_turn(2 * i, s);
        std::thread::sleep(Duration::from_millis(10));
    }
    s
}

async fn coroutine(s: &'static str) -> &'static str {
    for i in 0..3 {
        TURNS.print_in_turn(2 * i + 1, s);
        asyncio::sleep(Duration::from_millis(10)).await;
    }
    s
}

async fn fut2cor(f: Executor<&'static str>) -> Result<&'static str, JobError> {
    f.await
}

async fn exe(executor: asyncio::ThreadPool) -> Result<(), Box<dyn std::error::Error>> {
    let event_loop = asyncio::get_running_loop()?;
    let f = event_loop.run_in_executor(Some(&executor), || normalf("通常関数"));
    let t1 = asyncio::create_task(fut2cor(f)); // the thread's task
    let t2 = asyncio::create_task(coroutine("コルーチン")); // the coroutine's task
    let (r1, r2) = asyncio::gather!(t1, t2).await?;
    println!("{}", common::py_list(&[r1??, r2?]));
    executor.shutdown(true, false);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let executor = asyncio::ThreadPool::new(1)?;
    asyncio::run(exe(executor))?
}
