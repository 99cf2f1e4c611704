//! Model test of the queues: random interleavings of put / get / their `_nowait` forms / parked
//! waiters that are polled or dropped (cancelled) / task_done / join / shutdown, checked step
//! by step against a model made of a `Vec` of items, the order's rule for which item leaves
//! next, and counters. `Queue`, `LifoQueue` and `PriorityQueue` each run it.
//!
//! The model states the contract directly: items come out in the queue's order, exactly
//! once; parked waiters are served first come, first served (the first `k` parked getters are
//! the ones entitled to the `k` oldest items, and likewise for putters and room); a waiter
//! entitled to proceed has been woken; a dropped `put` never inserts; `join` is released
//! exactly when the count of unfinished items reaches zero.

mod common;

use asyncio_sync::{
    BaseQueue, Fifo, Get, GetNowaitError, Join, Lifo, Order, Priority, Put, PutNowaitError,
    QueueShutDown,
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
    /// Waiting for an item (or room).
    Queued,
    /// Entitled to an item (or room): it must have been woken.
    Entitled,
    /// The queue shut down while it was queued.
    ShutOut,
}

type GetFut<'a, O> = Driven<Get<'a, u32, O>>;
type PutFut<'a, O> = Driven<Put<'a, u32, O>>;
type JoinFut<'a, O> = Driven<Join<'a, u32, O>>;

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
    getters: Vec<(GetFut<'a, O>, Standing)>,
    putters: Vec<(PutFut<'a, O>, Standing, u32)>,
    joiners: Vec<(JoinFut<'a, O>, bool)>,
}

impl<'a, O: Order<u32>> Model<'a, O> {
    fn take(&mut self) -> Option<u32> {
        self.rule.take(&mut self.items)
    }

    fn entitled_getters(&self) -> usize {
        self.getters
            .iter()
            .filter(|g| g.1 == Standing::Entitled)
            .count()
    }

    fn entitled_putters(&self) -> usize {
        self.putters
            .iter()
            .filter(|p| p.1 == Standing::Entitled)
            .count()
    }

    fn has_room(&self) -> bool {
        self.maxsize == 0 || self.items.len() + self.entitled_putters() < self.maxsize
    }

    fn free_item(&self) -> bool {
        self.items.len() > self.entitled_getters()
    }

    /// First come, first served: hands free items and room to the earliest queued waiters.
    fn settle(&mut self) {
        while self.free_item() {
            let Some(g) = self.getters.iter_mut().find(|g| g.1 == Standing::Queued) else {
                break;
            };
            g.1 = Standing::Entitled;
        }
        while !self.shutdown && self.has_room() {
            let Some(p) = self.putters.iter_mut().find(|p| p.1 == Standing::Queued) else {
                break;
            };
            p.1 = Standing::Entitled;
        }
    }

    fn item(&mut self) -> u32 {
        // Distinct values (an odd multiplier is a bijection of u32) in no particular order,
        // so that the three rules differ.
        self.next_item += 1;
        self.next_item.wrapping_mul(2_654_435_761)
    }

    fn inserted(&mut self, item: u32) {
        self.items.push(item);
        self.unfinished += 1;
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
                } else if self.has_room() {
                    assert_eq!(result, Ok(()));
                    self.inserted(item);
                } else {
                    assert!(matches!(result, Err(PutNowaitError::Full(f)) if f.0 == item));
                }
            }
            Op::GetNowait => {
                let result = queue.get_nowait();
                if self.free_item() {
                    assert_eq!(result, Ok(self.take().unwrap()));
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
                } else if self.has_room() {
                    assert!(matches!(poll, Poll::Ready(Ok(()))));
                    self.inserted(item);
                } else {
                    assert!(poll.is_pending());
                    self.putters.push((put, Standing::Queued, item));
                }
            }
            Op::Get => {
                let mut get = Driven::new(queue.get());
                let poll = get.poll();
                if self.free_item() {
                    assert_eq!(poll, Poll::Ready(Ok(self.take().unwrap())));
                } else if self.shutdown {
                    assert_eq!(poll, Poll::Ready(Err(QueueShutDown(()))));
                } else {
                    assert!(poll.is_pending());
                    self.getters.push((get, Standing::Queued));
                }
            }
            Op::PollPut(i) if !self.putters.is_empty() => {
                let i = i % self.putters.len();
                let (put, standing, item) = &mut self.putters[i];
                let (standing, item) = (*standing, *item);
                if standing == Standing::Queued {
                    put.pending();
                    return;
                }
                assert!(put.woken(), "a putter entitled to proceed was woken");
                let result = put.ready();
                self.putters.remove(i);
                if standing == Standing::Entitled && !self.shutdown {
                    assert_eq!(result, Ok(()));
                    self.inserted(item);
                } else {
                    assert_eq!(result, Err(QueueShutDown(item)), "the item is handed back");
                }
            }
            Op::PollGet(i) if !self.getters.is_empty() => {
                let i = i % self.getters.len();
                let (get, standing) = &mut self.getters[i];
                let standing = *standing;
                if standing == Standing::Queued {
                    get.pending();
                    return;
                }
                assert!(get.woken(), "a getter entitled to proceed was woken");
                let result = get.ready();
                self.getters.remove(i);
                if standing == Standing::ShutOut {
                    assert_eq!(result, Err(QueueShutDown(())));
                } else if let Some(item) = self.take() {
                    assert_eq!(result, Ok(item));
                } else {
                    // Only an immediate shutdown empties the queue under a promise.
                    assert!(self.shutdown);
                    assert_eq!(result, Err(QueueShutDown(())));
                }
            }
            Op::DropPut(i) if !self.putters.is_empty() => {
                self.putters.remove(i % self.putters.len());
            }
            Op::DropGet(i) if !self.getters.is_empty() => {
                self.getters.remove(i % self.getters.len());
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
                for g in &mut self.getters {
                    if g.1 == Standing::Queued {
                        g.1 = Standing::ShutOut;
                    }
                }
                for p in &mut self.putters {
                    if p.1 == Standing::Queued {
                        p.1 = Standing::ShutOut;
                    }
                }
            }
            // Polling or dropping a waiter when there is none.
            _ => {}
        }
    }

    fn check(&self) {
        assert_eq!(self.queue.qsize(), self.items.len());
        assert_eq!(self.queue.unfinished_tasks(), self.unfinished);
        assert_eq!(self.queue.is_shutdown(), self.shutdown);
        if self.maxsize > 0 {
            assert!(self.items.len() <= self.maxsize, "never above maxsize");
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
        getters: Vec::new(),
        putters: Vec::new(),
        joiners: Vec::new(),
    };
    for op in ops {
        model.apply(op);
        model.settle();
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn queue_matches_its_model(maxsize in 0usize..4, ops in proptest::collection::vec(op(), 1..80)) {
        run::<Fifo<u32>>(Rule::Oldest, maxsize, ops);
    }

    #[test]
    fn lifo_queue_matches_its_model(maxsize in 0usize..4, ops in proptest::collection::vec(op(), 1..80)) {
        run::<Lifo<u32>>(Rule::Newest, maxsize, ops);
    }

    #[test]
    fn priority_queue_matches_its_model(maxsize in 0usize..4, ops in proptest::collection::vec(op(), 1..80)) {
        run::<Priority<u32>>(Rule::Smallest, maxsize, ops);
    }
}

#[test]
fn model_covers_a_known_tricky_interleaving() {
    // Two parked getters, one item: the first is entitled, is dropped, the second inherits.
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
