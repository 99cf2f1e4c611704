//! Seed 003, asyncio04-2.py (`tests/python/s003_run_per_thread.py`): the same with
//! `asyncio::run` in each thread, which makes the thread's loop itself.
//! (Turnstile: see `s003_loop_per_thread`.) Sleeps: 1 s -> 10 ms.

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
    asyncio::run(msg(name, first_turn)).expect("no loop is running on this new thread");
}

fn main() {
    let t_a = thread::spawn(|| start_loop("コルーチン：スレッドA", 0));
    let t_b = thread::spawn(|| start_loop("コルーチン：スレッドB", 1));
    t_a.join().expect("thread A finished");
    t_b.join().expect("thread B finished");
}
