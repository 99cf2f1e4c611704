//! `pool`: what one blocking call costs when handed to a thread pool and awaited, for
//! `asyncio-pool` against tokio's `spawn_blocking` and the `blocking` crate's `unblock`.
//!
//! Each implementation gets the same driving: submit a batch of trivial jobs, then
//! `block_on` each job's future in submission order. The figure is the whole round trip per
//! job (queue, wake a worker, run, publish, wake the caller); untimed batches first start
//! each pool's threads.
//!
//! - `submit-await-1000`: batches of 1,000, 100,000 jobs: throughput under a burst.
//! - `submit-await-1`: one job at a time, 20,000 jobs: the latency of a single
//!   `to_thread` call, where a worker must be woken and the caller must sleep every time.

use std::hint::black_box;

use asyncio_pool::{ThreadPool, default_max_workers};
use futures_lite::future::block_on;

use crate::harness::{Bench, time};

/// Runs the group.
pub fn run(bench: &Bench) {
    let pool = ThreadPool::new(default_max_workers()).expect("default_max_workers is at least 1");
    cases(
        bench,
        "asyncio-pool",
        |i| pool.submit(move || black_box(i)).expect("pool is running"),
        |job| block_on(job).expect("trivial job"),
    );
    pool.shutdown(true, false);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("tokio runtime");
    cases(
        bench,
        "tokio",
        |i| runtime.spawn_blocking(move || black_box(i)),
        |job| block_on(job).expect("trivial job"),
    );
    drop(runtime);

    cases(
        bench,
        "blocking",
        |i| blocking::unblock(move || black_box(i)),
        block_on,
    );
}

/// Measures both cases for one implementation: `submit` starts job `i`, `wait` drives its
/// future to the end.
fn cases<J>(
    bench: &Bench,
    implementation: &str,
    submit: impl Fn(usize) -> J,
    wait: impl Fn(J) -> usize,
) {
    let run_batches = |batch: usize, batches: usize| {
        time(|| {
            for _ in 0..batches {
                let jobs: Vec<J> = (0..batch).map(&submit).collect();
                for job in jobs {
                    black_box(wait(job));
                }
            }
        })
    };
    for (case, batch, jobs) in [
        ("submit-await-1000", 1_000, bench.size(100_000, 2_000)),
        ("submit-await-1", 1, bench.size(20_000, 200)),
    ] {
        let batches = jobs / batch;
        // A full run keeps starting the pool's threads out of every timed run; a quick run
        // only proves the case works.
        if !bench.quick() {
            run_batches(batch, batches / 10);
        }
        bench.ns_per_op(case, implementation, jobs, || run_batches(batch, batches));
    }
}
