//! A worker thread: takes messages off the queue and runs jobs until it is told to stop or
//! stays idle for the pool's idle timeout. Threads start on demand from the submit path
//! ([`Shared`] decides when).

use std::cell::Cell;
use std::io;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use crate::job;
use crate::shared::{Message, Shared};

thread_local! {
    /// The pool this thread works for (its `Shared`'s address), 0 on other threads.
    static POOL: Cell<usize> = const { Cell::new(0) };
}

/// Starts worker number `index` of `shared`'s pool, named `PREFIX_index`.
pub(crate) fn spawn(shared: &Arc<Shared>, index: usize) -> io::Result<JoinHandle<()>> {
    let config = &shared.config;
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
    while let Some(message) = shared.next_message() {
        match message {
            Message::Run(runnable) if shared.cancelling() => {
                runnable.cancel();
                shared.returned();
                job::release(runnable);
            }
            // Counting this worker idle again before the result is published means a
            // caller that submits its next job as soon as it has this one's result finds
            // this worker available instead of starting another.
            Message::Run(runnable) => {
                runnable.run(&|| shared.returned());
                job::release(runnable);
            }
            Message::Stop => {
                shared.stopped();
                break;
            }
        }
    }
    shared.thread_exited();
}
