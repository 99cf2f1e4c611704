//! Model test of the queues: random interleavings of put / get / their `_nowait` forms / parked
//! waiters that are polled or dropped (cancelled) / task_done / join / shutdown, checked step
//! by step against a model made of a `Vec` of items, the order's rule for which item leaves
//! next, and counters. `Queue`, `LifoQueue` and `PriorityQueue` each run it.
//!
//! The model is CPython's `Lib/asyncio/queues.py` (3.11, with 3.13's `shutdown`), stated
//! directly: items come out in the queue's order, exactly once; `get_nowait` succeeds exactly
//! when the queue holds an item and `put_nowait` exactly when it is not full, whatever woken
//! waiters are about to do; each item put wakes the first parked getter and each item taken
//! the first parked putter, which look again when polled and, overtaken, park again at the
//! back of the line; a woken waiter dropped before it looked passes the wake-up on when
//! there is something to take (room to use); a dropped `put` never inserts; `join` is
//! released exactly when the count of unfinished items reaches zero. Every waiter's wakes
//! are counted: it is woken exactly when the model says, never more.

mod common;

use asyncio_sync::{
    BaseQueue, Fifo, GetNowaitError, Lifo, Order, Priority, PutNowaitError, QueueGet, QueueJoin,
    QueuePut, QueueShutDown,
};
use common::Driven;
use proptest::prelude::*;
use std::task::Poll;

#[derive(Debug, Clone)]
enum Op {
    PutNowait,
    GetNowait,
    Put,
    Get,
    PollPut(usize),
    PollGet(usize),
    DropPut(usize),
    DropGet(usize),
    TaskDone,
    Join,
    PollJoin(usize),
    DropJoin(usize),
    Shutdown(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::PutNowait),
        4 => Just(Op::GetNowait),
        6 => Just(Op::Put),
        6 => Just(Op::Get),
        5 => any::<usize>().prop_map(Op::PollPut),
        5 => any::<usize>().prop_map(Op::PollGet),
        2 => any::<usize>().prop_map(Op::DropPut),
        2 => any::<usize>().prop_map(Op::DropGet),
        3 => Just(Op::TaskDone),
        2 => Just(Op::Join),
        2 => any::<usize>().prop_map(Op::PollJoin),
        1 => any::<usize>().prop_map(Op::DropJoin),
        1 => any::<bool>().prop_map(Op::Shutdown),
    ]
}

/// Where a parked waiter stands in the model.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Standing {
    /// In the line; the number orders the line (a waiter that parks again gets a new one).
    Queued(u64),
    /// Taken off the line and woken: it looks again when polled.
    Woken,
}

/// A parked waiter of the model: its future, where it stands, how often it must have been
/// woken by now.
struct Waiter<F> {
    future: F,
    standing: Standing,
    wakes: usize,
}

type GetFut<'a, O> = Driven<QueueGet<'a, u32, O>>;
type PutFut<'a, O> = Driven<QueuePut<'a, u32, O>>;
type JoinFut<'a, O> = Driven<QueueJoin<'a, u32, O>>;

/// Which item leaves the model first: the rule of each queue, stated on a plain `Vec` kept in
/// insertion order.
#[derive(Clone, Copy)]
enum Rule {
    Oldest,
    Newest,
    Smallest,
}

impl Rule {
    fn take(self, items: &mut Vec<u32>) -> Option<u32> {
        if items.is_empty() {
            return None;
        }
        let index = match self {
            Rule::Oldest => 0,
            Rule::Newest => items.len() - 1,
            Rule::Smallest => (0..items.len()).min_by_key(|&i| items[i]).unwrap(),
        };
        Some(items.remove(index))
    }
}

struct Model<'a, O: Order<u32>> {
    queue: &'a BaseQueue<u32, O>,
    rule: Rule,
    maxsize: usize,
    items: Vec<u32>,
    unfinished: usize,
    shutdown: bool,
    next_item: u32,
    next_seq: u64,
    getters: Vec<Waiter<GetFut<'a, O>>>,
    /// With the item each putter holds.
    putters: Vec<(Waiter<PutFut<'a, O>>, u32)>,
    joiners: Vec<(JoinFut<'a, O>, bool)>,
}

/// Wakes the waiter first in line, if any (CPython's `_wakeup_next`).
fn wake_first<'w, F: 'w>(waiters: impl Iterator<Item = &'w mut Waiter<F>>) {
    let first = waiters
        .filter_map(|w| match w.standing {
            Standing::Queued(seq) => Some((seq, w)),
            Standing::Woken => None,
        })
        .min_by_key(|(seq, _)| *seq);
    if let Some((_, waiter)) = first {
        waiter.standing = Standing::Woken;
        waiter.wakes += 1;
    }
}

impl<'a, O: Order<u32>> Model<'a, O> {
    fn take(&mut self) -> Option<u32> {
        self.rule.take(&mut self.items)
    }

    fn full(&self) -> bool {
        self.maxsize != 0 && self.items.len() >= self.maxsize
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn wake_first_getter(&mut self) {
        wake_first(self.getters.iter_mut());
    }

    fn wake_first_putter(&mut self) {
        wake_first(self.putters.iter_mut().map(|(w, _)| w));
    }

    /// An item leaves (`get_nowait`, or a `get` that found one): the first putter is woken.
    fn taken(&mut self) -> u32 {
        let item = self.take().expect("an item is there");
        self.wake_first_putter();
        item
    }

    fn item(&mut self) -> u32 {
        // Distinct values (an odd multiplier is a bijection of u32) in no particular order,
        // so that the three rules differ.
        self.next_item += 1;
        self.next_item.wrapping_mul(2_654_435_761)
    }

    /// An item enters (`put_nowait`, or a `put` that found room): the first getter is woken.
    fn inserted(&mut self, item: u32) {
        self.items.push(item);
        self.unfinished += 1;
        self.wake_first_getter();
    }

    fn release_joiners_if_done(&mut self) {
        if self.unfinished == 0 {
            self.joiners.iter_mut().for_each(|j| j.1 = true);
        }
    }

    fn apply(&mut self, op: Op) {
        let queue = self.queue;
        match op {
            Op::PutNowait => {
                let item = self.item();
                let result = queue.put_nowait(item);
                if self.shutdown {
                    assert!(
                        matches!(result, Err(PutNowaitError::ShutDown(QueueShutDown(i))) if i == item)
                    );
                } else if self.full() {
                    assert!(matches!(result, Err(PutNowaitError::Full(f)) if f.0 == item));
                } else {
                    assert_eq!(result, Ok(()), "not full: put_nowait succeeds");
                    self.inserted(item);
                }
            }
            Op::GetNowait => {
                let result = queue.get_nowait();
                if !self.items.is_empty() {
                    assert_eq!(result, Ok(self.taken()), "qsize() > 0: get_nowait succeeds");
                } else if self.shutdown {
                    assert!(matches!(result, Err(GetNowaitError::ShutDown(_))));
                } else {
                    assert!(matches!(result, Err(GetNowaitError::Empty(_))));
                }
            }
            Op::Put => {
                let item = self.item();
                let mut put = Driven::new(queue.put(item));
                let poll = put.poll();
                if self.shutdown {
                    assert!(matches!(poll, Poll::Ready(Err(QueueShutDown(i))) if i == item));
                } else if self.full() {
                    assert!(poll.is_pending());
                    let standing = Standing::Queued(self.seq());
                    let waiter = Waiter {
                        future: put,
                        standing,
                        wakes: 0,
                    };
                    self.putters.push((waiter, item));
                } else {
                    assert!(matches!(poll, Poll::Ready(Ok(()))));
                    self.inserted(item);
                }
            }
            Op::Get => {
                let mut get = Driven::new(queue.get());
                let poll = get.poll();
                if !self.items.is_empty() {
                    assert_eq!(poll, Poll::Ready(Ok(self.taken())));
                } else if self.shutdown {
                    assert_eq!(poll, Poll::Ready(Err(QueueShutDown(()))));
                } else {
                    assert!(poll.is_pending());
                    let standing = Standing::Queued(self.seq());
                    self.getters.push(Waiter {
                        future: get,
                        standing,
                        wakes: 0,
                    });
                }
            }
            Op::PollPut(i) if !self.putters.is_empty() => {
                let i = i % self.putters.len();
                let (putter, item) = &mut self.putters[i];
                let item = *item;
                if let Standing::Queued(_) = putter.standing {
                    putter.future.pending();
                    return;
                }
                // Woken: it looks again, as CPython's `while self.full():` loop.
                let poll = putter.future.poll();
                if self.shutdown {
                    assert_eq!(poll, Poll::Ready(Err(QueueShutDown(item))), "handed back");
                    self.putters.remove(i);
                } else if self.full() {
                    assert!(poll.is_pending(), "overtaken: it parks again");
                    self.putters[i].0.standing = Standing::Queued(self.seq());
                } else {
                    assert_eq!(poll, Poll::Ready(Ok(())));
                    self.putters.remove(i);
                    self.inserted(item);
                }
            }
            Op::PollGet(i) if !self.getters.is_empty() => {
                let i = i % self.getters.len();
                let getter = &mut self.getters[i];
                if let Standing::Queued(_) = getter.standing {
                    getter.future.pending();
                    return;
                }
                // Woken: it looks again, as CPython's `while self.empty():` loop.
                let poll = getter.future.poll();
                if !self.items.is_empty() {
                    assert_eq!(poll, Poll::Ready(Ok(self.taken())));
                    self.getters.remove(i);
                } else if self.shutdown {
                    assert_eq!(poll, Poll::Ready(Err(QueueShutDown(()))));
                    self.getters.remove(i);
                } else {
                    assert!(poll.is_pending(), "overtaken: it parks again");
                    self.getters[i].standing = Standing::Queued(self.seq());
                }
            }
            Op::DropPut(i) if !self.putters.is_empty() => {
                let (putter, _) = self.putters.remove(i % self.putters.len());
                if putter.standing == Standing::Woken && !self.full() {
                    self.wake_first_putter();
                }
            }
            Op::DropGet(i) if !self.getters.is_empty() => {
                let getter = self.getters.remove(i % self.getters.len());
                if getter.standing == Standing::Woken && !self.items.is_empty() {
                    self.wake_first_getter();
                }
            }
            Op::TaskDone => {
                let result = queue.task_done();
                if self.unfinished == 0 {
                    assert!(result.is_err());
                } else {
                    assert_eq!(result, Ok(()));
                    self.unfinished -= 1;
                    self.release_joiners_if_done();
                }
            }
            Op::Join => {
                let mut join = Driven::new(queue.join());
                let poll = join.poll();
                assert_eq!(poll.is_ready(), self.unfinished == 0);
                if poll.is_pending() {
                    self.joiners.push((join, false));
                }
            }
            Op::PollJoin(i) if !self.joiners.is_empty() => {
                let i = i % self.joiners.len();
                let (join, released) = &mut self.joiners[i];
                if *released {
                    assert!(join.woken(), "a released joiner was woken");
                    join.ready();
                    self.joiners.remove(i);
                } else {
                    join.pending();
                }
            }
            Op::DropJoin(i) if !self.joiners.is_empty() => {
                self.joiners.remove(i % self.joiners.len());
            }
            Op::Shutdown(immediate) => {
                queue.shutdown(immediate);
                self.shutdown = true;
                if immediate {
                    let dropped = self.items.len();
                    self.items.clear();
                    self.unfinished -= dropped.min(self.unfinished);
                    self.release_joiners_if_done();
                }
                // Every parked waiter is woken to look again.
                while self.getters.iter().any(|g| g.standing != Standing::Woken) {
                    self.wake_first_getter();
                }
                while self.putters.iter().any(|p| p.0.standing != Standing::Woken) {
                    self.wake_first_putter();
                }
            }
            // Polling or dropping a waiter when there is none.
            _ => {}
        }
    }

    fn check(&self) {
        assert_eq!(self.queue.qsize(), self.items.len());
        assert_eq!(self.queue.empty(), self.items.is_empty());
        assert_eq!(self.queue.full(), self.full());
        assert_eq!(self.queue.unfinished_tasks(), self.unfinished);
        assert_eq!(self.queue.is_shutdown(), self.shutdown);
        if self.maxsize > 0 {
            assert!(self.items.len() <= self.maxsize, "never above maxsize");
        }
        for getter in &self.getters {
            assert_eq!(
                getter.future.wakes(),
                getter.wakes,
                "a getter woken as the model says"
            );
        }
        for (putter, _) in &self.putters {
            assert_eq!(
                putter.future.wakes(),
                putter.wakes,
                "a putter woken as the model says"
            );
        }
    }
}

fn run<O: Order<u32>>(rule: Rule, maxsize: usize, ops: Vec<Op>) {
    let queue = BaseQueue::<u32, O>::new(maxsize);
    let mut model = Model {
        queue: &queue,
        maxsize,
        rule,
        items: Vec::new(),
        unfinished: 0,
        shutdown: false,
        next_item: 0,
        next_seq: 0,
        getters: Vec::new(),
        putters: Vec::new(),
        joiners: Vec::new(),
    };
    for op in ops {
        model.apply(op);
        model.check();
    }
    // Cancel every waiter: no item may be lost or appear from a dropped put.
    model.getters.clear();
    model.putters.clear();
    model.joiners.clear();
    let remaining: Vec<u32> = std::iter::from_fn(|| queue.get_nowait().ok()).collect();
    let expected: Vec<u32> = std::iter::from_fn(|| model.take()).collect();
    assert_eq!(remaining, expected);
}

/// Cases per model and their length: Miri runs each case some thousand times slower, so
/// it checks a few short ones.
const CASES: u32 = if cfg!(miri) { 1 } else { 256 };
const MAX_OPS: usize = if cfg!(miri) { 16 } else { 80 };

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn queue_matches_its_model(maxsize in 0usize..4, ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run::<Fifo<u32>>(Rule::Oldest, maxsize, ops);
    }

    #[test]
    fn lifo_queue_matches_its_model(maxsize in 0usize..4, ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run::<Lifo<u32>>(Rule::Newest, maxsize, ops);
    }

    #[test]
    fn priority_queue_matches_its_model(maxsize in 0usize..4, ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        run::<Priority<u32>>(Rule::Smallest, maxsize, ops);
    }
}

#[test]
fn model_covers_a_known_tricky_interleaving() {
    // Two parked getters, one item: the first is woken, is dropped, the second is woken.
    run::<Fifo<u32>>(
        Rule::Oldest,
        1,
        vec![
            Op::Get,
            Op::Get,
            Op::PutNowait,
            Op::Put,
            Op::DropGet(0),
            Op::PollGet(0),
            Op::PollPut(0),
            Op::Shutdown(true),
            Op::TaskDone,
            Op::Join,
        ],
    );
}

#[test]
fn model_covers_nowait_overtaking_woken_waiters() {
    // A woken getter overtaken by get_nowait parks again behind a later getter; a woken
    // putter overtaken by put_nowait likewise (the trace of the facade's
    // tests/python/queue_nowait.py, without a loop).
    run::<Fifo<u32>>(
        Rule::Oldest,
        1,
        vec![
            Op::Get,
            Op::PutNowait,
            Op::GetNowait,
            Op::Get,
            Op::PollGet(0),
            Op::PutNowait,
            Op::PollGet(0),
            Op::PollGet(0),
            Op::PutNowait,
            Op::Put,
            Op::Put,
            Op::GetNowait,
            Op::PutNowait,
            Op::PollPut(0),
            Op::GetNowait,
            Op::PollPut(1),
            Op::PollPut(0),
        ],
    );
}
