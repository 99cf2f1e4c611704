//! Cancellation storms (issue 15): thousands of tasks wait on a `Semaphore`, a
//! `BoundedSemaphore`, a `Lock`, an `Event` or a `Barrier` and are cancelled at random
//! points, under proptest, against a simple model of each. After every step the counts
//! match the model (free permits, the lock's state, the barrier's arrivals, the waiters
//! registered); at the end every task not cancelled completes, woken (a lost wake leaves it
//! pending), and with every task gone the primitive is back where it started, with no
//! waiter registered. Queues and conditions: `cancel_storm_queue.rs`.

mod common;
mod storm;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Debug;
use std::task::Poll;

use asyncio_sync::{Barrier, BoundedSemaphore, BrokenBarrierError, Event, Lock, Semaphore};
use storm::{BoxFuture, Op, Tasks};

/// The model of a semaphore (a lock is one with one permit): a released permit goes to
/// the first queued waiter, which holds it once polled; a notified waiter that is
/// cancelled passes it on.
struct Permits {
    free: usize,
    queue: VecDeque<usize>,
    notified: BTreeSet<usize>,
}

impl Permits {
    fn start(&mut self, id: usize) -> bool {
        if self.free > 0 {
            self.free -= 1;
            true
        } else {
            self.queue.push_back(id);
            false
        }
    }

    fn poll(&mut self, id: usize) -> bool {
        self.notified.remove(&id)
    }

    fn cancel(&mut self, id: usize) {
        if let Some(at) = self.queue.iter().position(|&q| q == id) {
            self.queue.remove(at);
        } else if self.notified.remove(&id) {
            self.hand_on();
        }
    }

    fn hand_on(&mut self) {
        match self.queue.pop_front() {
            Some(next) => {
                self.notified.insert(next);
            }
            None => self.free += 1,
        }
    }
}

/// What the permit scenario needs of a semaphore or a lock.
trait Acquire {
    /// A waiting acquire, whose output is the permit or guard (released when dropped).
    fn acquire(&self) -> BoxFuture<'_, Box<dyn Debug + '_>>;
    /// Free permits (a lock: 1 when unlocked).
    fn free(&self) -> usize;
    fn registered(&self) -> usize;
}

impl Acquire for Semaphore {
    fn acquire(&self) -> BoxFuture<'_, Box<dyn Debug + '_>> {
        let acquire = Semaphore::acquire(self);
        Box::pin(async move { Box::new(acquire.await) as Box<dyn Debug> })
    }
    fn free(&self) -> usize {
        self.value()
    }
    fn registered(&self) -> usize {
        self.registered_waiters()
    }
}

impl Acquire for BoundedSemaphore {
    fn acquire(&self) -> BoxFuture<'_, Box<dyn Debug + '_>> {
        let acquire = BoundedSemaphore::acquire(self);
        Box::pin(async move { Box::new(acquire.await) as Box<dyn Debug> })
    }
    fn free(&self) -> usize {
        self.value()
    }
    fn registered(&self) -> usize {
        self.registered_waiters()
    }
}

impl Acquire for Lock {
    fn acquire(&self) -> BoxFuture<'_, Box<dyn Debug + '_>> {
        let acquire = self.lock();
        Box::pin(async move { Box::new(acquire.await) as Box<dyn Debug> })
    }
    fn free(&self) -> usize {
        usize::from(!self.locked())
    }
    fn registered(&self) -> usize {
        self.registered_waiters()
    }
}

/// Tasks acquire, are polled, cancelled; held permits are released; then the rest drain.
fn permits<P: Acquire>(primitive: &P, initial: usize, ops: &[Op]) -> usize {
    let mut model = Permits {
        free: initial,
        queue: VecDeque::new(),
        notified: BTreeSet::new(),
    };
    let mut tasks = Tasks::new();
    let mut held = Vec::new();
    for op in ops {
        match op.kind % 5 {
            0 | 1 => {
                let (id, poll) = tasks.start(primitive.acquire());
                assert_eq!(poll.is_ready(), model.start(id), "task {id} started");
                if let Poll::Ready(permit) = poll {
                    held.push(permit);
                }
            }
            2 => {
                if let Some(index) = tasks.choose(op.pick) {
                    let (id, poll) = tasks.poll(index);
                    assert_eq!(poll.is_ready(), model.poll(id), "task {id} polled");
                    if let Poll::Ready(permit) = poll {
                        held.push(permit);
                    }
                }
            }
            3 => {
                if let Some(index) = tasks.choose(op.pick) {
                    let id = tasks.cancel(index);
                    model.cancel(id);
                }
            }
            _ => {
                if !held.is_empty() {
                    drop(held.remove(usize::from(op.pick) % held.len()));
                    model.hand_on();
                }
            }
        }
        assert_eq!(primitive.free(), model.free, "free permits");
        assert_eq!(
            primitive.registered(),
            tasks.pending.len(),
            "registered waiters"
        );
        for task in &tasks.pending {
            assert_eq!(
                task.woken(),
                model.notified.contains(&task.id),
                "task {}",
                task.id
            );
        }
    }
    // Every task not cancelled gets its permit in turn, polled only when woken.
    loop {
        for (id, permit) in tasks.poll_woken() {
            assert!(model.poll(id), "task {id} drained");
            held.push(permit);
        }
        if tasks.pending.is_empty() {
            break;
        }
        let Some(permit) = held.pop() else {
            panic!(
                "{} tasks wait, none woken, no permit held",
                tasks.pending.len()
            );
        };
        drop(permit);
        model.hand_on();
    }
    drop(held);
    assert_eq!(primitive.free(), initial, "every permit is back");
    assert_eq!(primitive.registered(), 0);
    tasks.started
}

#[test]
fn semaphores_count_right_through_cancellations() {
    // One to four permits (none would leave the final drain nothing to hand out).
    storm::run("Semaphore", 4, |value, ops| {
        let value = usize::from(value) + 1;
        permits(&Semaphore::new(value), value, ops)
    });
}

#[test]
fn bounded_semaphores_count_right_through_cancellations() {
    storm::run("BoundedSemaphore", 4, |value, ops| {
        let value = usize::from(value) + 1;
        let semaphore = BoundedSemaphore::new(value);
        let started = permits(&semaphore, value, ops);
        // At its bound: one more release is refused.
        assert!(semaphore.release().is_err());
        started
    });
}

#[test]
fn locks_are_unlocked_after_cancellations() {
    storm::run("Lock", 1, |_, ops| {
        let lock = Lock::new();
        let started = permits(&lock, 1, ops);
        assert!(!lock.locked());
        started
    });
}

#[test]
fn events_release_every_waiter_through_cancellations() {
    storm::run("Event", 2, |initially_set, ops| {
        let event = Event::new();
        let mut set = initially_set == 1;
        if set {
            event.set();
        }
        let mut tasks = Tasks::new();
        // Waiters the model knows were woken by a `set` and not yet polled.
        let mut notified = BTreeSet::new();
        for op in ops {
            match op.kind % 6 {
                0 | 1 => {
                    let (_, poll) = tasks.start(Box::pin(event.wait()));
                    assert_eq!(poll.is_ready(), set);
                }
                2 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        let (id, poll) = tasks.poll(index);
                        assert_eq!(poll.is_ready(), notified.remove(&id), "task {id} polled");
                    }
                }
                3 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        notified.remove(&tasks.cancel(index));
                    }
                }
                4 => {
                    event.set();
                    set = true;
                    notified.extend(tasks.pending.iter().map(|t| t.id));
                }
                _ => {
                    event.clear();
                    set = false;
                }
            }
            assert_eq!(event.is_set(), set);
            assert_eq!(event.registered_waiters(), tasks.pending.len());
        }
        // A `set` wakes every task left, even if cleared again before they run.
        event.set();
        event.clear();
        let drained = tasks.poll_woken();
        assert!(
            tasks.pending.is_empty(),
            "{} not woken",
            tasks.pending.len()
        );
        drop(drained);
        assert_eq!(event.registered_waiters(), 0);
        tasks.started
    });
}

/// The barrier's model: the arrivals of the current round, and what each notified waiter
/// will find when polled.
#[derive(Default)]
struct Round {
    broken: bool,
    arrived: BTreeMap<usize, usize>,
    notified: BTreeMap<usize, Result<usize, BrokenBarrierError>>,
}

impl Round {
    fn release(&mut self, outcome: impl Fn(usize) -> Result<usize, BrokenBarrierError>) {
        for (id, index) in std::mem::take(&mut self.arrived) {
            self.notified.insert(id, outcome(index));
        }
    }
}

#[test]
fn barriers_count_arrivals_right_through_cancellations() {
    storm::run("Barrier", 3, |parties, ops| {
        let parties = usize::from(parties) + 2;
        let barrier = Barrier::new(parties);
        let mut model = Round::default();
        let mut tasks = Tasks::new();
        for op in ops {
            match op.kind % 8 {
                0..=2 => {
                    let (id, poll) = tasks.start(Box::pin(barrier.wait()));
                    let expected = if model.broken {
                        Poll::Ready(Err(BrokenBarrierError::Aborted))
                    } else if model.arrived.len() + 1 == parties {
                        model.release(Ok);
                        Poll::Ready(Ok(parties - 1))
                    } else {
                        model.arrived.insert(id, model.arrived.len());
                        Poll::Pending
                    };
                    assert_eq!(poll, expected, "task {id} started");
                }
                3 | 4 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        let (id, poll) = tasks.poll(index);
                        let expected = model
                            .notified
                            .remove(&id)
                            .map_or(Poll::Pending, Poll::Ready);
                        assert_eq!(poll, expected, "task {id} polled");
                    }
                }
                5 => {
                    if let Some(index) = tasks.choose(op.pick) {
                        let id = tasks.cancel(index);
                        model.notified.remove(&id);
                        model.arrived.remove(&id);
                    }
                }
                6 if op.pick % 4 == 0 => {
                    barrier.abort();
                    model.broken = true;
                    model.release(|_| Err(BrokenBarrierError::AbortOrReset));
                }
                _ => {
                    barrier.reset();
                    model.broken = false;
                    model.release(|_| Err(BrokenBarrierError::AbortOrReset));
                }
            }
            assert_eq!(barrier.n_waiting(), model.arrived.len(), "arrivals");
            assert_eq!(barrier.broken(), model.broken);
            assert_eq!(barrier.registered_waiters(), tasks.pending.len());
        }
        // A reset releases every task left, woken.
        barrier.reset();
        model.release(|_| Err(BrokenBarrierError::AbortOrReset));
        for (id, out) in tasks.poll_woken() {
            assert_eq!(Some(out), model.notified.remove(&id), "task {id} drained");
        }
        assert!(
            tasks.pending.is_empty(),
            "{} not woken",
            tasks.pending.len()
        );
        assert_eq!(barrier.registered_waiters(), 0);
        assert_eq!(barrier.n_waiting(), 0);
        tasks.started
    });
}
