//! The behaviour suite every executor runs (tokio, smol, and one std thread per task): the
//! primitives only speak `std::task::Waker`, so the same programs must behave the same way
//! whichever executor polls them and whichever threads their tasks land on.
//!
//! A test file implements [`Runtime`] and expands `behaviour_tests!(ItsRuntime)`.

use asyncio_sync::{
    Barrier, BoundedSemaphore, Condition, Event, LifoQueue, Lock, PriorityQueue, Queue, Semaphore,
};
use futures_lite::future;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A boxed, sendable future (a spawned task's handle).
pub type Handle<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// What the suite needs of an executor.
pub trait Runtime {
    /// Runs `future` to completion on this executor.
    fn block_on<F>(future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns `future` as a task; the handle gives its output.
    fn spawn<F>(future: F) -> Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;
}

/// Expands one `#[test]` per behaviour for the runtime `$rt`, each with the attributes
/// given after it (a runtime Miri cannot run is ignored under Miri that way).
#[macro_export]
macro_rules! behaviour_tests {
    ($rt:ty $(, #[$meta:meta])*) => {
        #[test]
        $(#[$meta])*
        fn worker_pool_processes_every_item_once() {
            suite::worker_pool_processes_every_item_once::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn cancelled_getters_lose_no_item() {
            suite::cancelled_getters_lose_no_item::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn lock_excludes() {
            suite::lock_excludes::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn semaphore_bounds_concurrency() {
            suite::semaphore_bounds_concurrency::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn event_releases_every_waiter() {
            suite::event_releases_every_waiter::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn condition_hands_over_items() {
            suite::condition_hands_over_items::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn barrier_rounds_give_every_index_once() {
            suite::barrier_rounds_give_every_index_once::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn lifo_and_priority_queues_keep_their_order_across_tasks() {
            suite::lifo_and_priority_queues_keep_their_order_across_tasks::<$rt>();
        }
        #[test]
        $(#[$meta])*
        fn bounded_semaphore_bounds_and_refuses_an_extra_release() {
            suite::bounded_semaphore_bounds_and_refuses_an_extra_release::<$rt>();
        }
    };
}

/// asyncio's worker pool: producers `put` into a bounded queue, workers `get`, mark done,
/// `join` waits for all, `shutdown` stops the workers.
pub fn worker_pool_processes_every_item_once<R: Runtime>() {
    // Per producer; fewer under Miri, which runs some thousand times slower.
    const ITEMS: u32 = if cfg!(miri) { 20 } else { 200 };
    let mut seen = R::block_on(async {
        let queue = Queue::new(3);
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let queue = queue.clone();
                R::spawn(async move {
                    let mut seen = Vec::new();
                    while let Ok(item) = queue.get().await {
                        seen.push(item);
                        future::yield_now().await;
                        queue.task_done().unwrap();
                    }
                    seen
                })
            })
            .collect();
        let producers: Vec<_> = (0..2u32)
            .map(|p| {
                let queue = queue.clone();
                R::spawn(async move {
                    for i in 0..ITEMS {
                        queue.put(p * 1000 + i).await.unwrap();
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.await;
        }
        queue.join().await;
        assert_eq!(queue.unfinished_tasks(), 0);
        queue.shutdown(false);
        let mut seen = Vec::new();
        for worker in workers {
            seen.extend(worker.await);
        }
        seen
    });
    seen.sort_unstable();
    let expected: Vec<u32> = (0..2u32)
        .flat_map(|p| (0..ITEMS).map(move |i| p * 1000 + i))
        .collect();
    assert_eq!(seen, expected);
}

/// Getters racing a stop signal are cancelled mid-wait; every item put is either received
/// by a getter or still in the queue.
pub fn cancelled_getters_lose_no_item<R: Runtime>() {
    R::block_on(async {
        let queue = Queue::new(0);
        let stop = Event::new();
        let getters: Vec<_> = (0..8)
            .map(|_| {
                let (queue, stop) = (queue.clone(), stop.clone());
                R::spawn(async move {
                    let get = async { queue.get().await.ok() };
                    let stopped = async {
                        stop.wait().await;
                        None
                    };
                    future::or(get, stopped).await
                })
            })
            .collect();
        for i in 0..5u32 {
            queue.put(i).await.unwrap();
            future::yield_now().await;
        }
        stop.set();
        let mut received: Vec<u32> = Vec::new();
        for getter in getters {
            received.extend(getter.await);
        }
        received.extend(std::iter::from_fn(|| queue.get_nowait().ok()));
        received.sort_unstable();
        assert_eq!(received, [0, 1, 2, 3, 4]);
    });
}

/// No two tasks are ever inside the lock at once.
pub fn lock_excludes<R: Runtime>() {
    let total = R::block_on(async {
        let lock = Lock::new();
        let inside = Arc::new(AtomicUsize::new(0));
        let total = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (lock, inside, total) = (lock.clone(), inside.clone(), total.clone());
                R::spawn(async move {
                    for _ in 0..50 {
                        let _guard = lock.lock().await;
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        let read = total.load(Ordering::SeqCst);
                        future::yield_now().await;
                        total.store(read + 1, Ordering::SeqCst);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        assert!(!lock.locked());
        total.load(Ordering::SeqCst)
    });
    assert_eq!(total, 400);
}

/// At most `value` tasks hold a permit at once, and all of them get one eventually.
pub fn semaphore_bounds_concurrency<R: Runtime>() {
    R::block_on(async {
        let semaphore = Semaphore::new(3);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (semaphore, inside, most) = (semaphore.clone(), inside.clone(), most.clone());
                R::spawn(async move {
                    for _ in 0..10 {
                        let _permit = semaphore.acquire().await;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        future::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        assert!(most.load(Ordering::SeqCst) <= 3);
        assert_eq!(semaphore.value(), 3);
    });
}

/// `set` releases every task waiting on the event.
pub fn event_releases_every_waiter<R: Runtime>() {
    R::block_on(async {
        let event = Event::new();
        let started = Arc::new(Barrier::new(11));
        let waiters: Vec<_> = (0..10)
            .map(|i| {
                let (event, started) = (event.clone(), started.clone());
                R::spawn(async move {
                    let wait = event.wait();
                    started.wait().await.unwrap();
                    wait.await;
                    i
                })
            })
            .collect();
        started.wait().await.unwrap();
        event.set();
        let mut done = Vec::new();
        for waiter in waiters {
            done.push(waiter.await);
        }
        assert_eq!(done, (0..10).collect::<Vec<_>>());
    });
}

/// A consumer waits on a condition for items a producer adds under the lock.
pub fn condition_hands_over_items<R: Runtime>() {
    R::block_on(async {
        let cond = Condition::new();
        let items = Arc::new(std::sync::Mutex::new(Vec::new()));
        let consumer = {
            let (cond, items) = (cond.clone(), items.clone());
            R::spawn(async move {
                let mut taken = Vec::new();
                while taken.len() < 20 {
                    let guard = cond.lock().await;
                    let has_items = || !items.lock().unwrap().is_empty();
                    let _guard = cond.wait_for(guard, has_items).await.unwrap();
                    taken.append(&mut items.lock().unwrap());
                }
                taken
            })
        };
        for i in 0..20u32 {
            let _guard = cond.lock().await;
            items.lock().unwrap().push(i);
            cond.notify(1).unwrap();
            drop(_guard);
            future::yield_now().await;
        }
        assert_eq!(consumer.await, (0..20).collect::<Vec<_>>());
    });
}

/// Each round of a barrier gives each arrival index exactly once.
pub fn barrier_rounds_give_every_index_once<R: Runtime>() {
    let indices = R::block_on(async {
        let barrier = Barrier::new(4);
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let barrier = barrier.clone();
                R::spawn(async move {
                    let mut mine = Vec::new();
                    for _ in 0..3 {
                        mine.push(barrier.wait().await.unwrap());
                    }
                    mine
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            all.push(task.await);
        }
        all
    });
    for round in 0..3 {
        let mut got: Vec<usize> = indices.iter().map(|mine| mine[round]).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3]);
    }
}

/// `LifoQueue` and `PriorityQueue` hand items from one task to another in their own order:
/// a producer fills each (blocking on the full queue until the consumer takes one), the
/// consumer takes them out.
pub fn lifo_and_priority_queues_keep_their_order_across_tasks<R: Runtime>() {
    R::block_on(async {
        let (lifo, priority) = (LifoQueue::new(2), PriorityQueue::new(2));
        let producer = {
            let (lifo, priority) = (lifo.clone(), priority.clone());
            R::spawn(async move {
                for item in [2u32, 3, 1] {
                    lifo.put(item).await.unwrap();
                    priority.put(item).await.unwrap();
                }
            })
        };
        // Both queues are full (2, 3) before the third put: take one from each to let it in.
        while lifo.qsize() < 2 || priority.qsize() < 2 {
            future::yield_now().await;
        }
        let first = (lifo.get().await.unwrap(), priority.get().await.unwrap());
        producer.await;
        let consumer = R::spawn(async move {
            let mut out = vec![first];
            for _ in 0..2 {
                out.push((lifo.get().await.unwrap(), priority.get().await.unwrap()));
            }
            out
        });
        assert_eq!(consumer.await, vec![(3, 2), (1, 1), (2, 3)]);
    });
}

/// A `BoundedSemaphore` bounds its holders like a `Semaphore`, and a release beyond its
/// initial value is refused, wherever the tasks run.
pub fn bounded_semaphore_bounds_and_refuses_an_extra_release<R: Runtime>() {
    R::block_on(async {
        let semaphore = BoundedSemaphore::new(2);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let (semaphore, inside, most) = (semaphore.clone(), inside.clone(), most.clone());
                R::spawn(async move {
                    for _ in 0..5 {
                        let _permit = semaphore.acquire().await;
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        future::yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert!(semaphore.release().is_err(), "released beyond its value");
    });
}
