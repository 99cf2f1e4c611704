//! Seed 003, asyncio05.py (`tests/python/s003_run_in_executor.py`): two blocking functions
//! run on a two-thread pool through `run_in_executor`, each awaited by a task, the tasks
//! gathered. The two threads print through a turnstile (1, 2, 1, 2..., in the Python port
//! too) so the output is deterministic. Sleeps: 1 s -> 10 ms.

mod common;

use std::time::Duration;

use asyncio::{EventLoopExt, Executor, JobError};
use common::Turnstile;

static TURNS: Turnstile = Turnstile::new();

fn normalf(s: &'static str, first_turn: usize) -> &'static str {
    for i in 0..3 {
        TURNS.print_in_turn(first_turn + 2 * i, s);
        std::thread::sleep(Duration::from_millis(10)); // blocks its pool thread only
    }
    s
}

/// The seed's `fut2cor`: a coroutine that awaits the executor's future.
async fn fut2cor(f: Executor<&'static str>) -> Result<&'static str, JobError> {
    f.await
}

async fn exe(executor: asyncio::ThreadPool) -> Result<(), Box<dyn std::error::Error>> {
    let event_loop = asyncio::get_running_loop()?;
    let f1 = event_loop.run_in_executor(Some(&executor), || normalf("通常の関数1", 0));
    let f2 = event_loop.run_in_executor(Some(&executor), || normalf("通常の関数2", 1));
    let t1 = asyncio::create_task(fut2cor(f1));
    let t2 = asyncio::create_task(fut2cor(f2));
    let r = asyncio::gather_tasks([t1, t2]).await?;
    let r = r.into_iter().collect::<Result<Vec<_>, _>>()?;
    println!("{}", common::py_list(&r));
    executor.shutdown(true, false);
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let executor = asyncio::ThreadPool::new(2)?; // Python: ThreadPoolExecutor(max_workers=2)
    asyncio::run(exe(executor))?
}
