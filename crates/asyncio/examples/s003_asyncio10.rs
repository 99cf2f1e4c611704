//! Seed 003, asyncio10.py (`tests/python/s003_asyncio10.py`): console commands on a loop that
//! runs forever: `new` adds a task, `show` lists the pending tasks by name, `end` cancels
//! them all, waits for each, and stops the loop.
//!
//! CI pipes `tests/input/s003_asyncio10.txt` in (see `s003_asyncio08.rs`). As in the Python
//! port, `all_tasks()` is listed sorted by task number (Python's is a set, in no fixed
//! order). The task numbers are CPython's with aioconsole on pipes (Task-3, Task-4); the
//! seed's Task-5 and Task-8 come from aioconsole's Windows path, which writes each prompt
//! through a task of its own.
//!
//! The seed also cancels and awaits the console task itself: in Python that throws
//! `CancelledError` into its own `await t`, which the `except` swallows, and the loop goes
//! on. Here cancelling the current task would drop it at its next await, so the port skips
//! it, which prints the same.

use std::time::Duration;

use asyncio::{AinputError, TaskRef};

async fn tsk() {
    loop {
        asyncio::sleep(Duration::from_secs(1)).await;
    }
}

/// All pending tasks, by task number (`Task-N`).
fn all_tasks_sorted() -> Vec<TaskRef> {
    let mut tasks = asyncio::all_tasks();
    tasks.sort_by_key(|t| {
        t.name()
            .strip_prefix("Task-")
            .and_then(|n| n.parse::<u64>().ok())
    });
    tasks
}

/// `await t` for a task seen through `all_tasks()`: waits until it is done.
async fn wait_done(t: &TaskRef) {
    let done = asyncio::get_running_loop()
        .expect("in a task")
        .create_future();
    let setter = done.clone();
    t.add_done_callback(move |_| {
        let _ = setter.set_result(());
    });
    let _ = done.await;
}

async fn async_input() -> Result<(), AinputError> {
    let el = asyncio::get_running_loop().expect("in a task");
    let me = asyncio::current_task().expect("in a task");
    loop {
        let r = asyncio::ainput("endで終了> ").await?;
        match r.as_str() {
            "end" => {
                for t in all_tasks_sorted() {
                    if t == me {
                        continue;
                    }
                    t.cancel();
                    wait_done(&t).await; // its CancelledError is not ours: nothing to catch
                }
                el.stop();
                println!("終了します.");
                return Ok(());
            }
            "show" => {
                print!("実行中>\t");
                for t in all_tasks_sorted() {
                    print!("{}\t", t.name());
                }
                println!();
            }
            "new" => {
                asyncio::create_task(tsk());
            }
            _ => println!(" 入力値: {r}"),
        }
    }
}

async fn the_first() {
    // See `s003_asyncio09.rs`: the input's end before `end` stops the loop.
    asyncio::create_task(async {
        if let Err(error) = async_input().await {
            eprintln!("EOFError: {error}");
            asyncio::get_running_loop().expect("in a task").stop();
        }
    });
}

fn main() -> Result<(), asyncio::RunError> {
    let eloop = asyncio::new_event_loop();

    eloop.create_task(the_first());
    eloop.run_forever()?;

    eloop.close()
}
