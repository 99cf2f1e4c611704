//! Cross-thread use: the behaviour suite with one std thread per task (every wake crosses
//! threads), and many producer and consumer threads sharing one bounded queue.

#[macro_use]
mod suite;

use asyncio_sync::Queue;
use futures_lite::future::block_on;
use std::future::Future;
use suite::{Handle, Runtime};

struct ThreadPerTask;

impl Runtime for ThreadPerTask {
    fn block_on<F>(future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        block_on(future)
    }

    fn spawn<F>(future: F) -> Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (sender, receiver) = async_oneshot();
        std::thread::spawn(move || sender.send(block_on(future)));
        Box::pin(receiver)
    }
}

/// A one-shot hand-off built from the crate's own queue (a thread's result to its joiner).
fn async_oneshot<T: Send + 'static>() -> (OneshotSender<T>, impl Future<Output = T> + Send) {
    let queue = Queue::new(1);
    let receiver = {
        let queue = queue.clone();
        async move { queue.get().await.expect("the thread sent its result") }
    };
    (OneshotSender(queue), receiver)
}

struct OneshotSender<T>(Queue<T>);

impl<T> OneshotSender<T> {
    fn send(self, value: T) {
        assert!(self.0.put_nowait(value).is_ok());
    }
}

behaviour_tests!(ThreadPerTask);

#[test]
fn producer_and_consumer_threads_share_a_bounded_queue() {
    const PRODUCERS: u64 = 4;
    // Miri runs threads some thousand times slower: the same races, fewer items.
    const PER_PRODUCER: u64 = if cfg!(miri) { 50 } else { 2000 };
    let queue: Queue<u64> = Queue::new(8);
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let queue = queue.clone();
            std::thread::spawn(move || {
                block_on(async {
                    let mut seen = Vec::new();
                    while let Ok(item) = queue.get().await {
                        seen.push(item);
                    }
                    seen
                })
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let queue = queue.clone();
            std::thread::spawn(move || {
                block_on(async {
                    for i in 0..PER_PRODUCER {
                        queue.put(p * PER_PRODUCER + i).await.unwrap();
                    }
                })
            })
        })
        .collect();
    producers.into_iter().for_each(|p| p.join().unwrap());
    queue.shutdown(false);
    let mut all = Vec::new();
    for consumer in consumers {
        let seen = consumer.join().unwrap();
        // FIFO: each consumer sees each producer's items in the order they were put.
        for p in 0..PRODUCERS {
            let mine: Vec<u64> = seen
                .iter()
                .copied()
                .filter(|i| i / PER_PRODUCER == p)
                .collect();
            assert!(mine.windows(2).all(|w| w[0] < w[1]));
        }
        all.extend(seen);
    }
    all.sort_unstable();
    assert_eq!(all, (0..PRODUCERS * PER_PRODUCER).collect::<Vec<_>>());
}
