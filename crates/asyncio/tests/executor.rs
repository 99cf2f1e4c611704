//! `to_thread`, `run_in_executor` and `set_default_executor`: the function runs on a pool
//! thread, the loop stays responsive, panics come back as errors.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use asyncio::{EventLoopExt, JobError, ThreadPool};

#[test]
fn to_thread_runs_on_another_thread() {
    let main_thread = std::thread::current().id();
    let worker_thread =
        asyncio::run(async { asyncio::to_thread(|| std::thread::current().id()).await })
            .unwrap()
            .unwrap();
    assert_ne!(worker_thread, main_thread);
}

#[test]
fn the_loop_stays_responsive_while_a_job_blocks() {
    let ticks = Rc::new(Cell::new(0));
    let out = asyncio::run({
        let ticks = ticks.clone();
        async move {
            let (release, released) = mpsc::channel::<()>();
            // The job blocks until the loop has ticked three times: it can only finish if
            // the loop kept running while the job's thread was blocked.
            let job = asyncio::to_thread(move || released.recv().is_ok());
            for _ in 0..3 {
                asyncio::sleep(Duration::from_millis(1)).await;
                ticks.set(ticks.get() + 1);
            }
            release.send(()).unwrap();
            job.await
        }
    })
    .unwrap();
    assert_eq!(out, Ok(true));
    assert_eq!(ticks.get(), 3);
}

#[test]
fn a_panic_in_the_function_comes_back_as_an_error() {
    let out = asyncio::run(async { asyncio::to_thread(|| -> u8 { panic!("in a thread") }).await })
        .unwrap();
    assert_eq!(out, Err(JobError::Panicked("in a thread".to_string())));
}

#[test]
fn run_in_executor_uses_the_given_pool_or_the_default_one() {
    let pool = ThreadPool::builder()
        .thread_name_prefix("mine")
        .max_workers(1)
        .build()
        .unwrap();
    let (mine, default) = asyncio::run({
        let pool = pool.clone();
        async move {
            let event_loop = asyncio::get_running_loop().unwrap();
            let name = || {
                std::thread::current()
                    .name()
                    .unwrap_or_default()
                    .to_string()
            };
            let mine = event_loop.run_in_executor(Some(&pool), name).await.unwrap();
            let default = event_loop.run_in_executor(None, name).await.unwrap();
            (mine, default)
        }
    })
    .unwrap();
    assert!(mine.starts_with("mine"), "{mine}");
    assert!(default.starts_with("asyncio"), "{default}");
    assert!(!pool.is_shut_down(), "run shuts down only the default pool");
    pool.shutdown(true, false);
}

#[test]
fn set_default_executor_replaces_the_pool_used_by_to_thread() {
    let name = asyncio::run(async {
        let pool = ThreadPool::builder()
            .thread_name_prefix("custom")
            .build()
            .unwrap();
        asyncio::get_running_loop()
            .unwrap()
            .set_default_executor(pool);
        asyncio::to_thread(|| {
            std::thread::current()
                .name()
                .unwrap_or_default()
                .to_string()
        })
        .await
    })
    .unwrap()
    .unwrap();
    assert!(name.starts_with("custom"), "{name}");
}

#[test]
fn a_shut_down_pool_rejects_the_job_with_an_error() {
    let out = asyncio::run(async {
        let pool = ThreadPool::new(1).unwrap();
        pool.shutdown(true, false);
        asyncio::get_running_loop()
            .unwrap()
            .run_in_executor(Some(&pool), || 1)
            .await
    })
    .unwrap();
    assert!(matches!(out, Err(JobError::Rejected(_))), "{out:?}");
}

#[test]
#[should_panic(expected = "no running event loop")]
fn to_thread_outside_a_running_loop_panics_with_asyncios_message() {
    drop(asyncio::to_thread(|| ()));
}

/// A loop closed and dropped without `run`, `Runner` or `shutdown_default_executor` takes
/// its default executor with it (asyncio's `close()` shuts it down without waiting):
/// nothing of the facade keeps the loop, its pool or its pool's threads alive.
#[test]
fn closing_a_loop_shuts_its_default_executor_down() {
    let mut pools = Vec::new();
    for _ in 0..50 {
        let event_loop = asyncio::new_event_loop();
        let one = event_loop.run_until_complete(async { asyncio::to_thread(|| 1).await });
        assert_eq!(one, Ok(Ok(1)));
        pools.push(event_loop.default_executor());
        event_loop.close().unwrap();
        drop(event_loop);
    }
    for pool in &pools {
        assert!(
            pool.is_shut_down(),
            "a closed loop's default executor still runs"
        );
        // Joins its threads (they exit once shut down): none is left.
        pool.shutdown(true, false);
        assert_eq!(pool.stats().workers, 0);
    }
}
