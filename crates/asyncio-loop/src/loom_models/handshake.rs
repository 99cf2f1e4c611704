//! Model 1: the sleep/wake handshake of `shared.rs` (AWAKE / PARKED / NOTIFIED).
//!
//! A lost wake shows as a loop parked (or a host waiting) forever while the other threads
//! are done, which loom reports as a deadlock. The `Parker` is the real one, on loom's
//! mutex and condvar. The `SLEEPING` state (a loop waiting in the epoll poller) is not
//! modelled: its wait and notify are system calls loom cannot run; it is the same
//! handshake with the poller's notify in place of the unpark.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering};

use loom::sync::atomic::AtomicUsize;
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

use super::{check, poll};
use crate::shared::{Injected, Shared};

/// The most preemptions per execution loom explores here (`None`: every interleaving).
const PREEMPTIONS: Option<usize> = None;

/// A host's wake hook that counts its calls.
fn counting_hook(shared: &Shared) -> Arc<AtomicUsize> {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    shared.set_hook(Some(std::sync::Arc::new(move || {
        counter.fetch_add(1, Ordering::Relaxed);
    })));
    calls
}

/// A loop that parks between its looks, and a remote thread injecting twice: the loop
/// takes both items and never parks for good with one waiting. The second injection finds
/// the first one's notify not yet seen in some interleavings and only pushes (coalescing:
/// one hook call for the two), which the model must reach.
#[test]
fn loom_parked_loop_never_misses_an_injection() {
    static COALESCED: StdAtomicUsize = StdAtomicUsize::new(0);
    check(
        "handshake: a parked loop and two injections",
        PREEMPTIONS,
        || {
            let shared = Arc::new(Shared::new());
            let hook_calls = counting_hook(&shared);
            let remote = Arc::clone(&shared);
            let injector = thread::spawn(move || {
                for _ in 0..2 {
                    assert!(remote.inject(Injected::Stop).is_ok());
                }
            });
            let mut taken = 0;
            let mut injected = Vec::new();
            while taken < 2 {
                poll(&shared, &mut injected);
                taken += injected.len();
                injected.clear();
            }
            injector.join().unwrap();
            let calls = hook_calls.load(Ordering::Relaxed);
            assert!((1..=2).contains(&calls), "{calls} hook calls for 2 wakes");
            if calls == 1 {
                COALESCED.fetch_add(1, Ordering::Relaxed);
            }
        },
    );
    assert!(
        COALESCED.load(Ordering::Relaxed) > 0,
        "no interleaving coalesced the two notifies"
    );
}

/// What a host loop waits on between frames: a flag the wake hook raises.
#[derive(Default)]
struct HostEvent {
    raised: Mutex<bool>,
    condvar: Condvar,
}

impl HostEvent {
    fn raise(&self) {
        *self.raised.lock().unwrap() = true;
        self.condvar.notify_one();
    }

    fn wait(&self) {
        let mut raised = self.raised.lock().unwrap();
        while !*raised {
            raised = self.condvar.wait(raised).unwrap();
        }
        *raised = false;
    }
}

/// A host loop stepped by `run_once()` with nothing registered never waits in the loop, so
/// never calls `awake`: only the drain's reset to AWAKE makes the next injection run the
/// hook again. The host drains, and waits for its hook between drains; two injections from
/// another thread both reach it. (Without the reset, or with it after the look instead of
/// before, the second injection is coalesced into a hook call already spent and the host
/// waits forever: loom reports the deadlock.)
#[test]
fn loom_host_loop_that_never_waits_hears_every_injection() {
    check(
        "handshake: a run_once host and two injections",
        PREEMPTIONS,
        || {
            let shared = Arc::new(Shared::new());
            let event = Arc::new(HostEvent::default());
            let raise = Arc::clone(&event);
            shared.set_hook(Some(std::sync::Arc::new(move || raise.raise())));
            let remote = Arc::clone(&shared);
            let injector = thread::spawn(move || {
                for _ in 0..2 {
                    assert!(remote.inject(Injected::Stop).is_ok());
                }
            });
            let mut taken = 0;
            let mut injected = Vec::new();
            loop {
                // `run_once()` with a zero timeout: no `prepare_sleep`, no park, no `awake`.
                shared.drain(&mut injected);
                taken += injected.len();
                injected.clear();
                if taken == 2 {
                    break;
                }
                event.wait();
            }
            injector.join().unwrap();
        },
    );
}
