//! Group `timer`: `asyncio-timer`'s wheel against the two standard timer queues, a
//! `BinaryHeap` with lazy deletion (cancel marks the timer; it is dropped when it surfaces, and
//! the heap is rebuilt without the cancelled ones once they are half of it, as CPython's
//! asyncio does) and a `BTreeMap` keyed by `(deadline, seq)` (cancel removes the key).
//!
//! Every case fills the structure with N live timers (1,000 or 1,000,000, random deadlines up
//! to ~17 minutes of 1 ms ticks) outside the timed part, then times operations that keep N
//! live (the structure carries over from one timed run to the next):
//! - `insert_cancel_*`: the common case, a timeout armed and then cancelled because the
//!   operation finished first. Each op inserts a timer and cancels the one inserted 1,024 ops
//!   earlier.
//! - `insert_cancel_random_*`: each op inserts a timer and cancels a random live one. At 1M
//!   live timers this is bound by cache misses (the victim is anywhere in memory).
//! - `timeout_loop_*`: an event loop's view (see `timeout_loop`): one-duration timeouts
//!   cancelled oldest first, `next_deadline` and an empty fire every tick.
//! - `insert_fire_*`: time moves one tick per step; each step inserts 16 timers a random
//!   distance ahead and fires everything due. One op = one timer inserted (and, in the steady
//!   state, one fired).
//!
//! Each timed run is split into 20 chunks and reports the fastest chunk's rate (see
//! `fastest_chunk`): the machine is shared, and a chunk that was descheduled says nothing
//! about the structure.
//!
//! Deadlines are ticks (`u64`) for every implementation; `asyncio-timer-instant` drives the
//! same wheel through `Instant`s, paying the conversion an event loop pays.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

use asyncio_timer::{TimerKey, Wheel};

use crate::harness::{Bench, time};

/// Deadlines up to about 17 minutes ahead at 1 ms ticks: spread over every level but the top.
const SPREAD: u64 = 1 << 20;

/// How many ops a timeout lives before `insert_cancel` cancels it.
const WINDOW: usize = 1_024;

/// Timers inserted per tick in the `insert_fire` cases.
const PER_TICK: u64 = 16;

/// Runs `$workload(bench, case, implementation, queue, args..)` for every contender.
macro_rules! every_contender {
    ($workload:ident($bench:expr, $case:expr $(, $arg:expr)*)) => {
        $workload($bench, $case, "asyncio-timer", TickWheel::new() $(, $arg)*);
        $workload($bench, $case, "asyncio-timer-instant", InstantWheel::new() $(, $arg)*);
        $workload($bench, $case, "binaryheap", LazyHeap::default() $(, $arg)*);
        $workload($bench, $case, "btreemap", Tree::default() $(, $arg)*);
    };
}

/// Runs the group.
pub fn run(bench: &Bench) {
    // A smoke run keeps the case names but shrinks the "million" so it takes milliseconds.
    let million = if bench.quick() { 10_000 } else { 1_000_000 };
    for (name, live) in [("1k", 1_000), ("1m", million)] {
        let ops = bench.size(1_000_000, 10_000);
        // Random cancels in a million cost a cache miss or more each: fewer ops suffice.
        let random_ops = if live > 1_000 { ops / 5 } else { ops };
        let case = format!("insert_cancel_{name}");
        every_contender!(insert_cancel(bench, &case, live, ops));
        let case = format!("insert_cancel_random_{name}");
        every_contender!(insert_cancel_random(bench, &case, live, random_ops));
        let case = format!("insert_fire_{name}");
        every_contender!(insert_fire(bench, &case, live, ops));
        let case = format!("timeout_loop_{name}");
        every_contender!(timeout_loop(bench, &case, live, ops));
    }
}

/// Each op arms a timeout and cancels the one armed `WINDOW` ops before.
fn insert_cancel<Q: TimerQueue>(
    bench: &Bench,
    case: &str,
    implementation: &str,
    mut queue: Q,
    live: usize,
    ops: usize,
) {
    let mut rng = Rng::new();
    for _ in 0..live {
        queue.insert(rng.ahead(SPREAD));
    }
    let mut recent: VecDeque<Q::Handle> = (0..WINDOW)
        .map(|_| queue.insert(rng.ahead(SPREAD)))
        .collect();
    bench.ns_per_op(case, implementation, ops, || {
        fastest_chunk(ops, |n| {
            time(|| {
                for _ in 0..n {
                    recent.push_back(queue.insert(rng.ahead(SPREAD)));
                    let oldest = recent.pop_front().expect("the window is never empty");
                    queue.cancel(oldest);
                }
            })
        })
    });
}

/// Each op arms a timer and cancels a random live one.
fn insert_cancel_random<Q: TimerQueue>(
    bench: &Bench,
    case: &str,
    implementation: &str,
    mut queue: Q,
    live: usize,
    ops: usize,
) {
    let mut rng = Rng::new();
    let mut handles: Vec<Q::Handle> = (0..live).map(|_| queue.insert(rng.ahead(SPREAD))).collect();
    bench.ns_per_op(case, implementation, ops, || {
        fastest_chunk(ops, |n| {
            time(|| {
                for _ in 0..n {
                    let handle = queue.insert(rng.ahead(SPREAD));
                    let victim = rng.below(handles.len() as u64) as usize;
                    queue.cancel(std::mem::replace(&mut handles[victim], handle));
                }
            })
        })
    });
}

/// Each tick arms `PER_TICK` timers and fires what is due; `live` stay live on average.
fn insert_fire<Q: TimerQueue>(
    bench: &Bench,
    case: &str,
    implementation: &str,
    mut queue: Q,
    live: usize,
    ops: usize,
) {
    // PER_TICK arrivals per tick, living `spread / 2` ticks on average, keep `live` live.
    let spread = (2 * live as u64 / PER_TICK).max(1);
    let ticks = (ops as u64).div_ceil(PER_TICK);
    let mut rng = Rng::new();
    for _ in 0..live {
        queue.insert(rng.ahead(spread));
    }
    let mut now = 0;
    let mut fired = 0;
    let ops = (ticks * PER_TICK) as usize;
    bench.ns_per_op(case, implementation, ops, || {
        fastest_chunk(ticks as usize, |n| {
            time(|| {
                for _ in 0..n {
                    now += 1;
                    for _ in 0..PER_TICK {
                        queue.insert(now + rng.ahead(spread));
                    }
                    fired += queue.fire(now);
                }
            })
        })
    });
    assert!(fired > 0, "{case} {implementation}: nothing fired");
}

/// An event loop's view: timeouts of one duration, armed as time goes by and cancelled in
/// the order they were armed (requests finishing in order), before they fire. Each tick arms
/// and cancels `PER_TICK` and then does what a loop iteration does: ask for the next deadline
/// and fire what is due (nothing). One op = one timeout armed and cancelled, plus a sixteenth
/// of an iteration. The earliest timer is cancelled every tick, so the next deadline changes
/// every tick.
fn timeout_loop<Q: TimerQueue>(
    bench: &Bench,
    case: &str,
    implementation: &str,
    mut queue: Q,
    live: usize,
    ops: usize,
) {
    let lifetime = (live as u64 / PER_TICK).max(1);
    let timeout = 2 * lifetime;
    let mut armed = VecDeque::with_capacity(live + PER_TICK as usize);
    let mut now = 0;
    for _ in 0..lifetime {
        now += 1;
        for _ in 0..PER_TICK {
            armed.push_back(queue.insert(now + timeout));
        }
    }
    let ticks = (ops as u64).div_ceil(PER_TICK);
    let mut due = 0;
    bench.ns_per_op(case, implementation, (ticks * PER_TICK) as usize, || {
        fastest_chunk(ticks as usize, |n| {
            time(|| {
                for _ in 0..n {
                    now += 1;
                    for _ in 0..PER_TICK {
                        armed.push_back(queue.insert(now + timeout));
                        queue.cancel(armed.pop_front().expect("timeouts are armed"));
                    }
                    let next = queue.next_deadline().expect("timeouts are armed");
                    due += usize::from(next <= now) + queue.fire(now);
                }
            })
        })
    });
    assert_eq!(due, 0, "{case} {implementation}: a timeout fired");
}

/// How many timed chunks `fastest_chunk` splits a run into.
const CHUNKS: usize = 20;

/// Runs `units` units of work as `CHUNKS` separately timed chunks (`run(n)` does `n` units and
/// returns how long they took) and returns what `units` cost at the fastest chunk's rate.
///
/// The bench machine is shared: a chunk that lost the CPU to another process measures the
/// scheduler, not the structure. Every contender is measured this way, so ratios stay fair.
fn fastest_chunk(units: usize, mut run: impl FnMut(usize) -> Duration) -> Duration {
    let size = units.div_ceil(CHUNKS).max(1);
    let mut done = 0;
    let mut fastest = f64::MAX;
    while done < units {
        let n = size.min(units - done);
        fastest = fastest.min(run(n).as_secs_f64() / n as f64);
        done += n;
    }
    Duration::from_secs_f64(fastest * units as f64)
}

/// What the workloads need from a timer queue; one implementation per contender.
trait TimerQueue {
    /// What cancels a timer.
    type Handle: Copy;
    /// Arms a timer at tick `deadline`.
    fn insert(&mut self, deadline: u64) -> Self::Handle;
    /// Cancels a live timer.
    fn cancel(&mut self, handle: Self::Handle);
    /// Fires every timer due by tick `now`, returning how many fired.
    fn fire(&mut self, now: u64) -> usize;
    /// The earliest live deadline (what an event loop sleeps until).
    fn next_deadline(&mut self) -> Option<u64>;
}

/// The wheel, driven by raw ticks.
struct TickWheel(Wheel<u64>);

impl TickWheel {
    fn new() -> Self {
        TickWheel(Wheel::new(Instant::now()))
    }
}

impl TimerQueue for TickWheel {
    type Handle = TimerKey;

    fn insert(&mut self, deadline: u64) -> TimerKey {
        self.0.insert_at_tick(deadline, deadline)
    }

    fn cancel(&mut self, handle: TimerKey) {
        assert!(self.0.cancel(handle).is_some());
    }

    fn fire(&mut self, now: u64) -> usize {
        self.0.advance_to_tick(now).count()
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.0.next_deadline_tick()
    }
}

/// The wheel, driven by `Instant`s as an event loop drives it.
struct InstantWheel {
    wheel: Wheel<u64>,
    start: Instant,
}

impl InstantWheel {
    fn new() -> Self {
        let start = Instant::now();
        InstantWheel {
            wheel: Wheel::new(start),
            start,
        }
    }

    /// Half a tick past `tick`'s start, so every deadline rounds up.
    fn instant(&self, tick: u64) -> Instant {
        self.start + Duration::from_nanos(tick * 1_000_000 + 500_000)
    }
}

impl TimerQueue for InstantWheel {
    type Handle = TimerKey;

    fn insert(&mut self, deadline: u64) -> TimerKey {
        self.wheel.insert(self.instant(deadline), deadline)
    }

    fn cancel(&mut self, handle: TimerKey) {
        assert!(self.wheel.cancel(handle).is_some());
    }

    fn fire(&mut self, now: u64) -> usize {
        // Fire what the tick-driven wheel fires at `now`: deadlines rounded up to `now + 1`.
        let now = self.instant(now + 1);
        self.wheel.advance(now).count()
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.wheel.next_deadline().map(|at| self.wheel.tick_of(at))
    }
}

/// A binary min-heap with lazy deletion.
#[derive(Default)]
struct LazyHeap {
    heap: BinaryHeap<Reverse<(u64, usize)>>,
    /// Indexed by timer id.
    cancelled: Vec<bool>,
    /// Cancelled timers still in the heap.
    garbage: usize,
}

impl TimerQueue for LazyHeap {
    type Handle = usize;

    fn insert(&mut self, deadline: u64) -> usize {
        let id = self.cancelled.len();
        self.cancelled.push(false);
        self.heap.push(Reverse((deadline, id)));
        id
    }

    fn cancel(&mut self, id: usize) {
        assert!(!std::mem::replace(&mut self.cancelled[id], true));
        self.garbage += 1;
        if self.garbage * 2 > self.heap.len() {
            let cancelled = &self.cancelled;
            self.heap.retain(|Reverse((_, id))| !cancelled[*id]);
            self.garbage = 0;
        }
    }

    fn fire(&mut self, now: u64) -> usize {
        let mut fired = 0;
        while self
            .heap
            .peek()
            .is_some_and(|Reverse((deadline, _))| *deadline <= now)
        {
            let Reverse((_, id)) = self.heap.pop().expect("peeked");
            if self.cancelled[id] {
                self.garbage -= 1;
            } else {
                fired += 1;
            }
        }
        fired
    }

    fn next_deadline(&mut self) -> Option<u64> {
        // Cancelled timers on top are dropped first: the top must be a live one.
        while let Some(&Reverse((deadline, id))) = self.heap.peek() {
            if !self.cancelled[id] {
                return Some(deadline);
            }
            self.heap.pop();
            self.garbage -= 1;
        }
        None
    }
}

/// A `BTreeMap` keyed by `(deadline, seq)`.
#[derive(Default)]
struct Tree {
    map: BTreeMap<(u64, u64), u64>,
    seq: u64,
}

impl TimerQueue for Tree {
    type Handle = (u64, u64);

    fn insert(&mut self, deadline: u64) -> (u64, u64) {
        let key = (deadline, self.seq);
        self.seq += 1;
        self.map.insert(key, deadline);
        key
    }

    fn cancel(&mut self, key: (u64, u64)) {
        assert!(self.map.remove(&key).is_some());
    }

    fn fire(&mut self, now: u64) -> usize {
        let mut fired = 0;
        while let Some(entry) = self.map.first_entry() {
            if entry.key().0 > now {
                break;
            }
            entry.remove();
            fired += 1;
        }
        fired
    }

    fn next_deadline(&mut self) -> Option<u64> {
        self.map
            .first_key_value()
            .map(|(&(deadline, _), _)| deadline)
    }
}

/// A fixed-seed xorshift64: the same workload for every implementation.
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

    /// In `0..bound`, by multiply-high rather than a slow division.
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as u64
    }

    /// In `1..=bound`: a deadline at least one tick ahead.
    fn ahead(&mut self, bound: u64) -> u64 {
        1 + self.below(bound)
    }
}
