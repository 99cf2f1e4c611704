//! The handle a caller keeps to cancel a timer.

/// Identifies one timer in a [`Wheel`](crate::Wheel): a slab index and the generation the
/// slot had when the timer was inserted.
///
/// A key stays valid until its timer fires, is cancelled or the wheel is cleared; after that
/// it is *stale* and every operation treats it as absent, even once the slot holds another
/// timer (the generation differs). Generations are 32 bits: a stale key could only alias a
/// new timer after its slot has been reused 2^32 times.
///
/// ```
/// use std::time::Instant;
/// use asyncio_timer::Wheel;
///
/// let mut wheel = Wheel::new(Instant::now());
/// let key = wheel.insert_at_tick(10, "a");
/// assert_eq!(wheel.cancel(key), Some("a"));
/// let reused = wheel.insert_at_tick(10, "b"); // likely the same slot
/// assert_ne!(key, reused);
/// assert_eq!(wheel.cancel(key), None); // stale: "b" is untouched
/// assert_eq!(wheel.len(), 1);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct TimerKey {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}
