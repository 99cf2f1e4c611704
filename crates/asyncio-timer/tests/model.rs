//! The wheel against the simplest correct timer queue: a `BTreeMap` keyed by
//! `(deadline, insertion sequence)`. Random sequences of inserts (past, equal, near, far
//! beyond the wheel's range), cancels (live, fired, cancelled keys) and advances (small steps
//! and huge jumps) must give exactly the model's fired sequences, cancel results, `len` and
//! `next_deadline_tick` after every operation.

use std::collections::BTreeMap;
use std::time::Instant;

use asyncio_timer::{TimerKey, Wheel};
use proptest::prelude::*;

/// The reference: what fires, in what order.
struct Model {
    now: u64,
    seq: u64,
    timers: BTreeMap<(u64, u64), (TimerKey, u32)>,
}

impl Model {
    fn insert(&mut self, tick: u64, key: TimerKey, value: u32) {
        self.timers
            .insert((tick.max(self.now), self.seq), (key, value));
        self.seq += 1;
    }

    fn cancel(&mut self, key: TimerKey) -> Option<u32> {
        let slot = *self.timers.iter().find(|(_, (k, _))| *k == key)?.0;
        self.timers.remove(&slot).map(|(_, v)| v)
    }

    /// Advances to `now` and pops at most `limit` due timers.
    fn advance(&mut self, now: u64, limit: usize) -> Vec<(TimerKey, u32)> {
        self.now = self.now.max(now);
        let mut fired = Vec::new();
        while let Some(entry) = self.timers.first_entry() {
            if entry.key().0 > self.now || fired.len() == limit {
                break;
            }
            fired.push(entry.remove());
        }
        fired
    }

    fn next_deadline(&self) -> Option<u64> {
        self.timers.keys().next().map(|&(deadline, _)| deadline)
    }
}

#[derive(Clone, Debug)]
enum Op {
    /// Insert at `now + offset` (offset may be negative: a past deadline).
    InsertRelative(i64),
    /// Insert at an absolute tick (anything, including far beyond the top level).
    InsertAbsolute(u64),
    /// Cancel the n-th key ever handed out (live, fired or cancelled).
    Cancel(usize),
    /// Advance by this many ticks (may be 0, may be huge).
    Advance(u64),
    /// Advance to an absolute tick (possibly in the past: time never goes back).
    AdvanceTo(u64),
    /// Drain only the first n expired timers, then drop the iterator.
    PartialAdvance(u64, usize),
}

fn op() -> impl Strategy<Value = Op> {
    let offset = prop_oneof![
        4 => -100i64..200,
        2 => 0i64..5_000,
        1 => 0i64..300_000,
        1 => 0i64..(1 << 38),
        1 => Just(0i64),
    ];
    let step = prop_oneof![
        4 => 0u64..100,
        2 => 0u64..5_000,
        1 => 0u64..(1 << 20),
        1 => 0u64..(1 << 40),
    ];
    prop_oneof![
        6 => offset.prop_map(Op::InsertRelative),
        1 => prop_oneof![0u64..1_000, Just(u64::MAX), (1u64 << 36)..(1 << 50), any::<u64>()]
            .prop_map(Op::InsertAbsolute),
        3 => any::<usize>().prop_map(Op::Cancel),
        3 => step.clone().prop_map(Op::Advance),
        1 => prop_oneof![0u64..10_000, any::<u64>()].prop_map(Op::AdvanceTo),
        1 => (step, 0usize..4).prop_map(|(s, n)| Op::PartialAdvance(s, n)),
    ]
}

fn check(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut wheel = Wheel::new(Instant::now());
    let mut model = Model {
        now: 0,
        seq: 0,
        timers: BTreeMap::new(),
    };
    let mut keys: Vec<TimerKey> = Vec::new();
    let mut value = 0u32;
    for op in ops {
        match op {
            Op::InsertRelative(offset) => {
                let tick = model.now.saturating_add_signed(offset);
                let key = wheel.insert_at_tick(tick, value);
                model.insert(tick, key, value);
                keys.push(key);
                value += 1;
            }
            Op::InsertAbsolute(tick) => {
                let key = wheel.insert_at_tick(tick, value);
                model.insert(tick, key, value);
                keys.push(key);
                value += 1;
            }
            Op::Cancel(n) => {
                if keys.is_empty() {
                    continue;
                }
                let key = keys[n % keys.len()];
                prop_assert_eq!(wheel.cancel(key), model.cancel(key), "cancel {:?}", key);
            }
            Op::Advance(step) => {
                let now = model.now.saturating_add(step);
                let fired: Vec<_> = wheel.advance_to_tick(now).collect();
                prop_assert_eq!(fired, model.advance(now, usize::MAX), "advance to {}", now);
            }
            Op::AdvanceTo(now) => {
                let fired: Vec<_> = wheel.advance_to_tick(now).collect();
                prop_assert_eq!(fired, model.advance(now, usize::MAX), "advance to {}", now);
            }
            Op::PartialAdvance(step, n) => {
                // The timers the iterator does not reach stay due, with their deadlines.
                let now = model.now.saturating_add(step);
                let fired: Vec<_> = wheel.advance_to_tick(now).take(n).collect();
                prop_assert_eq!(fired, model.advance(now, n), "partial advance to {}", now);
            }
        }
        prop_assert_eq!(wheel.len(), model.timers.len());
        prop_assert_eq!(wheel.is_empty(), model.timers.is_empty());
        prop_assert_eq!(wheel.next_deadline_tick(), model.next_deadline());
    }
    // Whatever is left fires, in order, when time runs out.
    let fired: Vec<_> = wheel.advance_to_tick(u64::MAX).collect();
    prop_assert_eq!(fired, model.advance(u64::MAX, usize::MAX));
    prop_assert!(wheel.is_empty());
    Ok(())
}

/// Cases and their length: Miri runs each case some thousand times slower, so it checks
/// a few short ones.
const CASES: u32 = if cfg!(miri) { 2 } else { 512 };
const MAX_OPS: usize = if cfg!(miri) { 24 } else { 200 };

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn wheel_matches_btreemap_model(ops in proptest::collection::vec(op(), 1..MAX_OPS)) {
        check(ops)?;
    }
}
