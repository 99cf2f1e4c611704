//! Blocking calls handed to a pool and awaited, as asyncio does with
//! `await loop.run_in_executor(pool, read)`: four slow "reads" run side by side on the
//! pool's threads while the caller only awaits. Any executor can await the jobs; this one
//! uses futures-lite's `block_on`.
//!
//! Run with `cargo run -p asyncio-pool --example blocking_reads`.

use std::time::{Duration, Instant};

use asyncio_pool::{JobError, ThreadPool};

/// Stands in for a blocking call: a file read, a DNS lookup, a C library.
fn slow_read(n: usize) -> String {
    std::thread::sleep(Duration::from_millis(100));
    let thread = std::thread::current();
    format!(
        "file {n}: {} bytes (read on {})",
        n * 1024,
        thread.name().unwrap_or("?")
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = ThreadPool::builder()
        .max_workers(4)
        .thread_name_prefix("reader")
        .build()?;
    println!("before: {:?}", pool.stats());

    let started = Instant::now();
    let jobs = (1..=4)
        .map(|n| pool.submit(move || slow_read(n)))
        .collect::<Result<Vec<_>, _>>()?;
    let lines = futures_lite::future::block_on(async {
        let mut lines = Vec::new();
        for job in jobs {
            lines.push(job.await?);
        }
        Ok::<_, JobError>(lines)
    })?;
    let took = started.elapsed();

    for line in &lines {
        println!("{line}");
    }
    println!(
        "4 reads of 100 ms each took {} ms together (in turn they would take 400 ms)",
        took.as_millis()
    );
    pool.shutdown(true, false);
    println!("after shutdown: {:?}", pool.stats());
    Ok(())
}
