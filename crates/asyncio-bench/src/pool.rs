//! `pool`: what one blocking call costs when handed to a thread pool and awaited, for
//! `asyncio-pool` against tokio's `spawn_blocking` and the `blocking` crate's `unblock`.
//!
//! Each implementation gets the same driving: submit a batch of 1,000 trivial jobs, then
//! `block_on` each job's future in submission order, 100 batches. The figure is the whole
//! round trip per job (queue, wake a worker, run, publish, wake the caller); untimed
//! batches first start each pool's threads.

use std::hint::black_box;
use std::time::Duration;

use asyncio_pool::{ThreadPool, default_max_workers};
use futures_lite::future::block_on;

use crate::harness::{Bench, time};

const BATCH: usize = 1_000;

/// Runs the group.
pub fn run(bench: &Bench) {
    let jobs = bench.size(100_000, 2 * BATCH);
    let batches = jobs / BATCH;

    let pool = ThreadPool::new(default_max_workers()).expect("default_max_workers is at least 1");
    let asyncio_pool = |batches| {
        time(|| {
            for _ in 0..batches {
                let batch: Vec<_> = (0..BATCH)
                    .map(|i| pool.submit(move || black_box(i)).expect("pool is running"))
                    .collect();
                for job in batch {
                    black_box(block_on(job).expect("trivial job"));
                }
            }
        })
    };
    measure(bench, "asyncio-pool", batches, asyncio_pool);
    pool.shutdown(true, false);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("tokio runtime");
    let tokio = |batches| {
        time(|| {
            for _ in 0..batches {
                let batch: Vec<_> = (0..BATCH)
                    .map(|i| runtime.spawn_blocking(move || black_box(i)))
                    .collect();
                for job in batch {
                    black_box(block_on(job).expect("trivial job"));
                }
            }
        })
    };
    measure(bench, "tokio", batches, tokio);
    drop(runtime);

    let blocking = |batches| {
        time(|| {
            for _ in 0..batches {
                let batch: Vec<_> = (0..BATCH)
                    .map(|i| blocking::unblock(move || black_box(i)))
                    .collect();
                for job in batch {
                    black_box(block_on(job));
                }
            }
        })
    };
    measure(bench, "blocking", batches, blocking);
}

/// Times `batches` batches of `routine`; a full run first runs a few untimed batches so
/// that starting the pool's threads stays out of every timed run.
fn measure(
    bench: &Bench,
    implementation: &str,
    batches: usize,
    mut routine: impl FnMut(usize) -> Duration,
) {
    if !bench.quick() {
        routine(10);
    }
    bench.ns_per_op("submit-await-1000", implementation, batches * BATCH, || {
        routine(batches)
    });
}
