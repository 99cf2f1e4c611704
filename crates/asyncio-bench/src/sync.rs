//! Group `sync`: `asyncio-sync`'s queue, lock and semaphore against tokio's (`mpsc`,
//! `Mutex`, `Semaphore`) and smol's crates (`async-channel`, `async-lock`).
//!
//! Every implementation is driven by the same executor, one `async-executor::LocalExecutor`
//! run by `futures-lite`'s `block_on` on one thread, so the figures compare the primitives,
//! not executors. Cases: ping-pong through two queues of size 1 (ns per round trip), one
//! producer and one consumer through a queue of 1024 (ns per item), uncontended lock/unlock
//! and acquire/release (ns per pair), and a lock contended by 100 tasks that each yield while
//! holding it (ns per acquisition).

use crate::harness::{Bench, time};
use async_executor::LocalExecutor;
use futures_lite::future;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

/// Runs the group.
pub fn run(bench: &Bench) {
    ping_pong(bench);
    spsc(bench);
    lock_uncontended(bench);
    semaphore_uncontended(bench);
    lock_contended(bench);
}

/// Times `main` run to completion on a fresh single-threaded executor; `main` gets the
/// executor to spawn its tasks on.
fn on_executor<F, Fut>(main: F) -> Duration
where
    F: FnOnce(Rc<LocalExecutor<'static>>) -> Fut,
    Fut: Future<Output = ()>,
{
    let executor = Rc::new(LocalExecutor::new());
    let run = main(executor.clone());
    time(|| future::block_on(executor.run(run)))
}

/// A bounded queue as the benchmarks use it: send and receive, both awaiting.
trait Channel: Sized + 'static {
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx);
    type Tx: 'static;
    type Rx: 'static;
    fn send(tx: &Self::Tx, value: u64) -> impl Future<Output = ()>;
    fn recv(rx: &mut Self::Rx) -> impl Future<Output = u64>;
}

struct AsyncioQueue;
impl Channel for AsyncioQueue {
    type Tx = asyncio_sync::Queue<u64>;
    type Rx = asyncio_sync::Queue<u64>;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        let queue = asyncio_sync::Queue::new(capacity);
        (queue.clone(), queue)
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.put(value).await.expect("queue open");
    }
    async fn recv(rx: &mut Self::Rx) -> u64 {
        rx.get().await.expect("queue open")
    }
}

struct TokioMpsc;
impl Channel for TokioMpsc {
    type Tx = tokio::sync::mpsc::Sender<u64>;
    type Rx = tokio::sync::mpsc::Receiver<u64>;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        tokio::sync::mpsc::channel(capacity)
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).await.expect("channel open");
    }
    async fn recv(rx: &mut Self::Rx) -> u64 {
        rx.recv().await.expect("channel open")
    }
}

struct AsyncChannel;
impl Channel for AsyncChannel {
    type Tx = async_channel::Sender<u64>;
    type Rx = async_channel::Receiver<u64>;
    fn bounded(capacity: usize) -> (Self::Tx, Self::Rx) {
        async_channel::bounded(capacity)
    }
    async fn send(tx: &Self::Tx, value: u64) {
        tx.send(value).await.expect("channel open");
    }
    async fn recv(rx: &mut Self::Rx) -> u64 {
        rx.recv().await.expect("channel open")
    }
}

fn ping_pong(bench: &Bench) {
    let trips = bench.size(1_000_000, 1_000);
    fn case<C: Channel>(bench: &Bench, name: &str, trips: usize) {
        bench.ns_per_op("ping_pong", name, trips, || {
            on_executor(|executor| async move {
                let (ping_tx, mut ping_rx) = C::bounded(1);
                let (pong_tx, mut pong_rx) = C::bounded(1);
                let echo = executor.spawn(async move {
                    for _ in 0..trips {
                        let value = C::recv(&mut ping_rx).await;
                        C::send(&pong_tx, value).await;
                    }
                });
                for i in 0..trips as u64 {
                    C::send(&ping_tx, i).await;
                    assert_eq!(C::recv(&mut pong_rx).await, i);
                }
                echo.await;
            })
        });
    }
    case::<AsyncioQueue>(bench, "asyncio-sync", trips);
    case::<TokioMpsc>(bench, "tokio", trips);
    case::<AsyncChannel>(bench, "async-channel", trips);
}

fn spsc(bench: &Bench) {
    let items = bench.size(10_000_000, 10_000);
    fn case<C: Channel>(bench: &Bench, name: &str, items: usize) {
        bench.ns_per_op("spsc_1024", name, items, || {
            on_executor(|executor| async move {
                let (tx, mut rx) = C::bounded(1024);
                let producer = executor.spawn(async move {
                    for i in 0..items as u64 {
                        C::send(&tx, i).await;
                    }
                });
                let mut sum = 0u64;
                for _ in 0..items {
                    sum += C::recv(&mut rx).await;
                }
                producer.await;
                let n = items as u64;
                assert_eq!(sum, n * (n - 1) / 2);
            })
        });
    }
    case::<AsyncioQueue>(bench, "asyncio-sync", items);
    case::<TokioMpsc>(bench, "tokio", items);
    case::<AsyncChannel>(bench, "async-channel", items);
}

fn lock_uncontended(bench: &Bench) {
    let ops = bench.size(10_000_000, 10_000);
    bench.ns_per_op("lock_uncontended", "asyncio-sync", ops, || {
        let lock = asyncio_sync::Lock::new();
        on_executor(|_| async move {
            for _ in 0..ops {
                drop(std::hint::black_box(lock.lock().await));
            }
        })
    });
    bench.ns_per_op("lock_uncontended", "tokio", ops, || {
        let lock = tokio::sync::Mutex::new(());
        on_executor(|_| async move {
            for _ in 0..ops {
                drop(std::hint::black_box(lock.lock().await));
            }
        })
    });
    bench.ns_per_op("lock_uncontended", "async-lock", ops, || {
        let lock = async_lock::Mutex::new(());
        on_executor(|_| async move {
            for _ in 0..ops {
                drop(std::hint::black_box(lock.lock().await));
            }
        })
    });
}

fn semaphore_uncontended(bench: &Bench) {
    let ops = bench.size(10_000_000, 10_000);
    bench.ns_per_op("semaphore_uncontended", "asyncio-sync", ops, || {
        let semaphore = asyncio_sync::Semaphore::new(1);
        on_executor(|_| async move {
            for _ in 0..ops {
                drop(std::hint::black_box(semaphore.acquire().await));
            }
        })
    });
    bench.ns_per_op("semaphore_uncontended", "tokio", ops, || {
        let semaphore = tokio::sync::Semaphore::new(1);
        on_executor(|_| async move {
            for _ in 0..ops {
                drop(std::hint::black_box(semaphore.acquire().await));
            }
        })
    });
    bench.ns_per_op("semaphore_uncontended", "async-lock", ops, || {
        let semaphore = async_lock::Semaphore::new(1);
        on_executor(|_| async move {
            for _ in 0..ops {
                drop(std::hint::black_box(semaphore.acquire().await));
            }
        })
    });
}

/// 100 tasks each take the lock `rounds` times and yield once while holding it, so every
/// acquisition but the first of each round queues behind the others.
fn lock_contended(bench: &Bench) {
    const TASKS: usize = 100;
    // A quick run only proves the case works: ten rounds are enough to queue every task.
    let rounds = if bench.quick() { 10 } else { 2_000 };
    macro_rules! case {
        ($name:expr, $lock:expr) => {
            bench.ns_per_op("lock_contended_100", $name, TASKS * rounds, || {
                on_executor(|executor| async move {
                    let lock = Rc::new($lock);
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|_| {
                            let lock = lock.clone();
                            executor.spawn(async move {
                                for _ in 0..rounds {
                                    let guard = lock.lock().await;
                                    future::yield_now().await;
                                    drop(guard);
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await;
                    }
                })
            });
        };
    }
    case!("asyncio-sync", asyncio_sync::Lock::new());
    case!("tokio", tokio::sync::Mutex::new(()));
    case!("async-lock", async_lock::Mutex::new(()));
}
