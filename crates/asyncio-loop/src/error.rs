//! The crate's error types. Where asyncio has a message for the same mistake, `Display`
//! is asyncio's message, word for word (`RunError`, `RuntimeError`, `InvalidStateError`,
//! `IoError`); which operation failed is in the variant (`Debug`), and a wrapped error is
//! transparent (its message is this one's, its source the next).

use std::any::Any;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

/// Why a run of the loop (`run_until_complete`, `run_forever`, `run_once`) or another
/// loop-level operation could not happen, or did not finish.
///
/// `#[non_exhaustive]`: it has grown with every facade runner (nested runs, Ctrl-C), and
/// will again; match it with a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// The loop is already running (a run or `close()` was called from inside it).
    AlreadyRunning,
    /// The loop has been closed.
    Closed,
    /// Another event loop is running on this thread (`run_until_complete`, `run_forever`,
    /// `run_once`).
    NestedRun,
    /// The facade's `asyncio::run` was called while a loop runs on this thread.
    NestedAsyncioRun,
    /// The facade's `Runner::run` was called while a loop runs on this thread.
    NestedRunnerRun,
    /// `run_until_complete`: the loop was stopped before the future completed.
    StoppedBeforeComplete,
    /// `run_until_complete`: the main task was cancelled (asyncio raises `CancelledError`,
    /// whose message this displays).
    Cancelled,
    /// `close()` was called on a running loop.
    CloseRunning,
    /// The facade's `asyncio::run` / `Runner::run` was interrupted by Ctrl-C (SIGINT), where
    /// Python's `Runner` raises `KeyboardInterrupt` (whose name this displays): the main
    /// task was cancelled and ended by that cancellation, or a second SIGINT stopped the
    /// loop.
    Interrupted,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunError::AlreadyRunning => "This event loop is already running",
            RunError::Closed => "Event loop is closed",
            RunError::NestedRun => "Cannot run the event loop while another loop is running",
            RunError::NestedAsyncioRun => {
                "asyncio.run() cannot be called from a running event loop"
            }
            RunError::NestedRunnerRun => "Runner.run() cannot be called from a running event loop",
            RunError::StoppedBeforeComplete => "Event loop stopped before Future completed.",
            RunError::Cancelled => return CancelledError::new().fmt(f),
            RunError::CloseRunning => "Cannot close a running event loop",
            RunError::Interrupted => "KeyboardInterrupt",
        })
    }
}

impl std::error::Error for RunError {}

/// `get_running_loop()` (and friends) called where no loop is running on this thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeError {
    pub(crate) message: &'static str,
}

impl RuntimeError {
    pub(crate) const NO_RUNNING_LOOP: RuntimeError = RuntimeError {
        message: "no running event loop",
    };
}

impl fmt::Display for RuntimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for RuntimeError {}

/// An operation on a task or future that its state does not allow, as asyncio's
/// `InvalidStateError`: a result asked for before it is set, or a result set twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidStateError {
    pub(crate) message: &'static str,
}

impl InvalidStateError {
    /// A result asked for before it is set (asyncio's "Result is not set.").
    pub const NOT_SET: InvalidStateError = InvalidStateError {
        message: "Result is not set.",
    };
    /// CPython's C `Future.set_result` on a done future.
    pub const ALREADY_DONE: InvalidStateError = InvalidStateError {
        message: "invalid state",
    };
    /// Ours alone: a Python result can be read again, a Rust output is moved out once (by
    /// `result()` or an await).
    pub const TAKEN: InvalidStateError = InvalidStateError {
        message: "Result was already taken.",
    };

    /// The message, as asyncio phrases it.
    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl fmt::Display for InvalidStateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for InvalidStateError {}

/// A [`timeout`](crate::timeout) or [`timeout_at`](crate::timeout_at) ran out before its
/// future completed; the future was dropped first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // asyncio's `TimeoutError` has no message: its docstring.
        f.write_str("Timeout expired")
    }
}

impl std::error::Error for TimeoutError {}

/// A cancellation, as asyncio's `CancelledError`: what awaiting a cancelled
/// [`Future`](crate::Future) gives, and what a [`catch_cancelled`](crate::catch_cancelled)
/// scope returns when the cancellation of its task (or of a [`timeout`](crate::timeout)
/// around it) reaches it. It carries the message given to
/// [`Task::cancel_with`](crate::Task::cancel_with), if any.
///
/// Code that caught one may swallow it (go on; the task is no longer being cancelled) or
/// pass it on with [`reraise`](CancelledError::reraise).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CancelledError {
    pub(crate) message: Option<Arc<str>>,
    pub(crate) origin: CancelOrigin,
}

/// Who sent a cancellation: the task's own `cancel()`, or the timeout at this address
/// (whose scope only the code inside it may catch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum CancelOrigin {
    #[default]
    Task,
    Timeout(usize),
}

impl CancelledError {
    /// A cancellation without a message.
    pub fn new() -> CancelledError {
        CancelledError::default()
    }

    /// A cancellation carrying `message`, as `CancelledError(msg)`.
    pub fn with_message(message: impl Into<Arc<str>>) -> CancelledError {
        CancelledError {
            message: Some(message.into()),
            origin: CancelOrigin::Task,
        }
    }

    /// The message given to `cancel_with`, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

/// `CancelledError`'s docstring, its text when it has no message.
const CANCELLED: &str = "The Future or Task was cancelled.";

impl fmt::Display for CancelledError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // asyncio's `str(CancelledError(msg))` is the message; without one, its docstring
        // rather than nothing (as the other errors without a message here).
        f.write_str(self.message.as_deref().unwrap_or(CANCELLED))
    }
}

impl std::error::Error for CancelledError {}

/// Registering a file descriptor with the loop's reactor (`add_reader`, `add_writer`, a
/// socket) failed.
///
/// `#[non_exhaustive]`: a new way for the reactor to refuse may come with a new source.
#[derive(Debug)]
#[non_exhaustive]
pub enum IoError {
    /// The loop has been closed ("Event loop is closed").
    Closed,
    /// The operating system refused the registration: transparent, as asyncio lets the
    /// selector's `OSError` propagate.
    Register(std::io::Error),
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IoError::Closed => RunError::Closed.fmt(f),
            IoError::Register(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for IoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IoError::Closed => None,
            IoError::Register(e) => e.source(),
        }
    }
}

/// How a task failed: cancelled, or its future panicked.
///
/// Exhaustive on purpose: a task's outcome in asyncio is a result, an exception (here a
/// panic; an `Err` output is a value) or a cancellation, and nothing else, so code matching
/// both variants stays complete without a `_` arm that would hide a mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskError {
    /// The task was cancelled (its future was dropped at a suspension point).
    Cancelled,
    /// The task's future panicked.
    Panicked(Panic),
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str(CANCELLED),
            TaskError::Panicked(panic) => write!(f, "{panic}"),
        }
    }
}

impl std::error::Error for TaskError {}

/// A panic caught in a task: its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    /// Shared, not owned: a panic is cloned into reports. An `Arc<String>` rather than an
    /// `Arc<str>` so that it is one word: `TaskError` is then one word too, and a small
    /// task's stage no bigger than its future (a panic pays the extra indirection).
    message: Arc<String>,
}

/// The report of a panic payload whose own `Drop` panicked (see [`Panic::from_caught`]).
pub(crate) const PAYLOAD_DROP_PANICKED: &str = "Exception in dropping a panic's payload";

impl Panic {
    /// The panic a caught `payload` carries, with the payload dropped; beside it, the panic
    /// of that drop, if it had one. A payload may be any value (`std::panic::panic_any`),
    /// whose `Drop` may itself panic: that must not unwind out of the code that caught the
    /// first panic (the loop's iteration, a task's step), so it is caught here too, and
    /// its own payload is leaked, since dropping it could panic again. The caller reports
    /// it.
    pub(crate) fn from_caught(payload: Box<dyn Any + Send>) -> (Panic, Option<Panic>) {
        let panic = Panic::from_payload(&*payload);
        let dropped = catch_unwind(AssertUnwindSafe(|| drop(payload)));
        let second = dropped.err().map(|inner| {
            let second = Panic::from_payload(&*inner);
            std::mem::forget(inner);
            second
        });
        (panic, second)
    }

    pub(crate) fn from_payload(payload: &(dyn Any + Send)) -> Panic {
        let message: &str = if let Some(s) = payload.downcast_ref::<&str>() {
            s
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s
        } else {
            "Box<dyn Any>"
        };
        Panic {
            message: Arc::new(message.to_owned()),
        }
    }

    /// The panic's message (`"Box<dyn Any>"` when the payload was not a string).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Panic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.message)
    }
}

impl std::error::Error for Panic {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error;

    #[test]
    fn messages_are_asyncios_and_wrapped_errors_transparent() {
        assert_eq!(IoError::Closed.to_string(), "Event loop is closed");
        let refused = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "not permitted");
        let error = IoError::Register(refused);
        assert_eq!(
            error.to_string(),
            "not permitted",
            "the OSError's own message"
        );
        assert!(error.source().is_none(), "its message is not printed twice");
        assert!(format!("{error:?}").starts_with("Register("));
        assert_eq!(InvalidStateError::ALREADY_DONE.to_string(), "invalid state");
        assert_eq!(
            RunError::NestedAsyncioRun.to_string(),
            "asyncio.run() cannot be called from a running event loop"
        );
    }
}
