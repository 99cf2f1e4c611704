//! A worker thread: takes messages off the queue and runs jobs until it is told to stop or
//! stays idle for the pool's idle timeout. Threads start on demand from the submit path
//! ([`Shared`] decides when).
//!
//! The worker's place in the pool's counts is a guard, [`Seat`], whose drop does the exit
//! bookkeeping on every way out of the thread. User code is contained (`unwind.rs`), so
//! a worker should never unwind; if one does anyway, the counts still come out right and
//! a replacement takes over the queue, instead of the pool counting a dead thread forever.

use std::cell::Cell;
use std::io;
use std::sync::Arc;

use crate::job;
use crate::shared::{Message, Shared};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::thread_local;

thread_local! {
    /// The pool this thread works for (its `Shared`'s address), 0 on other threads.
    static POOL: Cell<usize> = const { Cell::new(0) };
}

/// Starts worker number `index` of `shared`'s pool, named `PREFIX_index`.
pub(crate) fn spawn(shared: &Arc<Shared>, index: usize) -> io::Result<JoinHandle<()>> {
    let config = &shared.config;
    // std panics on such a name; an error makes it a failed start like any other.
    if config.thread_name_prefix.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a thread name may not contain a NUL byte",
        ));
    }
    let mut builder = thread::Builder::new().name(format!("{}_{index}", config.thread_name_prefix));
    if let Some(size) = config.stack_size {
        builder = builder.stack_size(size);
    }
    let shared = Arc::clone(shared);
    builder.spawn(move || work(shared))
}

/// Whether the calling thread is a worker of `shared`'s pool.
pub(crate) fn is_worker_of(shared: &Arc<Shared>) -> bool {
    POOL.with(Cell::get) == pool_id(shared)
}

fn pool_id(shared: &Arc<Shared>) -> usize {
    Arc::as_ptr(shared) as usize
}

fn work(shared: Arc<Shared>) {
    POOL.with(|pool| pool.set(pool_id(&shared)));
    let seat = Seat {
        shared,
        place: Cell::new(Place::Idle),
    };
    while let Some(message) = seat.next_message() {
        match message {
            Message::Run(runnable) if seat.shared.cancelling() => {
                runnable.cancel();
                seat.returned();
                job::release(runnable);
            }
            // Counting this worker idle again before the result is published means a
            // caller that submits its next job as soon as it has this one's result finds
            // this worker available instead of starting another.
            Message::Run(runnable) => {
                runnable.run(&|| seat.returned());
                job::release(runnable);
            }
            Message::Stop => {
                seat.stopped();
                break;
            }
        }
    }
}

/// Where a worker stands in the pool's counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Counted in `alive` and `idle`: starting, between jobs, or waiting for a message.
    Idle,
    /// Counted in `alive` only: running (or cancelling) a job.
    Busy,
    /// Out of both counts: retired or stopped.
    Left,
}

/// A worker's place in the counts, kept in step with every transition so that its drop
/// knows what to give back.
struct Seat {
    shared: Arc<Shared>,
    place: Cell<Place>,
}

impl Seat {
    fn next_message(&self) -> Option<Message> {
        let message = self.shared.next_message();
        let place = if message.is_some() {
            Place::Busy
        } else {
            Place::Left
        };
        self.place.set(place);
        message
    }

    fn returned(&self) {
        self.shared.returned();
        self.place.set(Place::Idle);
    }

    fn stopped(&self) {
        self.shared.stopped();
        self.place.set(Place::Left);
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        match self.place.get() {
            Place::Left => {}
            // Only an unwind gets here with the worker still counted.
            place => self.shared.abandoned(place == Place::Idle),
        }
        self.shared.thread_exited();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crossbeam_channel::{Receiver, Sender};

    use super::*;
    use crate::job::{Job, JobCell, Runnable};
    use crate::shared::Config;

    const LIMIT: Duration = Duration::from_secs(10);

    /// A job that breaks the `Runnable` contract by unwinding out of `run` once released:
    /// whatever panic might still escape a worker, its counts must come out right.
    struct Unwinds {
        started: Sender<()>,
        release: Receiver<()>,
    }

    impl Runnable for Unwinds {
        fn run(&self, _returned: &dyn Fn()) {
            self.started.send(()).unwrap();
            let _ = self.release.recv();
            panic!("a runnable unwound out of its worker");
        }

        fn cancel(&self) -> bool {
            false
        }
    }

    #[test]
    fn a_worker_that_unwinds_leaves_the_counts_and_a_replacement_runs_the_queue() {
        let shared = Shared::new(Config {
            max_workers: 1,
            thread_name_prefix: "unwound".into(),
            idle_timeout: Duration::from_secs(60),
            stack_size: None,
        });
        let (started, started_rx) = crossbeam_channel::bounded(1);
        let (release_tx, release) = crossbeam_channel::bounded(1);
        shared
            .enqueue(Arc::new(Unwinds { started, release }))
            .unwrap();
        started_rx.recv_timeout(LIMIT).unwrap();
        // The only worker is busy, so this job waits in the queue for it.
        let cell = JobCell::new(|| 5);
        let mut job = Job::new(Arc::clone(&cell));
        shared.enqueue(cell).unwrap();
        release_tx.send(()).unwrap();
        assert_eq!(job.result(LIMIT), Ok(5), "nobody ran the queued job");

        let (done_tx, done_rx) = crossbeam_channel::bounded(1);
        let waiter = Arc::clone(&shared);
        thread::spawn(move || {
            waiter.shutdown(true, false);
            let _ = done_tx.send((waiter.workers(), waiter.idle()));
        });
        assert_eq!(
            done_rx.recv_timeout(LIMIT),
            Ok((0, 0)),
            "shutdown did not return"
        );
    }
}
