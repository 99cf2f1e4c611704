//! The draining iterator returned by [`Wheel::advance`].

use std::fmt;
use std::iter::FusedIterator;

use crate::key::TimerKey;
use crate::wheel::Wheel;

/// Yields every timer due by the tick it was created for, in deadline order (equal deadlines
/// in insertion order), removing each from the wheel as it goes.
///
/// Dropping it early loses nothing: the rest stay in the wheel, due, and come out first at
/// the next advance.
pub struct Expired<'a, T> {
    wheel: &'a mut Wheel<T>,
    now: u64,
}

impl<'a, T> Expired<'a, T> {
    pub(crate) fn new(wheel: &'a mut Wheel<T>, now: u64) -> Self {
        Expired { wheel, now }
    }
}

impl<T> Iterator for Expired<'_, T> {
    type Item = (TimerKey, T);

    fn next(&mut self) -> Option<Self::Item> {
        self.wheel.poll_expired_at_tick(self.now)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.wheel.len()))
    }
}

// With the wheel borrowed nothing can be inserted and `now` is fixed: once nothing is due,
// nothing becomes due.
impl<T> FusedIterator for Expired<'_, T> {}

impl<T> fmt::Debug for Expired<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Expired")
            .field("now_tick", &self.now)
            .finish_non_exhaustive()
    }
}
