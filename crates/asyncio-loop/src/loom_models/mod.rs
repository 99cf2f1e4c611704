//! loom models of every path of this crate that other threads take, run on this crate's
//! own code with loom's atomics, locks and threads in place of std's (`sync.rs`):
//!
//! - `handshake`: the sleep/wake handshake of `shared.rs` (no lost wake, coalescing, the
//!   drain's reset for a host loop that never waits);
//! - `injection`: the injection queue with two producers, the drain and `close`;
//! - `refcount`: a task's waker count, raced by clones, drops and wakes on two threads
//!   against the loop side letting go (freed once, never used after);
//! - `queued`: the remote wake's `queued` flag (coalescing, no lost wake, and the
//!   coalesced waker's writes visible to the step).
//!
//! `cargo xtask loom` runs them (`RUSTFLAGS="--cfg loom" cargo test --release -p
//! asyncio-loop --lib loom`). What they leave out, and why, is in docs/architecture.md
//! ("What the tools cover").

mod handshake;
mod injection;
mod queued;
mod refcount;
mod task;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::shared::{Injected, Shared, Sleep};

/// Checks `model` in every interleaving loom explores with at most `preemptions` thread
/// switches forced on a runnable thread in one execution (`None`: every interleaving).
/// `LOOM_MAX_PREEMPTIONS` overrides the bound. Then prints (captured by the test harness
/// unless `--nocapture`) how many executions that was, for `cargo xtask loom`.
fn check(name: &str, preemptions: Option<usize>, model: impl Fn() + Sync + Send + 'static) {
    let executions = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&executions);
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = preemptions;
    }
    let bound = match builder.preemption_bound {
        Some(bound) => format!("at most {bound} preemptions"),
        None => "no bound".to_owned(),
    };
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        model();
    });
    let executions = executions.load(Ordering::Relaxed);
    println!("loom model {name}: {executions} interleavings explored ({bound})");
}

/// One wait of an idle loop with no descriptor registered and no timer, as
/// `LoopInner::poll` (iteration.rs) makes it: announce the sleep, park unless work was
/// injected meanwhile, mark itself awake, take what was injected. (The glue is copied from
/// `poll`, which needs a whole `LoopInner`; every call is the real one.)
fn poll(shared: &Shared, into: &mut Vec<Injected>) {
    // The spin before the sleep, as a loop that just had remote work makes it (one look
    // under loom): it must not matter to the handshake whether it saw the push.
    if !shared.spin_for_injection(Duration::from_micros(1)) && !shared.prepare_sleep(Sleep::Park) {
        shared.park(None);
    }
    shared.awake();
    shared.drain(into);
}
