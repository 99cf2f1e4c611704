//! The geometry of the wheel: which level and slot a deadline lives in, relative to the
//! wheel's current position (`elapsed`, in ticks).
//!
//! Level `l` has 64 slots, each `64^l` ticks wide, so level 0 resolves single ticks and the
//! top level (5) spans `2^36` ticks (about 795 days at 1 ms). A deadline is filed at the
//! level of the highest 6-bit digit in which it differs from `elapsed`: everything in a
//! level-`l` slot shares every higher digit with `elapsed`. That makes the lowest occupied
//! slot of the lowest non-empty level the earliest one, found with `trailing_zeros`.
//! Deadlines that differ from `elapsed` above the top level go to the overflow list.

/// Bits of a tick consumed by one level.
pub(crate) const SLOT_BITS: u32 = 6;

/// Slots per level (one bit each in a `u64` occupancy bitmap).
pub(crate) const SLOTS: usize = 1 << SLOT_BITS;

/// Levels in the wheel.
pub(crate) const LEVELS: usize = 6;

/// Ticks spanned by the whole wheel, as a shift: deadlines in another `2^36`-tick block than
/// `elapsed` overflow.
pub(crate) const RANGE_BITS: u32 = LEVELS as u32 * SLOT_BITS;

/// The list index of the overflow list; slot lists are `level * SLOTS + slot`.
pub(crate) const OVERFLOW: usize = LEVELS * SLOTS;

/// Number of lists: every slot of every level, plus the overflow list.
pub(crate) const LISTS: usize = OVERFLOW + 1;

/// The level `deadline` is filed at when the wheel stands at `elapsed` (`deadline >= elapsed`);
/// `LEVELS` or more means the overflow list.
pub(crate) fn level_for(elapsed: u64, deadline: u64) -> usize {
    // Or-ing the slot mask puts every deadline in the current 64-tick window at level 0.
    let significant = (elapsed ^ deadline) | (SLOTS as u64 - 1);
    let highest_bit = u64::BITS - 1 - significant.leading_zeros();
    (highest_bit / SLOT_BITS) as usize
}

/// The slot of `deadline` within `level`.
pub(crate) fn slot_for(deadline: u64, level: usize) -> usize {
    ((deadline >> (level as u32 * SLOT_BITS)) & (SLOTS as u64 - 1)) as usize
}

/// The first tick covered by `slot` of `level` when the wheel stands at `elapsed`.
pub(crate) fn slot_start(elapsed: u64, level: usize, slot: usize) -> u64 {
    let shift = level as u32 * SLOT_BITS;
    let level_span = (1u64 << (shift + SLOT_BITS)) - 1;
    (elapsed & !level_span) | ((slot as u64) << shift)
}

/// Whether two ticks lie in the same top-level block (the wheel's whole range).
pub(crate) fn same_block(a: u64, b: u64) -> bool {
    a >> RANGE_BITS == b >> RANGE_BITS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_window_is_level_zero() {
        assert_eq!(level_for(0, 0), 0);
        assert_eq!(level_for(0, 63), 0);
        assert_eq!(level_for(64, 127), 0);
        assert_eq!(level_for(100, 100), 0);
    }

    #[test]
    fn higher_digits_pick_higher_levels() {
        assert_eq!(level_for(0, 64), 1);
        assert_eq!(level_for(63, 64), 1);
        assert_eq!(level_for(0, 4095), 1);
        assert_eq!(level_for(0, 4096), 2);
        assert_eq!(level_for(0, (1 << 36) - 1), 5);
        assert!(level_for(0, 1 << 36) >= LEVELS);
        assert!(level_for(0, u64::MAX) >= LEVELS);
    }

    #[test]
    fn slot_start_covers_its_deadlines() {
        for (elapsed, deadline) in [
            (0u64, 5u64),
            (10, 70),
            (4000, 5000),
            (1 << 20, (1 << 30) + 7),
        ] {
            let level = level_for(elapsed, deadline);
            let slot = slot_for(deadline, level);
            let start = slot_start(elapsed, level, slot);
            let width = 1u64 << (level as u32 * SLOT_BITS);
            assert!(
                start <= deadline && deadline < start + width,
                "{elapsed} {deadline}"
            );
            assert!(start >= elapsed & !(width - 1));
        }
    }

    #[test]
    fn blocks() {
        assert!(same_block(0, (1 << 36) - 1));
        assert!(!same_block(0, 1 << 36));
    }
}
