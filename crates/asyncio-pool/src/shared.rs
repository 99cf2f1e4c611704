//! The state a pool's handles and its worker threads share: the job queue and the counters
//! that decide when a worker starts, when it may retire, and when shutdown is complete.
//!
//! Growth is decided on the submit path without a lock: after queueing a job, the submitter
//! starts a worker only if there are more queued jobs than idle workers (`queued > idle`,
//! where a worker is idle from the moment its job's function returns until it takes its
//! next message, and a starting worker counts as idle) and fewer workers than
//! `max_workers`. A worker that times out idle leaves the count first and then looks at the
//! queue once more, so a job queued while it was leaving is never stranded (see
//! [`Shared::retire`]).
//!
//! Shutdown closes a gate that every submit passes through, waits for the submits inside
//! it, then queues one `Stop` per thread behind every accepted job.
//!
//! **Memory orderings.** Two patterns, two needs:
//!
//! - *The gate* is a message-passing handshake on one atomic: a submit's increment and
//!   shutdown's `SHUT` are read-modify-writes of `gate`, so one of them sees the other;
//!   a submit that got in leaves by a `Release` decrement after its send (and its
//!   worker's count), which shutdown's `Acquire` loads read before it counts threads and
//!   sends the `Stop`s. Acquire/release is all it takes, and all the loom model of
//!   shutdown (`loom_models/shutdown.rs`) checks: loom treats every `SeqCst` access as
//!   acquire/release, so the model passed with no more than these orderings before they
//!   were written down here (they were `SeqCst`, "to be safe").
//! - *Growth against retirement* is store buffering (Dekker's pattern): the submitter
//!   writes the queue and then reads `idle`; the retiring worker writes `idle` and `alive`
//!   and then reads the queue. Acquire/release allows both to read the old value (each
//!   write still in its core's store buffer): the submit sees the worker idle and starts
//!   none, the worker sees the queue empty and leaves, and the job is stranded. Only a
//!   single total order forbids that, hence a `SeqCst` fence on each side between its
//!   write and its read. Without the fences the protocol would rest on the orderings
//!   inside crossbeam's channel (its tail index is moved by a `SeqCst` compare-exchange
//!   and read by `SeqCst` loads today, which also happens to forbid the outcome), which
//!   crossbeam does not document. The counters keep `SeqCst` too: they are the other
//!   half of those accesses, they are read-modify-writes (a locked instruction on x86
//!   whatever the ordering, so weaker buys nothing there), and the argument stays
//!   "every access of the pattern is in the one total order". loom does not settle this
//!   part either way: the retirement model (`loom_models/retire.rs`) passes without the
//!   fences too (docs/architecture.md, "What the tools cover"), since its channel
//!   stand-in sends under a lock the worker's receive also took, which orders more than
//!   crossbeam's channel does; so the model is blind to the fences, which is not the
//!   same as their being unneeded.

use std::mem;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use crate::error::PoolError;
use crate::job::{self, Runnable};
use crate::sync::channel::{self, Receiver, RecvTimeoutError, Sender};
use crate::sync::thread::{self, JoinHandle};
use crate::sync::{AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, fence};
use crate::worker;

/// What travels on the queue.
pub(crate) enum Message {
    /// A job to run.
    Run(Arc<dyn Runnable>),
    /// Shutdown: the worker that takes this exits. Sent after every accepted job, so each
    /// worker only sees it once the queue ahead of it is drained.
    Stop,
}

/// A pool's settings, fixed at construction.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_workers: usize,
    pub(crate) thread_name_prefix: String,
    pub(crate) idle_timeout: Duration,
    pub(crate) stack_size: Option<usize>,
}

/// In `gate`: set once shutdown has begun; the bits below count submits in flight.
const SHUT: usize = 1 << (usize::BITS - 1);

pub(crate) struct Shared {
    pub(crate) config: Config,
    sender: Sender<Message>,
    receiver: Receiver<Message>,
    /// `SHUT` plus the number of submits between their shutdown check and their enqueue.
    gate: AtomicUsize,
    /// Workers counted towards `max_workers`.
    alive: AtomicUsize,
    /// Workers not running a job: starting, between jobs, or waiting for a message.
    idle: AtomicUsize,
    /// Worker threads started and not yet exited (what shutdown waits for).
    threads: AtomicUsize,
    /// Set by `shutdown(_, cancel_queued = true)`: workers cancel what they dequeue.
    cancelling: AtomicBool,
    /// The `M` of the next worker's name `PREFIX_M`.
    next_index: AtomicUsize,
    exit_lock: Mutex<()>,
    exited: Condvar,
    /// Threads to join on `shutdown(wait = true)`; finished ones are pruned at each spawn.
    handles: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Arc<Self> {
        let (sender, receiver) = channel::unbounded();
        Arc::new(Shared {
            config,
            sender,
            receiver,
            gate: AtomicUsize::new(0),
            alive: AtomicUsize::new(0),
            idle: AtomicUsize::new(0),
            threads: AtomicUsize::new(0),
            cancelling: AtomicBool::new(false),
            next_index: AtomicUsize::new(0),
            exit_lock: Mutex::new(()),
            exited: Condvar::new(),
            handles: Mutex::new(Vec::new()),
        })
    }

    /// Queues `job` and starts a worker if every worker is busy.
    pub(crate) fn enqueue(self: &Arc<Self>, job: Arc<dyn Runnable>) -> Result<(), PoolError> {
        // Acquire: the send below stays after the check (see "Memory orderings").
        let prev = self.gate.fetch_add(1, Ordering::AcqRel);
        let _in_flight = InFlight(&self.gate);
        if prev & SHUT != 0 {
            return Err(PoolError::ShutDown);
        }
        // The receiver lives as long as `self`, so the queue cannot be disconnected.
        self.sender
            .send(Message::Run(job))
            .map_err(|_| PoolError::ShutDown)?;
        self.grow_if_needed()
    }

    fn grow_if_needed(self: &Arc<Self>) -> Result<(), PoolError> {
        // Pairs with the fence in `retire`: either this submit sees the retiring worker gone
        // (and may start another), or the worker sees this job in the queue (and stays).
        // Store buffering: only `SeqCst` forbids both missing (see "Memory orderings").
        fence(Ordering::SeqCst);
        if self.receiver.len() <= self.idle.load(Ordering::SeqCst) || !self.claim_worker_slot() {
            return Ok(());
        }
        // Counted before it exists, so a racing submit sees the worker coming; the
        // reservation gives the counts back unless the thread starts, even if spawning
        // panics (std panics on some thread names).
        self.threads.fetch_add(1, Ordering::SeqCst);
        self.idle.fetch_add(1, Ordering::SeqCst);
        let reservation = Reservation(self);
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        match worker::spawn(self, index) {
            Ok(handle) => {
                // The thread does its own bookkeeping from here.
                mem::forget(reservation);
                let mut handles = lock(&self.handles);
                handles.retain(|handle| !handle.is_finished());
                handles.push(handle);
                Ok(())
            }
            Err(error) => {
                drop(reservation);
                if self.alive.load(Ordering::SeqCst) == 0 {
                    Err(PoolError::Spawn(error.to_string()))
                } else {
                    Ok(()) // the workers there are will get to it
                }
            }
        }
    }

    /// Counts one more worker if that stays within `max_workers`.
    fn claim_worker_slot(&self) -> bool {
        let max = self.config.max_workers;
        self.alive
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |alive| {
                (alive < max).then_some(alive + 1)
            })
            .is_ok()
    }

    /// The next message for an idle worker, waiting up to the idle timeout for one; the
    /// worker is busy from then on. `None` when it should exit because it stayed idle.
    pub(crate) fn next_message(&self) -> Option<Message> {
        let message = match self.receiver.try_recv() {
            Ok(message) => message,
            Err(_) => self.wait_for_message()?,
        };
        self.idle.fetch_sub(1, Ordering::SeqCst);
        Some(message)
    }

    fn wait_for_message(&self) -> Option<Message> {
        loop {
            // An idle timeout too long to be a deadline (`Duration::MAX`) never expires:
            // crossbeam checks the `Instant` addition and then waits without one.
            match self.receiver.recv_timeout(self.config.idle_timeout) {
                Ok(message) => return Some(message),
                Err(RecvTimeoutError::Timeout) if self.retire() => return None,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => {
                    self.idle.fetch_sub(1, Ordering::SeqCst);
                    self.alive.fetch_sub(1, Ordering::SeqCst);
                    return None;
                }
            }
        }
    }

    /// An idle worker leaves the counts; `false` if it must stay after all because a job
    /// arrived while it was leaving and there is room for it.
    fn retire(&self) -> bool {
        // `alive` first: a submitter that sees this worker gone from `idle` then also sees
        // the free slot, and starts a thread if the queue needs one.
        self.alive.fetch_sub(1, Ordering::SeqCst);
        self.idle.fetch_sub(1, Ordering::SeqCst);
        // Pairs with the fence in `grow_if_needed` (see "Memory orderings").
        fence(Ordering::SeqCst);
        if self.receiver.is_empty() || !self.claim_worker_slot() {
            return true;
        }
        self.idle.fetch_add(1, Ordering::SeqCst);
        false
    }

    /// A worker's job returned (or was skipped): it is idle again.
    pub(crate) fn returned(&self) {
        self.idle.fetch_add(1, Ordering::SeqCst);
    }

    /// A worker took `Stop` and leaves.
    pub(crate) fn stopped(&self) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
    }

    /// A worker leaves without retiring or taking a `Stop` (it unwound): it gives back its
    /// place in the counts, and a thread starts in its stead if the queue needs one. Called
    /// before the worker's `thread_exited`, so a shutdown waiting for the threads cannot
    /// see zero before the replacement is counted and its handle kept.
    pub(crate) fn abandoned(self: &Arc<Self>, idle: bool) {
        self.alive.fetch_sub(1, Ordering::SeqCst);
        if idle {
            self.idle.fetch_sub(1, Ordering::SeqCst);
        }
        // A pending `Stop` counts as queued, so after shutdown the replacement takes the
        // one this worker left behind. If no thread can start, a later submit retries.
        let _ = self.grow_if_needed();
    }

    /// Whether queued jobs are to be cancelled rather than run.
    pub(crate) fn cancelling(&self) -> bool {
        self.cancelling.load(Ordering::Relaxed)
    }

    /// A worker thread is gone (or never started): wake `shutdown(wait = true)`.
    pub(crate) fn thread_exited(&self) {
        self.threads.fetch_sub(1, Ordering::SeqCst);
        let _guard = lock(&self.exit_lock);
        self.exited.notify_all();
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.gate.load(Ordering::Acquire) & SHUT != 0
    }

    /// See [`ThreadPool::shutdown`](crate::ThreadPool::shutdown).
    pub(crate) fn shutdown(self: &Arc<Self>, wait: bool, cancel_queued: bool) {
        if cancel_queued {
            self.cancelling.store(true, Ordering::SeqCst);
        }
        let first = self.gate.fetch_or(SHUT, Ordering::AcqRel) & SHUT == 0;
        // Submits that passed the check before `SHUT` finish queueing (they never block),
        // so every accepted job sits ahead of the `Stop`s sent below: the `Acquire` load
        // that sees the last one leave also sees its send and its worker's count.
        while self.gate.load(Ordering::Acquire) & !SHUT != 0 {
            thread::yield_now();
        }
        if cancel_queued {
            self.cancel_queued();
        }
        if first {
            // One `Stop` per thread: no thread starts after this, and each exits at its first.
            for _ in 0..self.threads.load(Ordering::SeqCst) {
                let _ = self.sender.send(Message::Stop);
            }
        }
        if wait {
            self.wait_for_workers();
        }
    }

    /// Cancels every queued job now, so callers awaiting them learn at once even if all
    /// workers are busy. `Stop`s drained on the way (a second shutdown) are put back.
    fn cancel_queued(&self) {
        let mut stops = 0;
        while let Ok(message) = self.receiver.try_recv() {
            match message {
                Message::Run(runnable) => {
                    // Contains its closure's drop: the stops below must still be sent.
                    runnable.cancel();
                    job::release(runnable);
                }
                Message::Stop => stops += 1,
            }
        }
        for _ in 0..stops {
            let _ = self.sender.send(Message::Stop);
        }
    }

    /// Blocks until every worker thread has exited, except the calling one if it is a
    /// worker of this pool (a job may shut its own pool down).
    fn wait_for_workers(self: &Arc<Self>) {
        let keep = usize::from(worker::is_worker_of(self));
        let mut guard = lock(&self.exit_lock);
        while self.threads.load(Ordering::SeqCst) > keep {
            guard = self
                .exited
                .wait(guard)
                .unwrap_or_else(PoisonError::into_inner);
        }
        drop(guard);
        // Every worker is done with the pool; joining also waits out the threads' own
        // teardown, so they are gone from the process when `shutdown` returns. The only
        // thread that starts after shutdown replaces one that unwound, and is listed before
        // that one stops counting, so the list is complete.
        let me = thread::current().id();
        let handles = mem::take(&mut *lock(&self.handles));
        for handle in handles {
            if handle.thread().id() != me {
                // User code's panics are contained, so this is never an error; should one
                // escape anyway, the worker's seat already gave its counts back.
                let _ = handle.join();
            }
        }
    }

    pub(crate) fn workers(&self) -> usize {
        self.threads.load(Ordering::SeqCst)
    }

    pub(crate) fn idle(&self) -> usize {
        self.idle.load(Ordering::SeqCst)
    }

    pub(crate) fn queued(&self) -> usize {
        self.receiver.len()
    }
}

/// Locks `mutex`; nothing panics while these locks are held, so poisoning cannot leave
/// broken state behind.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A worker counted in `alive`, `idle` and `threads` whose thread is not started yet; gives
/// the counts back when dropped.
struct Reservation<'a>(&'a Shared);

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.0.idle.fetch_sub(1, Ordering::SeqCst);
        self.0.alive.fetch_sub(1, Ordering::SeqCst);
        self.0.thread_exited();
    }
}

/// Leaves the submit gate when the submit is done, whatever the outcome.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        // Release: publishes the submit's send and worker count to `shutdown`.
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
