//! Seed 003, asyncio08.py (`tests/python/s003_asyncio08.py`): aioconsole's `ainput` in one
//! task while another prints every 4 s (0.2 s here); neither blocks the other.
//!
//! Try it typing: `cargo run --example s003_asyncio08`. CI pipes `tests/input/s003_asyncio08.txt`
//! in: all the input is there at once, so each line is read as soon as it is asked for and
//! the output does not depend on typing speed. A piped line is not echoed (a terminal echoes
//! what is typed), so the prompt and the next print share a line in the expected output.
//! The end of input before `end` ends the program with `EOF when reading a line`, as
//! Python's `EOFError` would.

use std::time::Duration;

use asyncio::AinputError;

async fn msg(s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{s}");
        asyncio::sleep(Duration::from_millis(200)).await;
    }
    s
}

async fn async_input() -> Result<(), AinputError> {
    loop {
        let r = asyncio::ainput("endで終了> ").await?;
        println!("入力値: {r}");
        asyncio::sleep(Duration::from_millis(200)).await;
        if r == "end" {
            return Ok(());
        }
    }
}

async fn exe() -> Result<(), AinputError> {
    let (_, input) = asyncio::gather!(msg("文字列表示"), async_input())
        .await
        .expect("neither task panics");
    input
}

fn main() -> Result<(), asyncio::RunError> {
    if let Err(error) = asyncio::run(exe())? {
        // Python's traceback ends with this line, and the exit status is 1.
        eprintln!("EOFError: {error}");
        std::process::exit(1);
    }
    Ok(())
}
