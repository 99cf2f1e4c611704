//! Model 5a: a submit racing a worker's retirement (`Shared::grow_if_needed` and
//! `Shared::retire`, each a `SeqCst` fence between its own count update and its look at
//! the other side's).
//!
//! One worker at most, whose idle timeout runs out whenever it finds the queue empty. The
//! first submit starts it; the second races it finishing the first job, finding the
//! queue empty and retiring. Either the submit sees the worker gone (and starts another)
//! or the retiring worker sees the job (and stays). A stranded job leaves the model's
//! thread waiting for it forever, which loom reports as a deadlock.

use std::time::Duration;

use loom::sync::{Arc, Condvar, Mutex};

use super::{check, pool};
use crate::job::JobCell;

/// The most preemptions per execution loom explores here (`None`: every interleaving).
const PREEMPTIONS: Option<usize> = Some(6);

/// Counts the jobs that ran; the model's thread waits on it.
#[derive(Default)]
struct Done {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Done {
    fn one(&self) {
        *self.count.lock().unwrap() += 1;
        self.changed.notify_all();
    }

    fn wait_for(&self, jobs: usize) {
        let mut count = self.count.lock().unwrap();
        while *count < jobs {
            count = self.changed.wait(count).unwrap();
        }
    }
}

#[test]
fn loom_submit_racing_a_retirement_strands_no_job() {
    check(
        "pool: a submit racing a worker's retirement",
        PREEMPTIONS,
        || {
            let shared = pool(Duration::ZERO);
            let done = Arc::new(Done::default());
            for _ in 0..2 {
                let done = Arc::clone(&done);
                let job = JobCell::new(move || done.one());
                assert!(shared.enqueue(job).is_ok());
            }
            done.wait_for(2);
            // Joins whichever workers were started.
            shared.shutdown(true, false);
            assert_eq!(shared.workers(), 0);
        },
    );
}
