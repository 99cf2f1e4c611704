//! A hierarchical timer wheel: many timers, O(1) insert and cancel, expiry in deadline order.
//!
//! An event loop arms a timer for every `sleep`, every `wait_for` and every I/O timeout, and
//! most of those timeouts never fire: the operation finishes first and the timer is
//! cancelled. A binary heap pays O(log n) to insert and cannot remove cheaply (the usual trick
//! leaves cancelled entries in the heap until they surface); a `BTreeMap` pays O(log n) and a
//! node allocation for both. A timer wheel files each timer in a slot by its deadline's
//! digits, so inserting and cancelling are a few pointer writes, whatever the number of live
//! timers.
//!
//! [`Wheel`] has six levels of 64 slots: level 0 holds the next 64 ticks one per slot, each
//! higher level slots 64 times coarser, covering `2^36` ticks (about 795 days at the default
//! 1 ms resolution); an overflow list holds anything later and is re-filed when the wheel gets
//! there. When time reaches a coarse slot its timers cascade to finer levels, so each timer
//! moves at most six times before it fires. Per-level occupancy bitmaps find the next timer
//! with `trailing_zeros`. Timers live in one slab (a `Vec` plus a free list) and the slots are
//! intrusive linked lists through it: once the slab has grown, no timer allocates.
//!
//! Guarantees:
//! - a timer never fires before its deadline (deadlines round *up* to a tick);
//! - timers fire in deadline order, equal deadlines in insertion order;
//! - a deadline already past fires at the next advance; one beyond the wheel's range fires
//!   on time;
//! - [`Wheel::cancel`] with a stale key (fired, cancelled, cleared) returns `None` and never
//!   touches another timer, even one reusing the same slab slot ([`TimerKey`] carries a
//!   generation);
//! - time never goes backwards: an advance to an earlier `now` than a previous one is an
//!   advance to the previous one.
//!
//! The crate does no I/O, starts no threads, has no dependencies and no `unsafe`.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use asyncio_timer::Wheel;
//!
//! let start = Instant::now();
//! let mut wheel = Wheel::new(start); // 1 ms ticks
//! let ms = |n| start + Duration::from_millis(n);
//!
//! let request_timeout = wheel.insert(ms(5_000), "request timed out");
//! wheel.insert(ms(20), "retry");
//! wheel.insert(ms(10), "heartbeat");
//!
//! // The response arrived: the timeout never fires.
//! assert_eq!(wheel.cancel(request_timeout), Some("request timed out"));
//!
//! // An event loop sleeps until the next deadline, then drains what is due.
//! assert_eq!(wheel.next_deadline(), Some(ms(10)));
//! let due: Vec<&str> = wheel.advance(ms(25)).map(|(_key, what)| what).collect();
//! assert_eq!(due, ["heartbeat", "retry"]);
//! assert_eq!(wheel.next_deadline(), None);
//! ```

#![forbid(unsafe_code)]

mod clock;
mod error;
mod expired;
mod key;
mod level;
mod slab;
mod wheel;

pub use error::WheelError;
pub use expired::Expired;
pub use key::TimerKey;
pub use wheel::Wheel;
