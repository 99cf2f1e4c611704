//! Seed 003, asyncio07.py (`tests/python/s003_sleep0.py`): CPU-bound tasks share the loop by
//! yielding with `sleep(0)` on every draw; without it one would run to its end first.
//!
//! Deterministic port (the Python port does the same): `random.random()` is a small linear
//! congruential generator drawing the same numbers in both languages, the thresholds are
//! raised so the program runs in milliseconds, and the last line reports the number of
//! draws instead of the wall time.

mod common;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use common::Lcg;

#[derive(Clone)]
struct Shared {
    rng: Rc<RefCell<Lcg>>,
    draws: Rc<Cell<u64>>,
}

async fn long_task(n: &'static str, v: f64, shared: &Shared) {
    let r = loop {
        let r = shared.rng.borrow_mut().random();
        shared.draws.set(shared.draws.get() + 1);
        if r < v {
            break r;
        }
        asyncio::sleep(Duration::ZERO).await; // give the loop to the other task
    };
    println!("{n} {}", common::py_exp(r));
}

async fn async_iteration(n: &'static str, v: f64, i: u32, shared: Shared) {
    for _ in 0..i {
        long_task(n, v, &shared).await;
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shared = Shared {
        rng: Rc::new(RefCell::new(Lcg::new(2021))),
        draws: Rc::new(Cell::new(0)),
    };
    println!("開始");
    let exe = {
        let shared = shared.clone();
        async move {
            asyncio::gather!(
                async_iteration("task1", 2f64.powi(-9), 2, shared.clone()),
                async_iteration("task2", 2f64.powi(-8), 4, shared),
            )
            .await
        }
    };
    asyncio::run(exe)??;
    println!("終了: {} 回", shared.draws.get());
    Ok(())
}
