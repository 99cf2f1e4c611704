//! Model 5b: `shutdown(wait = true)` racing a submit (`Shared::enqueue` and
//! `Shared::shutdown`: the gate word counts the submits between their check and their
//! enqueue; shutdown closes it, waits for them, then sends one stop per thread).
//!
//! A submit on another thread races the model's thread shutting the pool down, with and
//! without cancelling what is queued. The submit is either rejected, and its job never
//! runs, or accepted, and then its job has run (or, with `cancel_queued`, was cancelled)
//! by the time `shutdown` returns: never left in the queue behind the stops. `shutdown`
//! returns (a worker that never gets its stop would leave it waiting: a deadlock), and
//! every worker thread is gone. The worker's idle timeout never runs out, so it leaves
//! only through its stop.

use std::sync::atomic::Ordering;
use std::time::Duration;

use loom::sync::Arc;
use loom::sync::atomic::AtomicBool;
use loom::thread;

use super::{check, pool};
use crate::job::{Job, JobCell};

/// The most preemptions per execution loom explores here (`None`: every interleaving).
const PREEMPTIONS: Option<usize> = None;

fn shutdown_racing_a_submit(cancel_queued: bool) {
    let shared = pool(Duration::MAX);
    let ran = Arc::new(AtomicBool::new(false));
    let submitter = {
        let shared = std::sync::Arc::clone(&shared);
        let ran = Arc::clone(&ran);
        thread::spawn(move || {
            let cell = JobCell::new(move || ran.store(true, Ordering::Relaxed));
            let job = Job::new(std::sync::Arc::clone(&cell));
            let accepted = shared.enqueue(cell).is_ok();
            (accepted, job)
        })
    };
    shared.shutdown(true, cancel_queued);
    let (accepted, job) = submitter.join().unwrap();
    let ran = ran.load(Ordering::Relaxed);
    if accepted {
        assert!(job.done(), "an accepted job was left queued");
        assert!(ran || cancel_queued, "an accepted job was not run");
        assert_eq!(job.cancelled(), !ran);
    } else {
        assert!(!ran, "a rejected job ran");
    }
    assert_eq!(shared.workers(), 0);
}

#[test]
fn loom_shutdown_racing_a_submit_runs_or_rejects_it() {
    check("pool: shutdown(wait) racing a submit", PREEMPTIONS, || {
        shutdown_racing_a_submit(false)
    });
}

#[test]
fn loom_shutdown_cancelling_racing_a_submit_settles_it() {
    check(
        "pool: shutdown(wait, cancel_queued) racing a submit",
        PREEMPTIONS,
        || shutdown_racing_a_submit(true),
    );
}
