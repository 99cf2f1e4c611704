//! Model 4: the remote wake's `queued` flag (`WakeSide::queued`): set by a remote wake
//! (`waker.rs`), cleared by the loop when it takes the wake off the injection queue
//! (`WakeSide::clear_queued`, called by `iteration.rs`).
//!
//! Two threads each write a bit, then wake the task; the loop steps the task for each
//! wake it takes and reads the bits in the step, until it has seen both. Wakes from the
//! two threads coalesce into one injected wake in some interleavings (the model must
//! reach that); a wake after the loop cleared the flag injects again. A wake that is lost,
//! or a coalesced wake whose thread's write the step cannot see, leaves the loop parked
//! for good: loom reports a deadlock. With `clear_queued` a `Release` store instead of its
//! `AcqRel` swap, this model fails: the step may miss the write of the thread whose wake
//! was coalesced.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering};

use loom::sync::Arc;
use loom::sync::atomic::AtomicUsize;
use loom::thread;

use super::task;
use super::{check, poll};
use crate::shared::{Injected, Shared};

/// The most preemptions per execution loom explores here (`None`: every interleaving).
const PREEMPTIONS: Option<usize> = Some(5);

#[test]
fn loom_coalesced_wake_carries_its_writes_to_the_step() {
    static ONE_WAKE: StdAtomicUsize = StdAtomicUsize::new(0);
    static TWO_WAKES: StdAtomicUsize = StdAtomicUsize::new(0);
    check(
        "queued: two remote wakes, the loop clearing the flag",
        PREEMPTIONS,
        || {
            let shared = std::sync::Arc::new(Shared::new());
            let ptr = task::new(&shared);
            // SAFETY: this thread is the task's loop, and adopts the one loop-side reference.
            let rc = unsafe { task::adopt(ptr) };
            let bits = Arc::new(AtomicUsize::new(0));
            let wakers: Vec<_> = [1, 2]
                .into_iter()
                .map(|bit| {
                    // SAFETY: `rc` holds the task.
                    let waker = unsafe { task::waker(ptr) };
                    let bits = Arc::clone(&bits);
                    thread::spawn(move || {
                        // What the task will need to see: a plain write, ordered by the wake.
                        bits.fetch_or(bit, Ordering::Relaxed);
                        waker.wake();
                    })
                })
                .collect();
            let mut seen = 0;
            let mut wakes = 0;
            let mut injected = Vec::new();
            while seen != 3 {
                poll(&shared, &mut injected);
                let mut taken = 0;
                for item in injected.drain(..) {
                    let Injected::Wake(waker) = item else {
                        unreachable!("only wakes are injected here")
                    };
                    // As `iteration.rs` does for each injected wake, before queueing the step.
                    rc.header().wake.clear_queued();
                    taken += 1;
                    drop(waker);
                }
                if taken > 0 {
                    wakes += taken;
                    task::step(&rc);
                    seen = bits.load(Ordering::Relaxed);
                }
            }
            for waker in wakers {
                waker.join().unwrap();
            }
            // A wake injected after the step that saw both bits is dropped with the loop.
            wakes += shared.close().len();
            match wakes {
                1 => ONE_WAKE.fetch_add(1, Ordering::Relaxed),
                2 => TWO_WAKES.fetch_add(1, Ordering::Relaxed),
                _ => panic!("{wakes} wakes injected for two wakers"),
            };
            drop(rc);
            // SAFETY: every other thread is joined.
            unsafe { task::free_memory(ptr) };
        },
    );
    assert!(
        ONE_WAKE.load(Ordering::Relaxed) > 0,
        "no interleaving coalesced the two wakes"
    );
    assert!(
        TWO_WAKES.load(Ordering::Relaxed) > 0,
        "no interleaving woke after the loop cleared the flag"
    );
}
