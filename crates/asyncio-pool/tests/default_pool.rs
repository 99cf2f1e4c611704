//! The process-wide default pool. One test only: it shuts the default pool down at the end,
//! which would break any other test sharing this process.

use asyncio_pool::{JobError, PoolError, default_max_workers, default_pool, to_thread};

#[test]
fn to_thread_runs_on_the_default_pool_until_it_is_shut_down() {
    let pool = default_pool();
    assert!(std::ptr::eq(pool, default_pool()), "one pool per process");
    assert_eq!(pool.max_workers(), default_max_workers());
    assert_eq!(pool.thread_name_prefix(), "asyncio");

    let name = futures_lite::future::block_on(to_thread(|| {
        std::thread::current().name().map(str::to_owned)
    }));
    assert_eq!(name, Ok(Some("asyncio_0".to_owned())));
    let jobs: Vec<_> = (0..100).map(|i| to_thread(move || i * 2)).collect();
    let sum: i32 = jobs.into_iter().map(|job| job.wait().unwrap()).sum();
    assert_eq!(sum, (0..100).map(|i| i * 2).sum::<i32>());
    assert!(pool.stats().workers <= default_max_workers());

    pool.shutdown(true, false);
    assert_eq!(pool.stats().workers, 0);
    assert_eq!(
        to_thread(|| 1).wait(),
        Err(JobError::Rejected(PoolError::ShutDown))
    );
}
