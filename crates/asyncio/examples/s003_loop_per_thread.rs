//! Seed 003, asyncio04.py (`tests/python/s003_loop_per_thread.py`): two threads, each
//! running its own `new_event_loop()` at the same time: one running loop per thread.
//!
//! The two threads print through a turnstile (A then B in each round, in the Python port
//! too) so the output is deterministic; without it, which of two lines printed at the same
//! moment by two threads comes first is up to the OS. Sleeps: 1 s -> 10 ms.

mod common;

use std::thread;
use std::time::Duration;

use common::Turnstile;

static TURNS: Turnstile = Turnstile::new();

async fn msg(s: &'static str, first_turn: usize) -> &'static str {
    for i in 0..2 {
        TURNS.print_in_turn(first_turn + 2 * i, s);
        asyncio::sleep(Duration::from_millis(10)).await;
    }
    s
}

fn start_loop(name: &'static str, first_turn: usize) {
    // An event loop is !Send: each thread makes its own.
    let event_loop = asyncio::new_event_loop();
    event_loop
        .run_until_complete(msg(name, first_turn))
        .expect("the loop runs");
    event_loop.close().expect("the loop is not running");
}

fn main() {
    let t_a = thread::spawn(|| start_loop("コルーチン：スレッドA", 0));
    let t_b = thread::spawn(|| start_loop("コルーチン：スレッドB", 1));
    t_a.join().expect("thread A finished");
    t_b.join().expect("thread B finished");
}
