//! The two error types: [`PoolError`] for what the pool refuses (building it, accepting a job),
//! [`JobError`] for a job that produced no value.
//!
//! Each displays what Python's `concurrent.futures` says for the same case: its
//! `ValueError` / `RuntimeError` messages, a job's own panic message (as the function's
//! exception propagates unchanged), and for the exceptions it raises bare (`CancelledError`,
//! `TimeoutError`) their docstrings' words. Which operation failed, and details such as a
//! timeout's length or the operating system's reason, are in the variant (`Debug`).

use std::error::Error;
use std::fmt;
use std::time::Duration;

/// Why the pool could not be built or did not accept a job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PoolError {
    /// `max_workers` was 0: a pool needs at least one worker to run anything.
    ZeroWorkers,
    /// The pool was shut down ([`ThreadPool::shutdown`](crate::ThreadPool::shutdown)) and
    /// takes no new jobs.
    ShutDown,
    /// A worker thread could not be started while the pool had none, so nothing could run
    /// the job (the job was cancelled). The text says why: usually the operating system's
    /// error, or a thread name prefix with a NUL byte in it.
    Spawn(String),
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::ZeroWorkers => f.write_str("max_workers must be greater than 0"),
            PoolError::ShutDown => f.write_str("cannot schedule new futures after shutdown"),
            // Python's `_thread` message; the reason is in `Debug`.
            PoolError::Spawn(_) => f.write_str("can't start new thread"),
        }
    }
}

impl Error for PoolError {}

/// Why a [`Job`](crate::Job) gave no value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobError {
    /// The job was cancelled while still queued ([`Job::cancel`](crate::Job::cancel), or
    /// `shutdown(_, cancel_queued = true)`); its function never ran.
    Cancelled,
    /// The job's function panicked; the text is the panic's message. The worker survived.
    /// The process's panic hook still ran on the worker thread first (the default one
    /// prints the message to stderr), as for a panic on any thread.
    Panicked(String),
    /// [`Job::result`](crate::Job::result) gave up after this long; the job goes on and can
    /// still be waited for.
    TimedOut(Duration),
    /// [`to_thread`](crate::to_thread) could not hand the job to the default pool.
    Rejected(PoolError),
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Cancelled => f.write_str("The Future was cancelled"),
            JobError::Panicked(message) => f.write_str(message),
            JobError::TimedOut(_) => f.write_str("Timeout expired"),
            JobError::Rejected(cause) => cause.fmt(f),
        }
    }
}

/// No source: `Rejected` displays its cause (it is transparent, as the `RuntimeError` of
/// `submit` propagates from `to_thread`), and the others have none.
impl Error for JobError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_pythons() {
        let message = |e: &dyn Error| e.to_string();
        assert_eq!(
            message(&PoolError::ZeroWorkers),
            "max_workers must be greater than 0"
        );
        assert_eq!(
            message(&PoolError::ShutDown),
            "cannot schedule new futures after shutdown"
        );
        let spawn = PoolError::Spawn("Resource temporarily unavailable".into());
        assert_eq!(message(&spawn), "can't start new thread");
        assert!(format!("{spawn:?}").contains("Resource temporarily unavailable"));
        assert_eq!(message(&JobError::Panicked("boom".into())), "boom");
        assert_eq!(message(&JobError::Cancelled), "The Future was cancelled");
        let timed_out = JobError::TimedOut(Duration::from_millis(5));
        assert_eq!(message(&timed_out), "Timeout expired");
        assert_eq!(format!("{timed_out:?}"), "TimedOut(5ms)");
        let rejected = JobError::Rejected(PoolError::ShutDown);
        assert_eq!(message(&rejected), message(&PoolError::ShutDown));
        assert!(
            rejected.source().is_none(),
            "transparent: no doubled message"
        );
    }
}
