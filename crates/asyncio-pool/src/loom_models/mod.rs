//! loom models of the pool's cross-thread paths, run on the pool's own code (`shared.rs`,
//! `worker.rs`, `job.rs`) with loom's atomics, locks and threads and a loom stand-in for
//! crossbeam's queue (`sync.rs`):
//!
//! - `retire`: a submit racing a worker's retirement (the `SeqCst` fences of
//!   `grow_if_needed` and `retire`): no job is stranded;
//! - `shutdown`: `shutdown(wait = true)` racing a submit (the gate word): the submit is
//!   either in before the stop messages, and runs, or rejected; the wait ends.
//!
//! `cargo xtask loom` runs them (`RUSTFLAGS="--cfg loom" cargo test --release -p
//! asyncio-pool --lib loom`). What they leave out, and why, is in docs/architecture.md
//! ("What the tools cover").

mod retire;
mod shutdown;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::shared::{Config, Shared};

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

/// A pool of at most one worker. An `idle_timeout` short enough to be a deadline runs out
/// whenever the worker finds the queue empty (loom has no clock: `sync/loom_channel.rs`);
/// `Duration::MAX` never does.
fn pool(idle_timeout: Duration) -> Arc<Shared> {
    Shared::new(Config {
        max_workers: 1,
        thread_name_prefix: "loom".to_owned(),
        idle_timeout,
        stack_size: None,
    })
}
