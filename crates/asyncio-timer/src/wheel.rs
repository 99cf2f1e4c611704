//! The wheel: files timers in the slots of six 64-slot levels (plus an overflow list),
//! cascades a higher-level slot down when the wheel reaches it, and hands out expired timers
//! in deadline order.
//!
//! Two positions matter. `now` is the latest tick the caller has advanced to: time never goes
//! backwards, and a deadline before `now` is filed at `now`. `elapsed <= now` is where the
//! levels are measured from; every live deadline is `>= elapsed`, and the wheel moves
//! `elapsed` forward only to points where no live timer lies before it.
//!
//! Ordering: every list is kept in insertion order. A direct insert appends; a cascade
//! appends a slot's entries, in order, to lower levels that are empty at that moment (they
//! hold nothing earlier than the slot being cascaded). So a level-0 slot, whose timers share
//! one deadline, yields them in the order they were inserted, with no sequence numbers and
//! no sorting.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

use crate::clock::Clock;
use crate::error::WheelError;
use crate::expired::Expired;
use crate::key::TimerKey;
use crate::level::{LEVELS, LISTS, OVERFLOW, SLOTS, level_for, same_block, slot_for, slot_start};
use crate::slab::{List, Slab};

/// A hierarchical timer wheel holding values of type `T` until their deadlines.
///
/// Deadlines are ticks of a fixed resolution (1 ms by default) counted from the wheel's start
/// [`Instant`]; use the `Instant` methods ([`insert`](Wheel::insert),
/// [`poll_expired`](Wheel::poll_expired), ...) or the raw tick ones (`*_tick`), which an
/// event loop, a simulation or a test can drive without a clock.
///
/// Costs: [`insert`](Wheel::insert) and [`cancel`](Wheel::cancel) are O(1) and allocate
/// nothing once the wheel has held its peak number of timers. Advancing costs
/// O(expired + levels) plus, amortized, one move per level a timer passes through (at most
/// six). [`next_deadline`](Wheel::next_deadline) is exact and O(levels) when the earliest
/// timer is within the current 64-tick window, or when the coarser slot holding it received
/// its timers in deadline order (timeouts of one duration armed as time goes by do); otherwise
/// it walks that one slot. Either way the answer is cached until the earliest timer leaves.
///
/// Time never goes backwards: a `now` earlier than one given before is treated as the
/// earlier call's `now`. A deadline that is already past is due at once: it fires at the next
/// advance, after the timers already due at that point.
///
/// `Wheel<T>` is `Send` when `T` is (it is not `Sync`: it caches its next deadline in a
/// `Cell`; share it behind a `Mutex` if you must).
///
/// ```
/// use std::time::{Duration, Instant};
/// use asyncio_timer::Wheel;
///
/// let start = Instant::now();
/// let mut wheel = Wheel::new(start);
/// let _late = wheel.insert(start + Duration::from_millis(30), "late");
/// let timeout = wheel.insert(start + Duration::from_millis(20), "timeout");
/// let _early = wheel.insert(start + Duration::from_millis(10), "early");
///
/// // Most timeouts never fire: cancelling is O(1).
/// assert_eq!(wheel.cancel(timeout), Some("timeout"));
///
/// assert_eq!(wheel.next_deadline(), Some(start + Duration::from_millis(10)));
/// let fired: Vec<&str> = wheel
///     .advance(start + Duration::from_millis(50))
///     .map(|(_key, value)| value)
///     .collect();
/// assert_eq!(fired, ["early", "late"]);
/// assert!(wheel.is_empty());
/// ```
pub struct Wheel<T> {
    clock: Clock,
    slab: Slab<T>,
    /// Every slot list (`level * SLOTS + slot`), then the overflow list.
    lists: Box<[List]>,
    /// One bit per non-empty slot, per level.
    occupied: [u64; LEVELS],
    /// Where levels are measured from (see the module docs).
    elapsed: u64,
    /// The latest tick the caller advanced to.
    now: u64,
    /// The earliest live deadline, when known: `None` means "recompute", `Some(None)` "no
    /// timers". Kept up to date by `insert`; forgotten when the earliest timer leaves.
    next: Cell<Option<Option<u64>>>,
}

impl<T> Wheel<T> {
    /// An empty wheel counting 1 ms ticks from `start`.
    pub fn new(start: Instant) -> Self {
        Self::with_resolution(start, Duration::from_millis(1))
    }

    /// An empty wheel counting `resolution`-long ticks from `start`.
    ///
    /// # Panics
    /// If `resolution` is zero; [`try_with_resolution`](Wheel::try_with_resolution) returns
    /// an error instead.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use asyncio_timer::Wheel;
    ///
    /// let wheel: Wheel<()> = Wheel::with_resolution(Instant::now(), Duration::from_micros(100));
    /// assert_eq!(wheel.resolution(), Duration::from_micros(100));
    /// ```
    pub fn with_resolution(start: Instant, resolution: Duration) -> Self {
        match Self::try_with_resolution(start, resolution) {
            Ok(wheel) => wheel,
            Err(error) => panic!("{error}"),
        }
    }

    /// An empty wheel counting `resolution`-long ticks from `start`, or
    /// [`WheelError::ZeroResolution`] if `resolution` is zero.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use asyncio_timer::{Wheel, WheelError};
    ///
    /// let zero = Wheel::<()>::try_with_resolution(Instant::now(), Duration::ZERO);
    /// assert_eq!(zero.unwrap_err(), WheelError::ZeroResolution(Duration::ZERO));
    /// ```
    pub fn try_with_resolution(start: Instant, resolution: Duration) -> Result<Self, WheelError> {
        Ok(Wheel {
            clock: Clock::new(start, resolution)?,
            slab: Slab::new(),
            lists: vec![List::EMPTY; LISTS].into_boxed_slice(),
            occupied: [0; LEVELS],
            elapsed: 0,
            now: 0,
            next: Cell::new(Some(None)),
        })
    }

    /// The instant tick 0 starts at.
    pub fn start(&self) -> Instant {
        self.clock.start()
    }

    /// How long one tick lasts.
    pub fn resolution(&self) -> Duration {
        self.clock.resolution()
    }

    /// The tick `instant` falls in, rounded down (what "now" is, in ticks). Instants before
    /// [`start`](Wheel::start) are tick 0; ticks saturate at `u64::MAX`.
    pub fn tick_of(&self, instant: Instant) -> u64 {
        self.clock.tick_of(instant)
    }

    /// The first tick at or after `instant`, rounded up (where a deadline is filed, so a
    /// timer never fires before its deadline).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use asyncio_timer::Wheel;
    ///
    /// let start = Instant::now();
    /// let wheel: Wheel<()> = Wheel::new(start);
    /// let t = start + Duration::from_micros(1500);
    /// assert_eq!((wheel.tick_of(t), wheel.tick_of_deadline(t)), (1, 2));
    /// ```
    pub fn tick_of_deadline(&self, instant: Instant) -> u64 {
        self.clock.tick_of_deadline(instant)
    }

    /// The instant tick `tick` starts at (saturating at the latest instant the platform can
    /// represent).
    pub fn instant_of(&self, tick: u64) -> Instant {
        self.clock.instant_of(tick)
    }

    /// The latest tick the wheel has been advanced to (0 for a new wheel).
    pub fn now_tick(&self) -> u64 {
        self.now
    }

    /// Live timers.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Whether no timer is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a timer that fires at `deadline`, rounded up to the next tick boundary, and
    /// returns the key that cancels it. A deadline already past fires at the next advance.
    pub fn insert(&mut self, deadline: Instant, value: T) -> TimerKey {
        let tick = self.clock.tick_of_deadline(deadline);
        self.insert_at_tick(tick, value)
    }

    /// Adds a timer that fires at tick `tick` and returns the key that cancels it. A tick
    /// before [`now_tick`](Wheel::now_tick) is filed at `now_tick`: it fires at the next
    /// advance.
    ///
    /// ```
    /// use std::time::Instant;
    /// use asyncio_timer::Wheel;
    ///
    /// let mut wheel = Wheel::new(Instant::now());
    /// wheel.insert_at_tick(5, 'b');
    /// wheel.insert_at_tick(5, 'c'); // equal deadlines fire in insertion order
    /// wheel.insert_at_tick(1, 'a');
    /// assert_eq!(wheel.next_deadline_tick(), Some(1));
    /// let fired: String = wheel.advance_to_tick(5).map(|(_, v)| v).collect();
    /// assert_eq!(fired, "abc");
    /// ```
    pub fn insert_at_tick(&mut self, tick: u64, value: T) -> TimerKey {
        let deadline = tick.max(self.now);
        let (index, key) = self.slab.insert(deadline, value);
        self.file(index);
        if let Some(known) = self.next.get() {
            let earliest = known.map_or(deadline, |next| next.min(deadline));
            self.next.set(Some(Some(earliest)));
        }
        key
    }

    /// Removes the timer `key` names and returns its value, or `None` if the key is stale
    /// (the timer already fired or was cancelled, or the wheel was cleared). A stale key never
    /// touches a newer timer that reuses its slot.
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let index = self.slab.find(key)?;
        let deadline = self.slab.entry(index).deadline;
        self.unfile(index);
        if self.next.get() == Some(Some(deadline)) {
            self.next.set(None);
        }
        Some(self.slab.remove(index).1)
    }

    /// Whether `key` names a live timer.
    pub fn contains(&self, key: TimerKey) -> bool {
        self.slab.find(key).is_some()
    }

    /// The value of the live timer `key`, to change in place, or `None` if the key is stale.
    /// The timer keeps its deadline and its place among equal deadlines: an event loop
    /// re-points a sleep's wake-up at another task this way, without a cancel and an insert.
    ///
    /// ```
    /// use std::time::Instant;
    /// use asyncio_timer::Wheel;
    ///
    /// let mut wheel = Wheel::new(Instant::now());
    /// let first = wheel.insert_at_tick(5, "a");
    /// wheel.insert_at_tick(5, "b");
    /// *wheel.get_mut(first).unwrap() = "c";
    /// let fired: Vec<_> = wheel.advance_to_tick(5).map(|(_, v)| v).collect();
    /// assert_eq!(fired, ["c", "b"]);
    /// assert_eq!(wheel.get_mut(first), None);
    /// ```
    pub fn get_mut(&mut self, key: TimerKey) -> Option<&mut T> {
        let index = self.slab.find(key)?;
        Some(self.slab.value_mut(index))
    }

    /// The tick the live timer `key` fires at (after rounding and clamping), or `None` if the
    /// key is stale.
    pub fn deadline_tick(&self, key: TimerKey) -> Option<u64> {
        self.slab
            .find(key)
            .map(|index| self.slab.entry(index).deadline)
    }

    /// Advances to `now` and removes the earliest timer due by then, if any: one at a time,
    /// in deadline order, equal deadlines in insertion order. Call it until it returns `None`
    /// to drain everything due; when nothing is due it costs O(levels).
    pub fn poll_expired(&mut self, now: Instant) -> Option<(TimerKey, T)> {
        let tick = self.clock.tick_of(now);
        self.poll_expired_at_tick(tick)
    }

    /// [`poll_expired`](Wheel::poll_expired) with `now` in ticks.
    pub fn poll_expired_at_tick(&mut self, now: u64) -> Option<(TimerKey, T)> {
        let now = now.max(self.now);
        self.now = now;
        loop {
            let Some((level, slot)) = self.earliest_slot() else {
                if !self.advance_overflow(now) {
                    return None;
                }
                continue;
            };
            let start = slot_start(self.elapsed, level, slot);
            if start > now {
                // Nothing lies before `start`, so the levels stay valid measured from `now`.
                self.elapsed = now;
                return None;
            }
            self.elapsed = start;
            let list = level * SLOTS + slot;
            if level > 0 {
                self.cascade(list);
                continue;
            }
            let index = self.lists[list].head().expect("occupied slot has a head");
            self.unfile(index);
            self.next.set(None);
            return Some(self.slab.remove(index));
        }
    }

    /// Advances to `now` and drains every timer due by then, in deadline order, equal
    /// deadlines in insertion order.
    ///
    /// The iterator removes each timer as it yields it. Dropping it early loses nothing: the
    /// timers not yet yielded stay in the wheel, due, and come out of the next advance or
    /// [`poll_expired`](Wheel::poll_expired) first.
    pub fn advance(&mut self, now: Instant) -> Expired<'_, T> {
        let tick = self.clock.tick_of(now);
        self.advance_to_tick(tick)
    }

    /// [`advance`](Wheel::advance) with `now` in ticks.
    pub fn advance_to_tick(&mut self, now: u64) -> Expired<'_, T> {
        // Time moves even if the iterator is never consumed.
        self.now = self.now.max(now);
        Expired::new(self, now)
    }

    /// When the earliest live timer fires (its deadline rounded up to a tick), or `None` if
    /// there are no timers: how long an event loop may sleep. Cheap enough to call every loop
    /// iteration (see the type's docs for its cost).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.next_deadline_tick()
            .map(|tick| self.clock.instant_of(tick))
    }

    /// [`next_deadline`](Wheel::next_deadline) in ticks. A timer that is already due reports
    /// its tick, which may be before [`now_tick`](Wheel::now_tick) if it was due at an earlier
    /// advance and not yet polled.
    pub fn next_deadline_tick(&self) -> Option<u64> {
        if let Some(known) = self.next.get() {
            return known;
        }
        let next = match self.earliest_slot() {
            Some((0, slot)) => Some(slot_start(self.elapsed, 0, slot)),
            Some((level, slot)) => self.slab.min_deadline(&self.lists[level * SLOTS + slot]),
            None => self.slab.min_deadline(&self.lists[OVERFLOW]),
        };
        self.next.set(Some(next));
        next
    }

    /// Removes every timer, dropping their values; every outstanding key becomes stale. Keeps
    /// the wheel's memory and its current time.
    pub fn clear(&mut self) {
        self.slab.clear();
        self.lists.fill(List::EMPTY);
        self.occupied = [0; LEVELS];
        self.next.set(Some(None));
    }

    /// The lowest occupied slot of the lowest non-empty level: where the earliest timer is.
    fn earliest_slot(&self) -> Option<(usize, usize)> {
        self.occupied
            .iter()
            .position(|&bits| bits != 0)
            .map(|level| (level, self.occupied[level].trailing_zeros() as usize))
    }

    /// Links the entry at `index` into the list its deadline belongs to, seen from `elapsed`.
    fn file(&mut self, index: u32) {
        let deadline = self.slab.entry(index).deadline;
        let level = level_for(self.elapsed, deadline);
        let list = if level < LEVELS {
            let slot = slot_for(deadline, level);
            self.occupied[level] |= 1 << slot;
            level * SLOTS + slot
        } else {
            OVERFLOW
        };
        self.slab.push_back(&mut self.lists[list], list, index);
    }

    /// Unlinks the entry at `index` from its list, keeping the occupancy bits exact.
    fn unfile(&mut self, index: u32) {
        let list = usize::from(self.slab.entry(index).list);
        self.slab.unlink(&mut self.lists[list], index);
        if list != OVERFLOW && self.lists[list].is_empty() {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
    }

    /// Re-files every entry of `list` (a slot the wheel just reached, or the overflow list)
    /// from the current `elapsed`, keeping their order.
    fn cascade(&mut self, list: usize) {
        let mut cursor = self.lists[list].head();
        self.lists[list] = List::EMPTY;
        if list != OVERFLOW {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
        while let Some(index) = cursor {
            cursor = self.slab.next_in_list(index);
            self.file(index);
        }
    }

    /// With the levels empty, moves `elapsed` towards the overflow list's earliest deadline
    /// (no further than `now`) and re-files the overflow list if that crosses into another
    /// top-level block. Returns whether a timer became due (so polling should go on).
    fn advance_overflow(&mut self, now: u64) -> bool {
        let Some(earliest) = self.next_deadline_tick() else {
            self.elapsed = now;
            return false;
        };
        let target = earliest.min(now);
        let crossed = !same_block(self.elapsed, target);
        self.elapsed = target;
        if crossed {
            self.cascade(OVERFLOW);
        }
        earliest <= now
    }
}

impl<T> fmt::Debug for Wheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wheel")
            .field("start", &self.clock.start())
            .field("resolution", &self.clock.resolution())
            .field("now_tick", &self.now)
            .field("len", &self.len())
            .field("next_deadline_tick", &self.next_deadline_tick())
            .finish()
    }
}
