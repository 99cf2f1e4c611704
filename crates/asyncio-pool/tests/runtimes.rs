//! `Job` is runtime-agnostic: the same futures complete under tokio, smol, futures-lite's
//! `block_on` and a minimal hand-written executor, since they only use `std::task::Waker`.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use asyncio_pool::{JobError, ThreadPool, to_thread};

/// The smallest executor there is: poll, park until woken, poll again. Counts its wakes.
fn block_on<F: Future>(future: F) -> (F::Output, usize) {
    struct Unpark(Thread, AtomicUsize);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.unpark();
        }
    }
    let unpark = Arc::new(Unpark(thread::current(), AtomicUsize::new(0)));
    let waker = Waker::from(unpark.clone());
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, unpark.1.load(Ordering::SeqCst));
        }
        thread::park();
    }
}

/// A job that cannot finish before its caller has polled it once: it waits for a signal
/// sent from inside the first poll, so the wake-up path is exercised every time.
async fn job_that_needs_a_wake(pool: &ThreadPool) -> Result<u32, JobError> {
    let (tx, rx) = crossbeam_channel::bounded::<()>(1);
    let mut job = pool
        .submit(move || {
            rx.recv().unwrap();
            42
        })
        .unwrap();
    let mut tx = Some(tx);
    std::future::poll_fn(move |cx| {
        let poll = std::pin::Pin::new(&mut job).poll(cx);
        if let Some(tx) = tx.take() {
            assert!(
                poll.is_pending(),
                "the job cannot be done before the signal"
            );
            tx.send(()).unwrap();
        }
        poll
    })
    .await
}

#[test]
fn a_hand_written_block_on_is_woken_by_the_worker() {
    let pool = ThreadPool::new(1).unwrap();
    let (result, wakes) = block_on(job_that_needs_a_wake(&pool));
    assert_eq!(result, Ok(42));
    assert!(wakes >= 1, "the job completed through a wake");
}

#[test]
fn futures_lite_block_on_drives_jobs() {
    let pool = ThreadPool::new(2).unwrap();
    assert_eq!(
        futures_lite::future::block_on(job_that_needs_a_wake(&pool)),
        Ok(42)
    );
}

#[tokio::test]
async fn tokio_current_thread_awaits_jobs_and_map() {
    let pool = ThreadPool::new(2).unwrap();
    assert_eq!(job_that_needs_a_wake(&pool).await, Ok(42));
    let squares = pool.map(|x: u64| x * x, 0..10).unwrap().await;
    assert_eq!(squares, (0..10u64).map(|x| Ok(x * x)).collect::<Vec<_>>());
    // The loop's thread stays free while a job blocks: a tokio task runs meanwhile.
    let (tx, rx) = crossbeam_channel::bounded::<()>(0);
    let blocked = pool.submit(move || rx.recv().unwrap()).unwrap();
    let other = tokio::spawn(async move { tx.send(()).unwrap() });
    assert_eq!(blocked.await, Ok(()));
    other.await.unwrap();
}

#[test]
fn tokio_tasks_on_several_threads_await_jobs() {
    let pool = ThreadPool::new(4).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let results = runtime.block_on(async {
        let tasks: Vec<_> = (0..50u64)
            .map(|i| {
                let job = pool.submit(move || i + 1).unwrap();
                tokio::spawn(job)
            })
            .collect();
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap().unwrap();
        }
        sum
    });
    assert_eq!(results, (1..=50).sum::<u64>());
}

#[test]
fn smol_awaits_jobs_and_to_thread() {
    let pool = ThreadPool::new(2).unwrap();
    smol::block_on(async {
        assert_eq!(job_that_needs_a_wake(&pool).await, Ok(42));
        let executor = smol::Executor::new();
        let task = executor.spawn(to_thread(|| "from the default pool"));
        assert_eq!(executor.run(task).await, Ok("from the default pool"));
    });
}

#[test]
fn a_panicking_job_is_an_error_under_every_runtime() {
    let pool = ThreadPool::new(1).unwrap();
    let panicked = || JobError::Panicked("bad input".into());
    let job = pool.submit(|| -> u8 { panic!("bad input") }).unwrap();
    assert_eq!(block_on(job).0, Err(panicked()));
    let job = pool.submit(|| -> u8 { panic!("bad input") }).unwrap();
    assert_eq!(smol::block_on(job), Err(panicked()));
    let job = pool.submit(|| -> u8 { panic!("bad input") }).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(runtime.block_on(job), Err(panicked()));
}
