//! asyncio's queues and synchronization primitives for any executor.
//!
//! [`Queue`], [`LifoQueue`] and [`PriorityQueue`] hand work between tasks; [`Lock`],
//! [`Event`], [`Condition`], [`Semaphore`], [`BoundedSemaphore`] and [`Barrier`] coordinate
//! them. They keep asyncio's names and semantics (`put`/`get` and their `_nowait` forms,
//! `task_done`/`join`, `shutdown`, FIFO-fair locks) and speak only [`std::task::Waker`], so
//! they work on the `asyncio` crate's loop, on tokio, on smol, and between tasks of different
//! loops and threads: every type here is `Send + Sync` and a cheap-to-clone handle.
//!
//! Every primitive is a `std::sync::Mutex` around its state plus a first come, first served
//! waiter list (a slab, so parking does not allocate once warm). An operation that can
//! complete at once takes the mutex once and touches no waiter; waking happens after the
//! mutex is released. Cancellation is dropping a future: a pending `get` that was woken for
//! an item passes the wake-up on (the item never left the queue), a pending `put` drops its
//! item (never inserted later), and a lock or semaphore waiter that was handed the lock or a
//! permit passes it on.
//!
//! A runtime may listen for what a pending future waits on ([`set_wait_hook`]): the
//! `asyncio` crate's loop does, for its task dump ("consumer waits on `Queue.get()`").
//!
//! The worker-pool pattern of asyncio's documentation:
//!
//! ```
//! use asyncio_sync::Queue;
//! use futures_lite::future;
//!
//! async fn worker(queue: Queue<u32>, done: &std::cell::Cell<u32>) {
//!     // `get` fails once the queue is shut down and drained.
//!     while let Ok(job) = queue.get().await {
//!         done.set(done.get() + job);
//!         queue.task_done().unwrap();
//!     }
//! }
//!
//! future::block_on(async {
//!     let queue = Queue::new(2);
//!     let done = std::cell::Cell::new(0);
//!     let producer = async {
//!         for job in 1..=10 {
//!             queue.put(job).await.unwrap(); // waits while two jobs are queued
//!         }
//!         queue.join().await; // every job marked done
//!         queue.shutdown(false);
//!     };
//!     future::zip(producer, future::zip(worker(queue.clone(), &done), worker(queue.clone(), &done))).await;
//!     assert_eq!(done.get(), 55);
//! });
//! ```
#![forbid(unsafe_code)]

mod barrier;
mod condition;
mod event;
mod lock;
mod queue;
mod semaphore;
mod wait_hook;
mod waiters;

pub use barrier::{Barrier, BarrierWait, BrokenBarrierError};
pub use condition::{Condition, ConditionError};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockAcquire, LockGuard};
pub use queue::{
    BaseQueue, Fifo, GetNowaitError, Lifo, LifoQueue, Order, Priority, PriorityQueue,
    PutNowaitError, Queue, QueueEmpty, QueueFull, QueueGet, QueueJoin, QueuePut, QueueShutDown,
    TaskDoneError,
};
pub use semaphore::{
    BoundedSemaphore, Semaphore, SemaphoreAcquire, SemaphoreError, SemaphorePermit,
};
pub use wait_hook::{WaitHook, WaitKind, set_wait_hook};

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a primitive's state, ignoring poisoning. The only foreign code run under these
/// mutexes is a priority queue's `Ord`; if it panics inside `push`, the heap may be
/// misordered (as `BinaryHeap` documents) and that item's `unfinished_tasks` count missing,
/// but no waiter count or promise is half-updated, so the queue stays usable rather than
/// turning every later call into a panic.
fn lock_state<S>(mutex: &Mutex<S>) -> MutexGuard<'_, S> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
