//! asyncio's queues: [`Queue`], [`LifoQueue`] and [`PriorityQueue`] are one implementation,
//! [`BaseQueue`], over three [`Order`]s.
//!
//! How waiting works. Items live in the order's storage. A `get` that finds no item for it
//! parks in the getters' list; when an item arrives, the first parked getter is *promised*
//! one (`promised_items` counts those promises) and woken: nobody else can take that item, so
//! waiters are served first come, first served and a `get_nowait` never overtakes a parked
//! getter. The promised getter pops the next item when it runs. If it is dropped before it
//! runs, the promise passes to the next parked getter, or the item simply stays in the queue:
//! a cancelled `get` never loses an item. Putters mirror this with promised *room*
//! (`promised_room`); a parked `put` keeps its item inside its future until it is granted
//! room, so a dropped `put` drops its item and never inserts it later.
//!
//! Because of the promises, an item counted by `qsize()` may already be spoken for by a
//! woken getter that has not run yet; `get_nowait()` then reports `QueueEmpty` (asyncio would
//! let it steal the item and send the woken getter back to the end of the line).

mod error;
mod order;

pub use error::{
    GetNowaitError, PutNowaitError, QueueEmpty, QueueFull, QueueShutDown, TaskDoneError,
};
pub use order::{Fifo, Lifo, Order, Priority};

use crate::lock_state;
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

/// What a getter is told when it is taken off the getters' list.
#[derive(Clone, Copy)]
enum GetterNote {
    /// An item is reserved for it.
    Item,
    /// The queue was shut down while it waited for an item.
    ShutDown,
}

/// What a putter is told when it is taken off the putters' list.
#[derive(Clone, Copy)]
enum PutterNote {
    /// Room for one item is reserved for it.
    Room,
    /// The queue was shut down while it waited for room.
    ShutDown,
}

struct State<T, O> {
    items: O,
    getters: Waiters<GetterNote>,
    putters: Waiters<PutterNote>,
    joiners: Waiters<()>,
    /// Items reserved for notified getters that have not taken them yet.
    promised_items: usize,
    /// Room reserved for notified putters that have not used it yet.
    promised_room: usize,
    unfinished_tasks: usize,
    shutdown: bool,
    _item: std::marker::PhantomData<fn(T) -> T>,
}

impl<T, O: Order<T>> State<T, O> {
    fn has_room(&self, maxsize: usize) -> bool {
        maxsize == 0 || self.items.len() + self.promised_room < maxsize
    }

    fn has_free_item(&self) -> bool {
        self.items.len() > self.promised_items
    }

    /// Inserts a put's item; wakes the first parked getter if this item is free for it.
    fn insert(&mut self, item: T) -> Option<Waker> {
        self.items.push(item);
        self.unfinished_tasks += 1;
        self.promise_item()
    }

    /// Takes the next item; reserves the room it frees for the first parked putter.
    fn take(&mut self, maxsize: usize) -> Option<(T, Option<Waker>)> {
        let item = self.items.pop()?;
        Some((item, self.promise_room(maxsize)))
    }

    fn promise_item(&mut self) -> Option<Waker> {
        if self.has_free_item() && self.getters.has_queued() {
            self.promised_items += 1;
            self.getters.notify_first(GetterNote::Item)
        } else {
            None
        }
    }

    fn promise_room(&mut self, maxsize: usize) -> Option<Waker> {
        if !self.shutdown && self.has_room(maxsize) && self.putters.has_queued() {
            self.promised_room += 1;
            self.putters.notify_first(PutterNote::Room)
        } else {
            None
        }
    }

    /// The fast path shared by `put` and `put_nowait`.
    fn try_put(&mut self, maxsize: usize, item: T) -> Result<Option<Waker>, PutNowaitError<T>> {
        if self.shutdown {
            Err(PutNowaitError::ShutDown(QueueShutDown(item)))
        } else if self.has_room(maxsize) && !self.putters.has_queued() {
            Ok(self.insert(item))
        } else {
            Err(PutNowaitError::Full(QueueFull(item)))
        }
    }

    /// The fast path shared by `get` and `get_nowait`.
    fn try_get(&mut self, maxsize: usize) -> Result<(T, Option<Waker>), GetNowaitError> {
        if self.has_free_item() {
            Ok(self.take(maxsize).expect("a free item is there"))
        } else if self.shutdown {
            Err(GetNowaitError::ShutDown(QueueShutDown(())))
        } else {
            Err(GetNowaitError::Empty(QueueEmpty))
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
    /// A queue holding at most `maxsize` items; `0` means unbounded.
    pub fn new(maxsize: usize) -> Self {
        let state = State {
            items: O::default(),
            getters: Waiters::default(),
            putters: Waiters::default(),
            joiners: Waiters::default(),
            promised_items: 0,
            promised_room: 0,
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

    /// Whether the queue holds no item.
    pub fn empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Whether the queue holds `maxsize` items (never, when unbounded).
    pub fn full(&self) -> bool {
        self.shared.maxsize != 0 && self.qsize() >= self.shared.maxsize
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
    pub fn put(&self, item: T) -> Put<'_, T, O> {
        Put {
            queue: self,
            item: Some(item),
            key: None,
        }
    }

    /// Puts `item` into the queue if there is room for it now.
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
    pub fn get(&self) -> Get<'_, T, O> {
        Get {
            queue: self,
            key: None,
        }
    }

    /// Takes the next item if one is there for the taking now.
    ///
    /// ```
    /// use asyncio_sync::{GetNowaitError, Queue, QueueEmpty};
    /// let queue: Queue<u8> = Queue::new(0);
    /// assert_eq!(queue.get_nowait(), Err(GetNowaitError::Empty(QueueEmpty)));
    /// ```
    pub fn get_nowait(&self) -> Result<T, GetNowaitError> {
        let result = lock_state(&self.shared.state).try_get(self.shared.maxsize);
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
    pub fn join(&self) -> Join<'_, T, O> {
        Join {
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
        wakers.extend(state.getters.notify_all(GetterNote::ShutDown));
        wakers.extend(state.putters.notify_all(PutterNote::ShutDown));
        drop(state);
        wake_all(wakers);
    }
}

/// The future of [`BaseQueue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T, O: Order<T>> {
    queue: &'a BaseQueue<T, O>,
    /// The item, until it is inserted or handed back.
    item: Option<T>,
    /// The putters' list slot while parked.
    key: Option<usize>,
}

// The item is never pinned: it is moved into the queue or handed back by value.
impl<T, O: Order<T>> Unpin for Put<'_, T, O> {}

impl<T, O: Order<T>> Future for Put<'_, T, O> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &this.queue.shared;
        let mut state = lock_state(&shared.state);
        let item = this.item.take().expect("`put()` polled after completion");
        let waker = match this.key {
            None => match state.try_put(shared.maxsize, item) {
                Ok(waker) => waker,
                Err(PutNowaitError::ShutDown(refused)) => return Poll::Ready(Err(refused)),
                Err(PutNowaitError::Full(QueueFull(item))) => {
                    this.key = Some(state.putters.push(cx.waker()));
                    this.item = Some(item);
                    return Poll::Pending;
                }
            },
            Some(key) => match state.putters.poll(key, cx.waker()) {
                None => {
                    this.item = Some(item);
                    return Poll::Pending;
                }
                Some(note) => {
                    this.key = None;
                    if let PutterNote::Room = note {
                        state.promised_room -= 1;
                    }
                    if state.shutdown {
                        return Poll::Ready(Err(QueueShutDown(item)));
                    }
                    state.insert(item)
                }
            },
        };
        drop(state);
        wake(waker);
        Poll::Ready(Ok(()))
    }
}

impl<T, O: Order<T>> Drop for Put<'_, T, O> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let shared = &self.queue.shared;
        let mut state = lock_state(&shared.state);
        // Room reserved for this putter goes to the next one; its item is dropped with it.
        let waker = match state.putters.remove(key) {
            Some(PutterNote::Room) => {
                state.promised_room -= 1;
                state.promise_room(shared.maxsize)
            }
            _ => None,
        };
        drop(state);
        wake(waker);
    }
}

/// The future of [`BaseQueue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, O: Order<T>> {
    queue: &'a BaseQueue<T, O>,
    /// The getters' list slot while parked.
    key: Option<usize>,
}

impl<T, O: Order<T>> Future for Get<'_, T, O> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = &self.queue.shared;
        let mut state = lock_state(&shared.state);
        let taken = match self.key {
            None => match state.try_get(shared.maxsize) {
                Ok(taken) => taken,
                Err(GetNowaitError::ShutDown(shut)) => return Poll::Ready(Err(shut)),
                Err(GetNowaitError::Empty(_)) => {
                    let key = state.getters.push(cx.waker());
                    self.key = Some(key);
                    return Poll::Pending;
                }
            },
            Some(key) => match state.getters.poll(key, cx.waker()) {
                None => return Poll::Pending,
                Some(note) => {
                    self.key = None;
                    if let GetterNote::ShutDown = note {
                        return Poll::Ready(Err(QueueShutDown(())));
                    }
                    state.promised_items -= 1;
                    // Only an immediate shut-down empties the queue under a promise.
                    match state.take(shared.maxsize) {
                        Some(taken) => taken,
                        None => return Poll::Ready(Err(QueueShutDown(()))),
                    }
                }
            },
        };
        drop(state);
        let (item, waker) = taken;
        wake(waker);
        Poll::Ready(Ok(item))
    }
}

impl<T, O: Order<T>> Drop for Get<'_, T, O> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut state = lock_state(&self.queue.shared.state);
        // An item promised to this getter stays in the queue, promised to the next one.
        let waker = match state.getters.remove(key) {
            Some(GetterNote::Item) => {
                state.promised_items -= 1;
                state.promise_item()
            }
            _ => None,
        };
        drop(state);
        wake(waker);
    }
}

/// The future of [`BaseQueue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T, O: Order<T>> {
    queue: &'a BaseQueue<T, O>,
    key: Option<usize>,
    done: bool,
}

impl<T, O: Order<T>> Future for Join<'_, T, O> {
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
            Poll::Pending
        }
    }
}

impl<T, O: Order<T>> Drop for Join<'_, T, O> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            lock_state(&self.queue.shared.state).joiners.remove(key);
        }
    }
}
