//! Group `timer`: `asyncio-timer`'s wheel against the two standard timer queues, a
//! `BinaryHeap` (cancel by lazy deletion: mark the id, skip it when it surfaces) and a
//! `BTreeMap` keyed by `(deadline, seq)` (cancel by removing the key).
//!
//! Every case first fills the structure with N live timers (1,000 or 1,000,000, random
//! deadlines) outside the timed part, then times a run of operations that keeps about N live:
//! - `insert_cancel_*`: insert a timer, then cancel a random live one (most timeouts never
//!   fire). One op = one insert + one cancel.
//! - `insert_fire_*`: time moves one tick per step; each step inserts a few timers a random
//!   distance ahead and fires everything due. One op = one timer inserted and fired.
//!
//! Deadlines are ticks (`u64`) for every implementation; `asyncio-timer-instant` also pays the
//! `Instant`-to-tick conversion an event loop pays.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::time::{Duration, Instant};

use asyncio_timer::{TimerKey, Wheel};

use crate::harness::{Bench, time};

/// Timers inserted per tick in the `insert_fire` cases.
const PER_TICK: u64 = 16;

/// Runs the group.
pub fn run(bench: &Bench) {
    // A smoke run keeps the case names but shrinks the "million" so it takes milliseconds.
    let million = if bench.quick() { 10_000 } else { 1_000_000 };
    for (name, live) in [("1k", 1_000), ("1m", million)] {
        let ops = bench.size(1_000_000, 10_000);
        insert_cancel(bench, name, live, ops);
        insert_fire(bench, name, live, ops);
    }
}

/// A fixed-seed xorshift64: the same workload for every implementation and run.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        Rng(0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform enough in `1..=bound` for a benchmark.
    fn ahead(&mut self, bound: u64) -> u64 {
        1 + self.next() % bound
    }

    fn index(&mut self, len: usize) -> usize {
        (self.next() % len as u64) as usize
    }
}

/// Deadlines up to about 17 minutes ahead at 1 ms ticks: spread over every level but the top.
const CANCEL_SPREAD: u64 = 1 << 20;

fn insert_cancel(bench: &Bench, name: &str, live: usize, ops: usize) {
    let case = format!("insert_cancel_{name}");

    bench.ns_per_op(&case, "asyncio-timer", ops, || {
        let mut rng = Rng::new();
        let mut wheel = Wheel::new(Instant::now());
        let mut keys: Vec<TimerKey> = (0..live)
            .map(|n| wheel.insert_at_tick(rng.ahead(CANCEL_SPREAD), n))
            .collect();
        time(|| {
            for n in 0..ops {
                let key = wheel.insert_at_tick(rng.ahead(CANCEL_SPREAD), n);
                let victim = rng.index(keys.len());
                let old = std::mem::replace(&mut keys[victim], key);
                assert!(wheel.cancel(old).is_some());
            }
        })
    });

    bench.ns_per_op(&case, "asyncio-timer-instant", ops, || {
        let mut rng = Rng::new();
        let start = Instant::now();
        let mut wheel = Wheel::new(start);
        let at = |ticks: u64| start + Duration::from_micros(ticks * 1_000 + 500);
        let mut keys: Vec<TimerKey> = (0..live)
            .map(|n| wheel.insert(at(rng.ahead(CANCEL_SPREAD)), n))
            .collect();
        time(|| {
            for n in 0..ops {
                let key = wheel.insert(at(rng.ahead(CANCEL_SPREAD)), n);
                let victim = rng.index(keys.len());
                let old = std::mem::replace(&mut keys[victim], key);
                assert!(wheel.cancel(old).is_some());
            }
        })
    });

    bench.ns_per_op(&case, "binaryheap", ops, || {
        let mut rng = Rng::new();
        let mut heap = BinaryHeap::new();
        // Lazy deletion: a cancelled flag per timer id, checked when the timer surfaces.
        let mut cancelled: Vec<bool> = Vec::with_capacity(live + ops);
        let mut ids: Vec<usize> = Vec::with_capacity(live);
        for id in 0..live {
            heap.push(Reverse((rng.ahead(CANCEL_SPREAD), id)));
            cancelled.push(false);
            ids.push(id);
        }
        time(|| {
            for _ in 0..ops {
                let id = cancelled.len();
                heap.push(Reverse((rng.ahead(CANCEL_SPREAD), id)));
                cancelled.push(false);
                let victim = rng.index(ids.len());
                let old = std::mem::replace(&mut ids[victim], id);
                cancelled[old] = true;
            }
        })
    });

    bench.ns_per_op(&case, "btreemap", ops, || {
        let mut rng = Rng::new();
        let mut map = BTreeMap::new();
        let mut keys: Vec<(u64, usize)> = (0..live)
            .map(|seq| {
                let key = (rng.ahead(CANCEL_SPREAD), seq);
                map.insert(key, seq);
                key
            })
            .collect();
        time(|| {
            for n in 0..ops {
                let key = (rng.ahead(CANCEL_SPREAD), live + n);
                map.insert(key, n);
                let victim = rng.index(keys.len());
                let old = std::mem::replace(&mut keys[victim], key);
                assert!(map.remove(&old).is_some());
            }
        })
    });
}

fn insert_fire(bench: &Bench, name: &str, live: usize, ops: usize) {
    let case = format!("insert_fire_{name}");
    // With PER_TICK arrivals per tick living `spread / 2` ticks on average, `live` stay live.
    let spread = (2 * live as u64 / PER_TICK).max(1);
    let ticks = (ops as u64).div_ceil(PER_TICK);

    bench.ns_per_op(&case, "asyncio-timer", ops, || {
        let mut rng = Rng::new();
        let mut wheel = Wheel::new(Instant::now());
        for n in 0..live as u64 {
            wheel.insert_at_tick(rng.ahead(spread), n);
        }
        let mut fired = 0u64;
        let took = time(|| {
            for now in 1..=ticks {
                for n in 0..PER_TICK {
                    wheel.insert_at_tick(now + rng.ahead(spread), n);
                }
                for (_, value) in wheel.advance_to_tick(now) {
                    fired += value & 1;
                }
            }
        });
        std::hint::black_box(fired);
        took
    });

    bench.ns_per_op(&case, "binaryheap", ops, || {
        let mut rng = Rng::new();
        let mut heap = BinaryHeap::new();
        let mut seq = 0u64;
        for _ in 0..live {
            heap.push(Reverse((rng.ahead(spread), seq)));
            seq += 1;
        }
        let mut fired = 0u64;
        let took = time(|| {
            for now in 1..=ticks {
                for _ in 0..PER_TICK {
                    heap.push(Reverse((now + rng.ahead(spread), seq)));
                    seq += 1;
                }
                while heap
                    .peek()
                    .is_some_and(|Reverse((deadline, _))| *deadline <= now)
                {
                    let Reverse((_, id)) = heap.pop().expect("peeked");
                    fired += id & 1;
                }
            }
        });
        std::hint::black_box(fired);
        took
    });

    bench.ns_per_op(&case, "btreemap", ops, || {
        let mut rng = Rng::new();
        let mut map = BTreeMap::new();
        let mut seq = 0u64;
        for _ in 0..live {
            map.insert((rng.ahead(spread), seq), seq);
            seq += 1;
        }
        let mut fired = 0u64;
        let took = time(|| {
            for now in 1..=ticks {
                for _ in 0..PER_TICK {
                    map.insert((now + rng.ahead(spread), seq), seq);
                    seq += 1;
                }
                while let Some(entry) = map.first_entry() {
                    if entry.key().0 > now {
                        break;
                    }
                    fired += entry.remove() & 1;
                }
            }
        });
        std::hint::black_box(fired);
        took
    });
}
