//! Seed 003, asyncio09.py (`tests/python/s003_asyncio09.py`): tasks added to a loop that runs
//! forever; the console task's `end` stops it. Sleeps 1 s / 0.5 s / 3 s → 0.1 / 0.05 / 0.35 s.
//! The listing prints `return s` inside `msg`'s loop, but its comment ("output the message
//! 3 times") and its output show three prints: ported as three. The seed's 3 s starts the
//! console task exactly when the second `msg` ends (3.5 s): with a typist that tie never
//! shows, but piped input could stop the loop before that `msg`'s last sleep is over
//! (CPython then warns "Task was destroyed but it is pending!"), so the port waits 0.35 s.
//!
//! CI pipes `tests/input/s003_asyncio09.txt` in (see `s003_asyncio08.rs`); the input is
//! asked for only after both `msg` tasks are done, so typing speed cannot change the output.

use std::time::Duration;

use asyncio::AinputError;

async fn msg(n: usize, s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{}{s}", "\t".repeat(n));
        asyncio::sleep(Duration::from_millis(100)).await;
    }
    s
}

async fn async_input() -> Result<(), AinputError> {
    loop {
        let r = asyncio::ainput("endで終了> ").await?;
        if r == "end" {
            asyncio::get_running_loop().expect("in a task").stop();
            println!("終了します.");
            return Ok(());
        }
        println!(" 入力値: {r}");
    }
}

async fn the_first() {
    asyncio::create_task(msg(0, "タスク1"));
    asyncio::sleep(Duration::from_millis(50)).await;
    asyncio::create_task(msg(1, "タスク2"));
    asyncio::sleep(Duration::from_millis(350)).await;
    // The input's end before `end` would leave Python's loop running forever (the task's
    // EOFError is only logged); here it is reported and stops the loop.
    asyncio::create_task(async {
        if let Err(error) = async_input().await {
            eprintln!("EOFError: {error}");
            asyncio::get_running_loop().expect("in a task").stop();
        }
    });
}

fn main() -> Result<(), asyncio::RunError> {
    let eloop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&eloop));

    eloop.create_task(the_first());
    eloop.run_forever()?;

    eloop.close()
}
