//! What the `tracing` feature costs when it is on: per spawn (a trivial task created and
//! awaited) and per poll (a task's step to a `sleep(0)`), with no subscriber installed
//! (`none`) and with a no-op one that wants every span (so every span is made, entered,
//! left and closed, through the dispatcher, and nothing is recorded), set for the thread
//! (`noop`, `tracing::subscriber::with_default`) or for the process (`global`,
//! `set_global_default`, what applications usually do).
//!
//! ```sh
//! cargo run --release -p asyncio-loop --features tracing --example trace_cost
//! # one case, for valgrind --tool=callgrind (compare two sizes: the difference is per op):
//! cargo run --release -p asyncio-loop --features tracing --example trace_cost -- global spawn 100000
//! ```
//!
//! Without arguments it times every case with a small count and prints `ns/op` (a smoke
//! run: `docs/benchmarks.md` gives the instruction counts, which noise does not move).

use std::time::{Duration, Instant};

use asyncio_loop::{EventLoop, create_task, sleep};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Wants everything, keeps nothing: the cost of the instrumentation itself.
struct NoOp;

impl Subscriber for NoOp {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// `n` trivial tasks created, then awaited in order.
async fn spawn(n: u64) {
    let tasks: Vec<_> = (0..n).map(|i| create_task(async move { i })).collect();
    for task in tasks {
        task.await.expect("a trivial task");
    }
}

/// One task that yields `n` times: `n` polls.
async fn yields(n: u64) {
    create_task(async move {
        for _ in 0..n {
            sleep(Duration::ZERO).await;
        }
    })
    .await
    .expect("the yielding task");
}

/// Runs `case` (`spawn` or `yield`) with `n` operations on a fresh loop, under a no-op
/// subscriber if `noop`; the time it took.
fn run(noop: bool, case: &str, n: u64) -> Duration {
    let body = || {
        let event_loop = EventLoop::new();
        let started = Instant::now();
        match case {
            "spawn" => event_loop.run_until_complete(spawn(n)),
            "yield" => event_loop.run_until_complete(yields(n)),
            other => panic!("unknown case {other:?}: spawn or yield"),
        }
        .expect("the loop runs");
        started.elapsed()
    };
    if noop {
        tracing::subscriber::with_default(NoOp, body)
    } else {
        body()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [subscriber, case, n] = args.as_slice() {
        let n = n.parse().expect("a count");
        if subscriber == "global" {
            tracing::subscriber::set_global_default(NoOp).expect("the first global subscriber");
        }
        let took = run(subscriber == "noop", case, n);
        println!("{subscriber} {case} {n}: {took:?}");
        return;
    }
    let n = 10_000;
    // The global subscriber last: it cannot be taken back.
    for subscriber in ["none", "noop", "global"] {
        if subscriber == "global" {
            tracing::subscriber::set_global_default(NoOp).expect("the first global subscriber");
        }
        for case in ["spawn", "yield"] {
            let took = run(subscriber == "noop", case, n);
            let per_op = took.as_nanos() as f64 / n as f64;
            println!("{subscriber:<6} {case:<5} {per_op:>8.1} ns/op");
        }
    }
}
