//! Cancellation storms (issue 15), continued: thousands of getters and putters of a
//! bounded `Queue`, and waiters of a `Condition`, cancelled at random points under proptest
//! (the harness: `storm/mod.rs`). The queue is checked against a model of the items in it
//! (FIFO: each get returns the model's oldest item; `qsize` and `unfinished_tasks` match),
//! the condition by its counts; at the end every task not cancelled completes, woken, and
//! with every task gone no waiter is registered and nothing is held.

mod common;
mod storm;

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Debug;
use std::task::Poll;

use asyncio_sync::{Condition, Queue};
use storm::{Op, Tasks};

/// What a queue task completed with.
#[derive(Debug)]
enum Done {
    Got(u32),
    Put(u32),
}

/// The queue's model: the items in it, oldest first, and the `task_done` count owed.
struct Items {
    queue: Queue<u32>,
    items: VecDeque<u32>,
    unfinished: usize,
    next: u32,
    getters: BTreeSet<usize>,
}

impl Items {
    /// A task completed: a get took the oldest item, a put's item went in last.
    fn completed(&mut self, id: usize, done: Done) {
        match done {
            Done::Got(item) => {
                assert!(self.getters.remove(&id), "task {id} is a putter");
                assert_eq!(Some(item), self.items.pop_front(), "task {id} got");
            }
            Done::Put(item) => {
                assert!(!self.getters.contains(&id), "task {id} is a getter");
                self.entered(item);
            }
        }
    }

    fn entered(&mut self, item: u32) {
        self.items.push_back(item);
        self.unfinished += 1;
    }

    fn put_nowait(&mut self) -> bool {
        self.next += 1;
        let ok = self.queue.put_nowait(self.next).is_ok();
        assert_eq!(ok, self.items.len() < self.queue.maxsize(), "put_nowait");
        if ok {
            self.entered(self.next);
        }
        ok
    }

    fn get_nowait(&mut self) {
        let got = self.queue.get_nowait().ok();
        assert_eq!(got, self.items.pop_front(), "get_nowait");
    }

    fn check<T>(&self, tasks: &Tasks<'_, T>) {
        assert_eq!(self.queue.qsize(), self.items.len(), "qsize");
        assert_eq!(self.queue.unfinished_tasks(), self.unfinished, "unfinished");
        assert_eq!(
            self.queue.registered_waiters(),
            tasks.pending.len(),
            "registered waiters"
        );
        // No lost wake: with an item in the queue, some waiting getter was woken to take
        // it (or passed the wake on when cancelled); with room, some waiting putter.
        let waiting = |getter: bool| {
            let mut waiting = tasks
                .pending
                .iter()
                .filter(move |t| self.getters.contains(&t.id) == getter)
                .peekable();
            waiting.peek().is_none() || waiting.any(storm::Task::woken)
        };
        if !self.items.is_empty() {
            assert!(
                waiting(true),
                "getters wait for an item no one was woken for"
            );
        }
        if self.items.len() < self.queue.maxsize() {
            assert!(waiting(false), "putters wait for room no one was woken for");
        }
    }
}

#[test]
fn bounded_queues_lose_and_duplicate_no_item_through_cancellations() {
    storm::run("Queue", 3, queue_scenario);
}

/// Getters and putters of a queue of `maxsize + 1` items start, are polled and cancelled,
/// among `put_nowait`, `get_nowait` and `task_done` calls; returns the tasks started.
fn queue_scenario(maxsize: u8, ops: &[Op]) -> usize {
    {
        let mut model = Items {
            queue: Queue::new(usize::from(maxsize) + 1),
            items: VecDeque::new(),
            unfinished: 0,
            next: 0,
            getters: BTreeSet::new(),
        };
        let queue = model.queue.clone();
        let mut tasks = Tasks::new();
        for op in ops {
            match op.kind % 8 {
                0 | 1 => {
                    let get = queue.get();
                    let (id, poll) = tasks.start(Box::pin(async move {
                        Done::Got(get.await.expect("not shut down"))
                    }));
                    model.getters.insert(id);
                    if let Poll::Ready(done) = poll {
                        model.completed(id, done);
                    }
                }
                2 | 3 => {
                    model.next += 1;
                    let item = model.next;
                    let put = queue.put(item);
                    let (id, poll) = tasks.start(Box::pin(async move {
                        put.await.expect("not shut down");
                        Done::Put(item)
                    }));
                    if let Poll::Ready(done) = poll {
                        model.completed(id, done);
                    }
                }
                4 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        if let (id, Poll::Ready(done)) = tasks.poll(index) {
                            model.completed(id, done);
                        }
                    }
                }
                5 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        model.getters.remove(&tasks.cancel(index));
                    }
                }
                6 => {
                    model.put_nowait();
                }
                _ if op.pick % 2 == 0 => model.get_nowait(),
                _ => {
                    let ok = queue.task_done().is_ok();
                    assert_eq!(ok, model.unfinished > 0, "task_done");
                    model.unfinished -= usize::from(ok);
                }
            }
            model.check(&tasks);
        }
        // Every task not cancelled completes, polled only when woken: getters are fed,
        // putters are given room.
        for _ in 0..10_000 {
            for (id, done) in tasks.poll_woken() {
                model.completed(id, done);
            }
            let getters = tasks.pending.iter().any(|t| model.getters.contains(&t.id));
            if tasks.pending.is_empty() {
                break;
            } else if woken_pending(&tasks) {
                // Woken by the last poll's put or get: poll it first.
                continue;
            } else if getters && model.items.len() < queue.maxsize() {
                model.put_nowait();
            } else if !model.items.is_empty() {
                model.get_nowait();
            } else {
                panic!(
                    "{} tasks wait, none woken, nothing to do",
                    tasks.pending.len()
                );
            }
            model.check(&tasks);
        }
        assert!(tasks.pending.is_empty(), "the drain did not end");
        model.check(&tasks);
        let left: Vec<u32> = std::iter::from_fn(|| queue.get_nowait().ok()).collect();
        assert_eq!(left, Vec::from(model.items.clone()));
        tasks.started
    }
}

#[test]
fn conditions_release_their_lock_through_cancellations() {
    storm::run("Condition", 1, |_, ops| {
        let condition = Condition::new();
        let lock = condition.get_lock().clone();
        let mut tasks = Tasks::new();
        let mut held: Vec<Box<dyn Debug + '_>> = Vec::new();
        let registered = || condition.registered_waiters() + lock.registered_waiters();
        // Notifies with the lock held, as asyncio requires; `false` if the lock is taken.
        let notify = |n: Option<usize>| {
            if lock.locked() {
                return false;
            }
            let guard = common::now(condition.lock());
            match n {
                Some(n) => condition.notify(n).unwrap(),
                None => condition.notify_all().unwrap(),
            }
            drop(guard);
            true
        };
        for op in ops {
            match op.kind % 6 {
                0 | 1 => {
                    let condition = &condition;
                    let (_, poll) = tasks.start(Box::pin(async move {
                        let guard = condition.lock().await;
                        let guard = condition.wait(guard).await.expect("its own lock");
                        Box::new(guard) as Box<dyn Debug>
                    }));
                    assert!(poll.is_pending(), "a wait waits for a notify");
                }
                2 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        if let (_, Poll::Ready(guard)) = tasks.poll(index) {
                            held.push(guard);
                        }
                    }
                }
                3 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        let before = (condition.registered_waiters(), condition.queued_waiters());
                        tasks.cancel(index);
                        let after = (condition.registered_waiters(), condition.queued_waiters());
                        // A cancelled waiter of the condition that had been notified hands
                        // the notification to the next queued one: the queue shrinks by
                        // one whichever of them it was, unless none was queued.
                        if after.0 + 1 == before.0 && before.1 > 0 {
                            assert_eq!(after.1 + 1, before.1, "a notification was lost");
                        }
                    }
                }
                4 => {
                    if !held.is_empty() {
                        drop(held.remove(usize::from(op.pick) % held.len()));
                    }
                }
                _ => {
                    notify(Some(usize::from(op.pick % 3) + 1));
                }
            }
            assert!(held.len() <= 1, "two tasks hold the lock");
            if lock.locked() && held.is_empty() {
                assert!(woken_pending(&tasks), "the lock is taken by nobody");
            }
            assert_eq!(registered(), tasks.pending.len(), "registered waiters");
        }
        // Every task not cancelled is notified and gets the lock in turn, polled only
        // when woken.
        for _ in 0..10_000 {
            held.extend(tasks.poll_woken().into_iter().map(|(_, guard)| guard));
            if tasks.pending.is_empty() {
                break;
            } else if woken_pending(&tasks) {
                continue;
            } else if let Some(guard) = held.pop() {
                drop(guard);
            } else if !notify(None) {
                panic!(
                    "{} tasks wait, none woken, the lock taken",
                    tasks.pending.len()
                );
            }
        }
        assert!(tasks.pending.is_empty(), "the drain did not end");
        drop(held);
        assert!(!lock.locked());
        assert_eq!(registered(), 0);
        tasks.started
    });
}

/// Whether some pending task was woken and is yet to be polled (it may have been handed
/// the lock or an item, or told to look again).
fn woken_pending<T>(tasks: &Tasks<'_, T>) -> bool {
    tasks.pending.iter().any(storm::Task::woken)
}
