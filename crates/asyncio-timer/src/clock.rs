//! Converting between `Instant`s and the wheel's ticks.
//!
//! The wheel itself only knows ticks (`u64` counts of `resolution` since `start`); this is
//! the one place that knows about wall-clock types, so the wheel can be driven by raw ticks
//! (simulations, tests) or by `Instant`s (an event loop) alike.

use std::time::{Duration, Instant};

use crate::error::WheelError;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// A start instant and a tick length.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start: Instant,
    resolution: Duration,
    /// `resolution` in nanoseconds; never zero.
    nanos: u128,
    /// Set when a tick divides a second exactly (1 ms, 100 us, ...): the fast path.
    exact: Option<ExactDivisor>,
}

/// A resolution that divides one second, with a precomputed reciprocal so turning an
/// `Instant` into ticks takes multiplications, not a 64- or 128-bit division (the loop does it
/// for every timer it arms).
#[derive(Clone, Copy, Debug)]
struct ExactDivisor {
    /// Ticks per second.
    per_second: u64,
    /// The resolution in nanoseconds (2 ns to one second).
    nanos: u32,
    /// `ceil(2^64 / nanos)`: `n / nanos == (n * reciprocal) >> 64` for every 32-bit `n`
    /// (Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019).
    reciprocal: u64,
}

impl ExactDivisor {
    fn new(nanos: u128) -> Option<Self> {
        // One nanosecond would need a 2^64 reciprocal; it takes the general path.
        let nanos = u32::try_from(nanos)
            .ok()
            .filter(|&n| n > 1 && NANOS_PER_SEC % u128::from(n) == 0)?;
        let per_second = (NANOS_PER_SEC / u128::from(nanos)) as u64;
        let reciprocal = (u64::MAX / u64::from(nanos)).wrapping_add(1);
        Some(ExactDivisor {
            per_second,
            nanos,
            reciprocal,
        })
    }

    /// Whole ticks in `since`, and whether a partial tick is left over; `None` on overflow.
    fn ticks(&self, since: Duration) -> Option<(u64, bool)> {
        let subsec = since.subsec_nanos();
        let quotient = ((u128::from(self.reciprocal) * u128::from(subsec)) >> 64) as u32;
        let partial = quotient * self.nanos != subsec;
        let whole = since
            .as_secs()
            .checked_mul(self.per_second)?
            .checked_add(u64::from(quotient))?;
        Some((whole, partial))
    }
}

impl Clock {
    /// A clock counting `resolution`-long ticks from `start`.
    pub(crate) fn new(start: Instant, resolution: Duration) -> Result<Self, WheelError> {
        let nanos = resolution.as_nanos();
        if nanos == 0 {
            return Err(WheelError::ZeroResolution(resolution));
        }
        Ok(Clock {
            start,
            resolution,
            nanos,
            exact: ExactDivisor::new(nanos),
        })
    }

    pub(crate) fn start(&self) -> Instant {
        self.start
    }

    pub(crate) fn resolution(&self) -> Duration {
        self.resolution
    }

    /// The tick `instant` falls in (rounded down); instants before `start` are tick 0.
    pub(crate) fn tick_of(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start);
        if let Some((whole, _)) = self.exact.and_then(|exact| exact.ticks(since)) {
            return whole;
        }
        saturate(divide(since.as_nanos(), self.nanos))
    }

    /// The first tick at or after `instant` (rounded up), so a timer filed there never fires
    /// before `instant`.
    pub(crate) fn tick_of_deadline(&self, instant: Instant) -> u64 {
        let since = instant.saturating_duration_since(self.start);
        if let Some((whole, partial)) = self.exact.and_then(|exact| exact.ticks(since)) {
            return whole.saturating_add(u64::from(partial));
        }
        let since = since.as_nanos();
        let floor = divide(since, self.nanos);
        let exact = floor * self.nanos == since;
        saturate(if exact { floor } else { floor + 1 })
    }

    /// The instant tick `tick` starts at, saturating at the latest instant the platform can
    /// represent.
    pub(crate) fn instant_of(&self, tick: u64) -> Instant {
        let nanos = u128::from(tick).saturating_mul(self.nanos);
        let mut offset = match u64::try_from(nanos / NANOS_PER_SEC) {
            Ok(secs) => Duration::new(secs, (nanos % NANOS_PER_SEC) as u32),
            Err(_) => Duration::MAX,
        };
        loop {
            if let Some(instant) = self.start.checked_add(offset) {
                return instant;
            }
            offset /= 2;
        }
    }
}

/// `a / b`, with the common case (both fit in 64 bits) kept off the slow 128-bit division.
fn divide(a: u128, b: u128) -> u128 {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => u128::from(a / b),
        _ => a / b,
    }
}

fn saturate(ticks: u128) -> u64 {
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(resolution: Duration) -> (Instant, Clock) {
        let start = Instant::now();
        (start, Clock::new(start, resolution).unwrap())
    }

    #[test]
    fn zero_resolution_is_an_error() {
        let err = Clock::new(Instant::now(), Duration::ZERO).unwrap_err();
        assert_eq!(err, WheelError::ZeroResolution(Duration::ZERO));
        assert!(err.to_string().contains("with_resolution"));
    }

    #[test]
    fn floor_and_ceiling() {
        let (start, c) = clock(Duration::from_millis(1));
        assert_eq!(c.tick_of(start), 0);
        assert_eq!(c.tick_of_deadline(start), 0);
        let t = start + Duration::from_micros(2500);
        assert_eq!(c.tick_of(t), 2);
        assert_eq!(c.tick_of_deadline(t), 3);
        let exact = start + Duration::from_millis(7);
        assert_eq!(c.tick_of(exact), 7);
        assert_eq!(c.tick_of_deadline(exact), 7);
    }

    #[test]
    fn instants_before_start_are_tick_zero() {
        let (start, c) = clock(Duration::from_millis(1));
        if let Some(before) = start.checked_sub(Duration::from_secs(1)) {
            assert_eq!(c.tick_of(before), 0);
            assert_eq!(c.tick_of_deadline(before), 0);
        }
    }

    #[test]
    fn instant_of_inverts_tick_of() {
        let (start, c) = clock(Duration::from_micros(250));
        for tick in [0u64, 1, 63, 4096, 1 << 33] {
            let instant = c.instant_of(tick);
            assert_eq!(c.tick_of(instant), tick);
            assert_eq!(c.tick_of_deadline(instant), tick);
        }
        assert_eq!(c.instant_of(4), start + Duration::from_millis(1));
    }

    #[test]
    fn fast_and_general_paths_agree() {
        let start = Instant::now();
        // 1 ms, 100 us and 1 s divide a second (fast path); 3 ms and 1.5 s do not.
        for resolution in [
            1_000_000u64,
            100_000,
            1_000_000_000,
            2,
            1,
            3_000_000,
            1_500_000_000,
        ] {
            let resolution = Duration::from_nanos(resolution);
            let c = Clock::new(start, resolution).unwrap();
            let fast = c.exact.is_some();
            let mut x = 0x2545_F491_4F6C_DD1Du64;
            // Miri runs this some thousand times slower: a sample of the same values.
            for _ in 0..if cfg!(miri) { 100 } else { 10_000 } {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let since = Duration::from_nanos(x % (1 << 50));
                let n = since.as_nanos();
                let r = resolution.as_nanos();
                let t = start + since;
                assert_eq!(
                    u128::from(c.tick_of(t)),
                    n / r,
                    "{resolution:?} fast={fast} {n}"
                );
                assert_eq!(
                    u128::from(c.tick_of_deadline(t)),
                    n.div_ceil(r),
                    "{resolution:?} {n}"
                );
            }
        }
    }

    #[test]
    fn reciprocal_division_is_exact_at_the_edges() {
        for nanos in [1u128, 2, 3, 7, 1_000, 1_000_000, 5_000_000, 1_000_000_000] {
            let Some(exact) = ExactDivisor::new(nanos) else {
                continue;
            };
            for subsec in [0u32, 1, exact.nanos - 1, exact.nanos, 999_999_999] {
                let (whole, partial) = exact.ticks(Duration::new(0, subsec)).unwrap();
                assert_eq!(whole, u64::from(subsec / exact.nanos), "{nanos} {subsec}");
                assert_eq!(partial, subsec % exact.nanos != 0);
            }
        }
    }

    #[test]
    fn far_ticks_saturate_instead_of_panicking() {
        let (start, c) = clock(Duration::from_secs(1));
        assert!(c.instant_of(u64::MAX) > start);
        let (_, huge) = clock(Duration::MAX);
        assert!(huge.instant_of(u64::MAX) >= huge.start());
    }
}
