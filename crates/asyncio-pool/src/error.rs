//! The two error types: [`PoolError`] for what the pool refuses (building it, accepting a job),
//! [`JobError`] for a job that produced no value.

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
            PoolError::ZeroWorkers => {
                f.write_str("ThreadPool::new: max_workers must be greater than 0, got 0")
            }
            PoolError::ShutDown => {
                f.write_str("ThreadPool::submit: cannot schedule new jobs after shutdown")
            }
            PoolError::Spawn(reason) => write!(
                f,
                "ThreadPool::submit: could not start a worker thread: {reason}"
            ),
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
            JobError::Cancelled => f.write_str("job was cancelled before it started"),
            JobError::Panicked(message) => write!(f, "job panicked: {message}"),
            JobError::TimedOut(timeout) => {
                write!(f, "Job::result: no result within {timeout:?}")
            }
            JobError::Rejected(cause) => write!(f, "to_thread: job rejected: {cause}"),
        }
    }
}

impl Error for JobError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            JobError::Rejected(cause) => Some(cause),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_operation() {
        assert!(PoolError::ZeroWorkers.to_string().contains("max_workers"));
        assert!(PoolError::ShutDown.to_string().contains("after shutdown"));
        assert!(
            JobError::Panicked("boom".into())
                .to_string()
                .ends_with("boom")
        );
        let rejected = JobError::Rejected(PoolError::ShutDown);
        assert!(rejected.to_string().starts_with("to_thread"));
        assert_eq!(
            rejected.source().map(|s| s.to_string()),
            Some(PoolError::ShutDown.to_string())
        );
    }
}
