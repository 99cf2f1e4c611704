//! One test per promise the crate docs make, each at its edge.

use std::time::{Duration, Instant};

use asyncio_timer::{TimerKey, Wheel};

fn drain<T>(wheel: &mut Wheel<T>, now: u64) -> Vec<T> {
    wheel.advance_to_tick(now).map(|(_, v)| v).collect()
}

#[test]
fn wheel_is_send_when_its_values_are() {
    fn assert_send<S: Send>() {}
    assert_send::<Wheel<String>>();
    assert_send::<TimerKey>();
}

#[test]
#[should_panic(expected = "resolution")]
fn zero_resolution_panics() {
    let _ = Wheel::<()>::with_resolution(Instant::now(), Duration::ZERO);
}

#[test]
fn a_timer_never_fires_before_its_deadline() {
    let start = Instant::now();
    let mut wheel = Wheel::new(start);
    wheel.insert(start + Duration::from_micros(1_500), "x");
    assert_eq!(
        wheel.next_deadline(),
        Some(start + Duration::from_millis(2))
    );
    assert!(
        wheel
            .poll_expired(start + Duration::from_micros(1_999))
            .is_none()
    );
    let fired = wheel.poll_expired(start + Duration::from_millis(2));
    assert_eq!(fired.map(|(_, v)| v), Some("x"));
}

#[test]
fn past_deadlines_fire_at_the_next_advance() {
    let start = Instant::now();
    let mut wheel = Wheel::new(start);
    assert!(
        wheel
            .poll_expired(start + Duration::from_millis(100))
            .is_none()
    );
    // Before the wheel's start, and before the last advance: both due at once.
    wheel.insert(
        start.checked_sub(Duration::from_secs(1)).unwrap_or(start),
        "before start",
    );
    wheel.insert(start + Duration::from_millis(50), "before now");
    assert_eq!(
        wheel.next_deadline_tick(),
        Some(100),
        "past deadlines are filed at now"
    );
    let fired: Vec<_> = wheel
        .advance(start + Duration::from_millis(100))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(fired, ["before start", "before now"]);
}

#[test]
fn time_never_goes_backwards() {
    let mut wheel = Wheel::new(Instant::now());
    wheel.insert_at_tick(20, 'a');
    assert!(drain(&mut wheel, 10).is_empty());
    assert_eq!(wheel.now_tick(), 10);
    // An earlier `now` is the previous one: nothing at 20 fires, the clock stays at 10.
    assert!(drain(&mut wheel, 3).is_empty());
    assert_eq!(wheel.now_tick(), 10);
    wheel.insert_at_tick(5, 'b');
    let c = wheel.insert_at_tick(7, 'c');
    assert_eq!(wheel.deadline_tick(c), Some(10));
    assert_eq!(drain(&mut wheel, 0), ['b', 'c']);
    assert_eq!(drain(&mut wheel, 20), ['a']);
}

#[test]
fn equal_deadlines_fire_in_insertion_order_across_cascades() {
    let mut wheel = Wheel::new(Instant::now());
    // Filed at level 2 from tick 0, then at level 1 and level 0 as the wheel approaches.
    wheel.insert_at_tick(5_000, 1);
    wheel.insert_at_tick(5_001, 9);
    assert!(drain(&mut wheel, 4_990).is_empty());
    wheel.insert_at_tick(5_000, 2);
    assert!(drain(&mut wheel, 4_999).is_empty());
    wheel.insert_at_tick(5_000, 3);
    wheel.insert_at_tick(4_000, 0); // past: filed at 4_999, so it fires first
    assert_eq!(drain(&mut wheel, 5_001), [0, 1, 2, 3, 9]);
}

#[test]
fn deadlines_beyond_the_top_level_fire_on_time() {
    let mut wheel = Wheel::new(Instant::now());
    let far = (1u64 << 36) * 3 + 12_345;
    wheel.insert_at_tick(u64::MAX, "end of time");
    wheel.insert_at_tick(far, "far");
    wheel.insert_at_tick(far, "far, second");
    wheel.insert_at_tick(7, "near");
    assert_eq!(drain(&mut wheel, 7), ["near"]);
    assert_eq!(wheel.next_deadline_tick(), Some(far));
    assert!(drain(&mut wheel, far - 1).is_empty());
    assert_eq!(wheel.next_deadline_tick(), Some(far));
    assert_eq!(drain(&mut wheel, far), ["far", "far, second"]);
    assert!(drain(&mut wheel, u64::MAX - 1).is_empty());
    assert_eq!(drain(&mut wheel, u64::MAX), ["end of time"]);
    assert!(wheel.next_deadline().is_none());
}

/// The latest `Instant` after `start` this platform holds (to within a nanosecond).
fn latest_instant(start: Instant) -> Instant {
    let (mut at, mut step) = (start, Duration::MAX);
    while !step.is_zero() {
        if let Some(next) = at.checked_add(step) {
            at = next;
        }
        step /= 2;
    }
    at
}

/// A deadline "never" (an event loop's `sleep(Duration::MAX)`, saturated to the latest
/// instant there is) is a timer like any other: filed, reported as the next deadline
/// without overflow, never due, cancelled in O(1); nearer timers fire around it.
#[test]
fn the_latest_instant_is_a_deadline_that_never_comes() {
    let start = Instant::now();
    let mut wheel = Wheel::with_resolution(start, Duration::from_micros(1));
    let never = wheel.insert(latest_instant(start), "never");
    assert_eq!(wheel.deadline_tick(never), Some(u64::MAX));
    let next = wheel.next_deadline().expect("a timer is live");
    assert!(next >= start + Duration::from_secs(100 * 365 * 24 * 3600));
    let soon = start + Duration::from_micros(10);
    wheel.insert(soon, "soon");
    assert_eq!(wheel.next_deadline(), Some(soon));
    let fired: Vec<_> = wheel
        .advance(soon + Duration::from_secs(3600))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(fired, ["soon"]);
    assert_eq!(wheel.next_deadline(), Some(next));
    assert_eq!(wheel.cancel(never), Some("never"));
    assert!(wheel.is_empty());
}

#[test]
fn stale_keys_miss_and_never_cancel_a_newer_timer() {
    let mut wheel = Wheel::new(Instant::now());
    let fired = wheel.insert_at_tick(1, "fired");
    let cancelled = wheel.insert_at_tick(50, "cancelled");
    assert_eq!(wheel.cancel(cancelled), Some("cancelled"));
    assert_eq!(wheel.cancel(cancelled), None, "cancelling twice");
    assert_eq!(wheel.advance_to_tick(1).next(), Some((fired, "fired")));
    assert_eq!(wheel.cancel(fired), None, "cancelling a fired timer");
    // New timers reuse both slab slots; the old keys must not reach them.
    let a = wheel.insert_at_tick(60, "a");
    let b = wheel.insert_at_tick(60, "b");
    assert!(!wheel.contains(fired) && !wheel.contains(cancelled));
    assert_eq!(wheel.cancel(fired), None);
    assert_eq!(wheel.cancel(cancelled), None);
    assert_eq!(wheel.len(), 2);
    assert_eq!(wheel.cancel(b), Some("b"));
    assert_eq!(wheel.cancel(a), Some("a"));
}

#[test]
fn clear_empties_the_wheel_and_stales_every_key() {
    let mut wheel = Wheel::new(Instant::now());
    let keys: Vec<_> = (0..100u64)
        .map(|n| wheel.insert_at_tick(n * 1_000, n))
        .collect();
    wheel.clear();
    assert!(wheel.is_empty());
    assert_eq!(wheel.next_deadline_tick(), None);
    assert!(keys.iter().all(|&k| wheel.cancel(k).is_none()));
    assert!(drain(&mut wheel, u64::MAX / 2).is_empty());
    let key = wheel.insert_at_tick(0, 7);
    assert_eq!(drain(&mut wheel, 0), [7]);
    assert_eq!(wheel.cancel(key), None);
}

#[test]
fn dropping_the_advance_iterator_early_loses_nothing() {
    let mut wheel = Wheel::new(Instant::now());
    for n in 0..10u64 {
        wheel.insert_at_tick(n, n);
    }
    wheel.insert_at_tick(100, 100);
    let first: Vec<_> = wheel.advance_to_tick(50).take(3).map(|(_, v)| v).collect();
    assert_eq!(first, [0, 1, 2]);
    let _unconsumed = wheel.advance_to_tick(60);
    assert_eq!(
        wheel.now_tick(),
        60,
        "advancing moves time even if nothing is drained"
    );
    assert_eq!(wheel.len(), 8);
    assert_eq!(wheel.next_deadline_tick(), Some(3), "the rest is still due");
    assert_eq!(drain(&mut wheel, 60), (3..10).collect::<Vec<_>>());
    assert_eq!(drain(&mut wheel, 100), [100]);
}

#[test]
fn next_deadline_is_exact_after_cancelling_the_earliest() {
    let mut wheel = Wheel::new(Instant::now());
    // All in one level-2 slot: the wheel must look inside it.
    let first = wheel.insert_at_tick(8_300, 'a');
    wheel.insert_at_tick(8_500, 'c');
    let second = wheel.insert_at_tick(8_200, 'b');
    assert_eq!(wheel.next_deadline_tick(), Some(8_200));
    wheel.cancel(second);
    assert_eq!(wheel.next_deadline_tick(), Some(8_300));
    wheel.cancel(first);
    assert_eq!(wheel.next_deadline_tick(), Some(8_500));
    assert!(drain(&mut wheel, 8_499).is_empty());
    assert_eq!(wheel.next_deadline_tick(), Some(8_500));
    assert_eq!(drain(&mut wheel, 8_500), ['c']);
    assert_eq!(wheel.next_deadline_tick(), None);
}

#[test]
fn poll_with_nothing_due_changes_nothing() {
    let mut wheel = Wheel::new(Instant::now());
    let key = wheel.insert_at_tick(1_000, ());
    for now in [0, 10, 500, 999] {
        assert!(wheel.poll_expired_at_tick(now).is_none());
        assert_eq!(wheel.next_deadline_tick(), Some(1_000));
    }
    assert!(wheel.contains(key));
    assert_eq!(wheel.poll_expired_at_tick(1_000), Some((key, ())));
}

#[test]
fn instants_and_ticks_agree() {
    let start = Instant::now();
    let mut wheel = Wheel::with_resolution(start, Duration::from_micros(100));
    assert_eq!(wheel.start(), start);
    let deadline = start + Duration::from_millis(3);
    let key = wheel.insert(deadline, ());
    assert_eq!(wheel.deadline_tick(key), Some(30));
    assert_eq!(wheel.next_deadline(), Some(deadline));
    assert_eq!(wheel.tick_of(wheel.instant_of(30)), 30);
}

#[test]
fn a_million_timers_fire_in_order() {
    // A thousand under Miri, which runs some thousand times slower: the same span of ticks.
    const TIMERS: u64 = if cfg!(miri) { 1_000 } else { 1_000_000 };
    let mut wheel = Wheel::new(Instant::now());
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut keys = Vec::new();
    for _ in 0..TIMERS {
        let deadline = next() % 10_000_000;
        keys.push(wheel.insert_at_tick(deadline, deadline));
    }
    // Cancel every other one: most timeouts never fire.
    for key in keys.iter().step_by(2) {
        assert!(wheel.cancel(*key).is_some());
    }
    assert_eq!(wheel.len() as u64, TIMERS / 2);
    let (mut last, mut count, mut now) = (0, 0, 0);
    while now <= 10_000_000 {
        now += 7_919;
        for (_, deadline) in wheel.advance_to_tick(now) {
            assert!(
                last <= deadline && deadline <= now,
                "{last} {deadline} {now}"
            );
            last = deadline;
            count += 1;
        }
        if let Some(next) = wheel.next_deadline_tick() {
            assert!(next > now);
        }
    }
    assert_eq!(count, TIMERS / 2);
    assert!(wheel.is_empty());
}
