//! Seed 003, asyncio08.py (`tests/python/s003_asyncio08.py`): aioconsole's `ainput` in one
//! task while another prints every 4 s (0.2 s here); neither blocks the other.
//!
//! Try it typing: `cargo run --example s003_asyncio08`. CI pipes `tests/input/s003_asyncio08.txt`
//! in: all the input is there at once, so each line is read as soon as it is asked for and
//! the output does not depend on typing speed. A piped line is not echoed (a terminal echoes
//! what is typed), so the prompt and the next print share a line in the expected output.
//! The end of input before `end` ends the program with `EOF when reading a line` and
//! status 1, as Python's `EOFError` does.

use std::time::Duration;

use asyncio::AinputError;

async fn msg(s: &'static str) -> &'static str {
    for _ in 0..3 {
        println!("{s}");
        asyncio::sleep(Duration::from_millis(200)).await;
    }
    s
}

async fn async_input() {
    loop {
        let r = match asyncio::ainput("endで終了> ").await {
            Ok(r) => r,
            Err(error) => eof(error),
        };
        println!("入力値: {r}");
        asyncio::sleep(Duration::from_millis(200)).await;
        if r == "end" {
            break;
        }
    }
}

/// The input ended before `end`: in Python the `EOFError` leaves `gather` and `run` at once
/// (the other task is cancelled, it prints no more), the traceback ends with this line, and
/// the exit status is 1.
fn eof(error: AinputError) -> ! {
    eprintln!("EOFError: {error}");
    std::process::exit(1);
}

async fn exe() {
    asyncio::gather!(msg("文字列表示"), async_input())
        .await
        .expect("neither task panics");
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(exe())
}
