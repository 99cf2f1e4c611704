//! asyncio's queues: [`Queue`], [`LifoQueue`] and [`PriorityQueue`] are one implementation,
//! [`BaseQueue`], over three [`Order`]s.
//!
//! How waiting works is CPython's (`Lib/asyncio/queues.py`), step for step. Items live in the
//! order's storage. A `get` that finds the queue empty parks at the back of the getters'
//! line; each item put wakes the first parked getter, which is taken off the line and looks
//! again when it runs. The item is not reserved for it: whoever asks first takes it (a
//! `get_nowait`, or a `get` that finds the queue non-empty), and a woken getter that finds
//! the queue empty parks again, at the back of the line, as CPython's `while self.empty():`
//! loop appends a new future. So `get_nowait()` returns an item whenever `qsize() > 0`. A
//! woken getter dropped before it ran wakes the next one if items are left (CPython's
//! `except:` clause): a cancelled `get` never loses an item, since only a `get` that returns
//! takes one. Putters mirror this with room: each item taken wakes the first parked putter,
//! `put_nowait()` succeeds whenever `!full()`, and a woken putter that finds the queue full
//! again parks at the back. A parked `put` keeps its item inside its future until it
//! inserts it, so a dropped `put` drops its item and never inserts it later.

mod error;
mod order;

pub use error::{
    GetNowaitError, PutNowaitError, QueueEmpty, QueueFull, QueueShutDown, TaskDoneError,
};
pub use order::{Fifo, Lifo, Order, Priority};

use crate::lock_state;
use crate::wait_hook::{QUEUE_GET, QUEUE_JOIN, QUEUE_PUT, pending};
use crate::waiters::{Waiters, wake, wake_all};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A first in, first out queue (asyncio's `Queue`).
///
/// ```
/// use asyncio_sync::Queue;
/// # futures_lite::future::block_on(async {
/// let queue = Queue::new(0);
/// queue.put("a").await.unwrap();
/// queue.put_nowait("b").unwrap();
/// assert_eq!(queue.get().await.unwrap(), "a");
/// assert_eq!(queue.get_nowait().unwrap(), "b");
/// # });
/// ```
pub type Queue<T> = BaseQueue<T, Fifo<T>>;

/// A last in, first out queue (asyncio's `LifoQueue`).
///
/// ```
/// use asyncio_sync::LifoQueue;
/// let stack = LifoQueue::new(0);
/// stack.put_nowait(1).unwrap();
/// stack.put_nowait(2).unwrap();
/// assert_eq!(stack.get_nowait().unwrap(), 2);
/// ```
pub type LifoQueue<T> = BaseQueue<T, Lifo<T>>;

/// A queue that gives the smallest item first, as `heapq` (asyncio's `PriorityQueue`).
///
/// ```
/// use asyncio_sync::PriorityQueue;
/// let queue = PriorityQueue::new(0);
/// queue.put_nowait((2, "later")).unwrap();
/// queue.put_nowait((1, "first")).unwrap();
/// assert_eq!(queue.get_nowait().unwrap(), (1, "first"));
/// ```
pub type PriorityQueue<T> = BaseQueue<T, Priority<T>>;

/// The queue shared by [`Queue`], [`LifoQueue`] and [`PriorityQueue`], generic over the
/// [`Order`] its items are taken in. A handle is cheap to clone; clones share the queue.
pub struct BaseQueue<T, O> {
    shared: Arc<Shared<T, O>>,
}

struct Shared<T, O> {
    maxsize: usize,
    state: Mutex<State<T, O>>,
}

/// A parked waiter is woken with this note: "look again" (CPython's `set_result(None)` on
/// its future). Nothing is reserved for it.
type Woken = ();

struct State<T, O> {
    items: O,
    getters: Waiters<Woken>,
    putters: Waiters<Woken>,
    joiners: Waiters<()>,
    unfinished_tasks: usize,
    shutdown: bool,
    _item: std::marker::PhantomData<fn(T) -> T>,
}

impl<T, O: Order<T>> State<T, O> {
    /// CPython's `full()`.
    fn full(&self, maxsize: usize) -> bool {
        maxsize != 0 && self.items.len() >= maxsize
    }

    /// CPython's `put_nowait`: shut down, full, or the item is in (and a getter woken).
    fn try_put(&mut self, maxsize: usize, item: T) -> Result<Option<Waker>, PutNowaitError<T>> {
        if self.shutdown {
            Err(PutNowaitError::ShutDown(QueueShutDown(item)))
        } else if self.full(maxsize) {
            Err(PutNowaitError::Full(QueueFull(item)))
        } else {
            self.items.push(item);
            self.unfinished_tasks += 1;
            Ok(self.getters.notify_first(()))
        }
    }

    /// CPython's `get_nowait`: the next item (and a putter woken), or why there is none.
    fn try_get(&mut self) -> Result<(T, Option<Waker>), GetNowaitError> {
        match self.items.pop() {
            Some(item) => Ok((item, self.putters.notify_first(()))),
            None if self.shutdown => Err(GetNowaitError::ShutDown(QueueShutDown(()))),
            None => Err(GetNowaitError::Empty(QueueEmpty)),
        }
    }
}

impl<T, O> Clone for BaseQueue<T, O> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<T, O: Order<T>> fmt::Debug for BaseQueue<T, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock_state(&self.shared.state);
        f.debug_struct("Queue")
            .field("maxsize", &self.shared.maxsize)
            .field("qsize", &state.items.len())
            .field("getters", &state.getters.queued())
            .field("putters", &state.putters.queued())
            .field("unfinished_tasks", &state.unfinished_tasks)
            .field("shutdown", &state.shutdown)
            .finish()
    }
}

impl<T, O: Order<T>> Default for BaseQueue<T, O> {
    /// An unbounded queue.
    fn default() -> Self {
        Self::new(0)
    }
}

impl<T, O: Order<T>> BaseQueue<T, O> {
    /// How many getters, putters and joiners are registered (queued, or notified and not
    /// yet resumed): zero once every waiting future has completed or been dropped. For
    /// tests.
    #[doc(hidden)]
    pub fn registered_waiters(&self) -> usize {
        let state = lock_state(&self.shared.state);
        state.getters.registered() + state.putters.registered() + state.joiners.registered()
    }

    /// A queue holding at most `maxsize` items; `0` means unbounded.
    pub fn new(maxsize: usize) -> Self {
        let state = State {
            items: O::default(),
            getters: Waiters::default(),
            putters: Waiters::default(),
            joiners: Waiters::default(),
            unfinished_tasks: 0,
            shutdown: false,
            _item: std::marker::PhantomData,
        };
        Self {
            shared: Arc::new(Shared {
                maxsize,
                state: Mutex::new(state),
            }),
        }
    }

    /// The most items the queue holds (`0`: unbounded).
    pub fn maxsize(&self) -> usize {
        self.shared.maxsize
    }

    /// How many items are in the queue.
    pub fn qsize(&self) -> usize {
        lock_state(&self.shared.state).items.len()
    }

    /// Whether the queue holds no item: exactly when `get_nowait` fails.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue holds `maxsize` items (never, when unbounded): exactly when
    /// `put_nowait` fails with [`QueueFull`].
    pub fn full(&self) -> bool {
        lock_state(&self.shared.state).full(self.shared.maxsize)
    }

    /// How many items were put and not yet marked done by [`task_done`](Self::task_done).
    pub fn unfinished_tasks(&self) -> usize {
        lock_state(&self.shared.state).unfinished_tasks
    }

    /// Whether [`shutdown`](Self::shutdown) was called.
    pub fn is_shutdown(&self) -> bool {
        lock_state(&self.shared.state).shutdown
    }

    /// Puts `item` into the queue, waiting while it is full.
    ///
    /// Fails with the item handed back if the queue is (or gets) shut down. Dropping the
    /// future before it completes drops the item: it is never inserted later.
    pub fn put(&self, item: T) -> QueuePut<'_, T, O> {
        QueuePut {
            queue: self,
            item: Some(item),
            key: None,
        }
    }

    /// Puts `item` into the queue if it is not full, even into room a woken putter was
    /// about to use (that putter waits again, as in asyncio).
    ///
    /// ```
    /// use asyncio_sync::{PutNowaitError, Queue, QueueFull};
    /// let queue = Queue::new(1);
    /// queue.put_nowait(1).unwrap();
    /// assert_eq!(queue.put_nowait(2), Err(PutNowaitError::Full(QueueFull(2))));
    /// ```
    pub fn put_nowait(&self, item: T) -> Result<(), PutNowaitError<T>> {
        let result = lock_state(&self.shared.state).try_put(self.shared.maxsize, item);
        result.map(wake)
    }

    /// Takes the next item, waiting while the queue is empty.
    ///
    /// After [`shutdown`](Self::shutdown) it still drains the remaining items, then fails.
    /// Dropping the future never loses an item.
    pub fn get(&self) -> QueueGet<'_, T, O> {
        QueueGet {
            queue: self,
            key: None,
        }
    }

    /// Takes the next item if the queue holds one, even one a woken getter was about to
    /// take (that getter waits again, as in asyncio).
    ///
    /// ```
    /// use asyncio_sync::{GetNowaitError, Queue, QueueEmpty};
    /// let queue: Queue<u8> = Queue::new(0);
    /// assert_eq!(queue.get_nowait(), Err(GetNowaitError::Empty(QueueEmpty)));
    /// ```
    pub fn get_nowait(&self) -> Result<T, GetNowaitError> {
        let result = lock_state(&self.shared.state).try_get();
        result.map(|(item, waker)| {
            wake(waker);
            item
        })
    }

    /// Marks one item that was put as processed; when every item put has been, pending
    /// [`join`](Self::join)s return. An error if called more times than items were put.
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        let mut state = lock_state(&self.shared.state);
        if state.unfinished_tasks == 0 {
            return Err(TaskDoneError);
        }
        state.unfinished_tasks -= 1;
        if state.unfinished_tasks == 0 && state.joiners.has_queued() {
            let wakers = state.joiners.notify_all(());
            drop(state);
            wake_all(wakers);
        }
        Ok(())
    }

    /// Waits until every item put has been marked done with [`task_done`](Self::task_done).
    ///
    /// ```
    /// use asyncio_sync::Queue;
    /// # futures_lite::future::block_on(async {
    /// let queue = Queue::new(0);
    /// queue.put_nowait("job").unwrap();
    /// let job = queue.get().await.unwrap();
    /// assert_eq!(job, "job");
    /// queue.task_done().unwrap();
    /// queue.join().await;
    /// # });
    /// ```
    pub fn join(&self) -> QueueJoin<'_, T, O> {
        QueueJoin {
            queue: self,
            key: None,
            done: false,
        }
    }

    /// Shuts the queue down, as asyncio 3.13 does: every later `put` fails with
    /// [`QueueShutDown`], and so does every `get` once the queue is empty; parked putters and
    /// getters are woken to fail. With `immediate`, the remaining items are dropped and
    /// marked done (which may release pending [`join`](Self::join)s), so `get` fails at once.
    ///
    /// ```
    /// use asyncio_sync::{PutNowaitError, Queue, QueueShutDown};
    /// # futures_lite::future::block_on(async {
    /// let queue = Queue::new(0);
    /// queue.put_nowait(1).unwrap();
    /// queue.shutdown(false);
    /// assert!(matches!(queue.put_nowait(2), Err(PutNowaitError::ShutDown(QueueShutDown(2)))));
    /// assert_eq!(queue.get().await, Ok(1));
    /// assert_eq!(queue.get().await, Err(QueueShutDown(())));
    /// # });
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        let mut state = lock_state(&self.shared.state);
        state.shutdown = true;
        let mut wakers = Vec::new();
        if immediate {
            let dropped = state.items.clear();
            state.unfinished_tasks -= dropped.min(state.unfinished_tasks);
            if state.unfinished_tasks == 0 {
                wakers.extend(state.joiners.notify_all(()));
            }
        }
        // Every parked waiter looks again: getters take what is left or fail, putters fail.
        wakers.extend(state.getters.notify_all(()));
        wakers.extend(state.putters.notify_all(()));
        drop(state);
        wake_all(wakers);
    }
}

/// The future of [`BaseQueue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct QueuePut<'a, T, O: Order<T>> {
    queue: &'a BaseQueue<T, O>,
    /// The item, until it is inserted or handed back.
    item: Option<T>,
    /// The putters' list slot while parked.
    key: Option<usize>,
}

// The item is never pinned: it is moved into the queue or handed back by value.
impl<T, O: Order<T>> Unpin for QueuePut<'_, T, O> {}

impl<T, O: Order<T>> Future for QueuePut<'_, T, O> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &this.queue.shared;
        let mut state = lock_state(&shared.state);
        if let Some(key) = this.key {
            if state.putters.poll(key, cx.waker()).is_none() {
                return pending(&QUEUE_PUT);
            }
            // Woken: look again, as CPython's `while self.full():` loop does.
            this.key = None;
        }
        let item = this.item.take().expect("`put()` polled after completion");
        match state.try_put(shared.maxsize, item) {
            Ok(waker) => {
                drop(state);
                wake(waker);
                Poll::Ready(Ok(()))
            }
            Err(PutNowaitError::ShutDown(refused)) => Poll::Ready(Err(refused)),
            Err(PutNowaitError::Full(QueueFull(item))) => {
                // At the back of the line, also when woken and overtaken.
                this.key = Some(state.putters.push(cx.waker()));
                this.item = Some(item);
                pending(&QUEUE_PUT)
            }
        }
    }
}

impl<T, O: Order<T>> Drop for QueuePut<'_, T, O> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let shared = &self.queue.shared;
        let mut state = lock_state(&shared.state);
        // Woken for room it will not use: the next putter gets the wake-up (CPython's
        // `except:` clause). Its item is dropped with it.
        let waker = match state.putters.remove(key) {
            Some(()) if !state.full(shared.maxsize) => state.putters.notify_first(()),
            _ => None,
        };
        drop(state);
        wake(waker);
    }
}

/// The future of [`BaseQueue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct QueueGet<'a, T, O: Order<T>> {
    queue: &'a BaseQueue<T, O>,
    /// The getters' list slot while parked.
    key: Option<usize>,
}

impl<T, O: Order<T>> Future for QueueGet<'_, T, O> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = &self.queue.shared;
        let mut state = lock_state(&shared.state);
        if let Some(key) = self.key {
            if state.getters.poll(key, cx.waker()).is_none() {
                return pending(&QUEUE_GET);
            }
            // Woken: look again, as CPython's `while self.empty():` loop does.
            self.key = None;
        }
        match state.try_get() {
            Ok((item, waker)) => {
                drop(state);
                wake(waker);
                Poll::Ready(Ok(item))
            }
            Err(GetNowaitError::ShutDown(shut)) => Poll::Ready(Err(shut)),
            Err(GetNowaitError::Empty(_)) => {
                // At the back of the line, also when woken and overtaken.
                let key = state.getters.push(cx.waker());
                self.key = Some(key);
                pending(&QUEUE_GET)
            }
        }
    }
}

impl<T, O: Order<T>> Drop for QueueGet<'_, T, O> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut state = lock_state(&self.queue.shared.state);
        // Woken for an item it will not take: the next getter gets the wake-up (CPython's
        // `except:` clause). The item itself never left the queue.
        let waker = match state.getters.remove(key) {
            Some(()) if !state.items.is_empty() => state.getters.notify_first(()),
            _ => None,
        };
        drop(state);
        wake(waker);
    }
}

/// The future of [`BaseQueue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct QueueJoin<'a, T, O: Order<T>> {
    queue: &'a BaseQueue<T, O>,
    key: Option<usize>,
    done: bool,
}

impl<T, O: Order<T>> Future for QueueJoin<'_, T, O> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        assert!(!self.done, "`join()` polled after completion");
        let mut state = lock_state(&self.queue.shared.state);
        let ready = match self.key {
            None if state.unfinished_tasks == 0 => true,
            None => {
                let key = state.joiners.push(cx.waker());
                self.key = Some(key);
                false
            }
            // Once released, a joiner returns even if new items were put since (asyncio's
            // `join` awaits an Event that was set).
            Some(key) => state.joiners.poll(key, cx.waker()).is_some(),
        };
        drop(state);
        if ready {
            self.key = None;
            self.done = true;
            Poll::Ready(())
        } else {
            pending(&QUEUE_JOIN)
        }
    }
}

impl<T, O: Order<T>> Drop for QueueJoin<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock_state(&self.queue.shared.state).joiners.remove(key);
        }
    }
}
