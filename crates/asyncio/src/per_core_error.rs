//! [`LoopSetError`]: how a run of a [`LoopSet`](crate::LoopSet) fails, naming the loop
//! that failed first.

use std::any::Any;
use std::fmt;
use std::io;
use std::sync::Mutex;

use asyncio_loop::RunError;

/// Why a [`LoopSet`](crate::LoopSet) run failed.
#[non_exhaustive]
pub enum LoopSetError {
    /// Loop `index`'s main panicked (the first loop to fail); the others' mains were
    /// cancelled and every loop cleaned up. [`into_panic`](Self::into_panic) gives the
    /// payload, for `std::panic::resume_unwind`.
    Panicked {
        /// The loop whose main panicked.
        index: usize,
        /// The panic.
        panic: LoopPanic,
    },
    /// Loop `index`'s run failed with `error` (the first loop to fail; e.g. its main was
    /// cancelled from inside: `RunError::Cancelled`); the others' mains were cancelled.
    Failed {
        /// The loop whose run failed.
        index: usize,
        /// Its run's error.
        error: RunError,
    },
    /// Ctrl-C (SIGINT) cancelled the mains (Python's `KeyboardInterrupt`), or a second
    /// one stopped the loops; every loop was cleaned up.
    Interrupted,
    /// Called from inside a running loop (a set blocks its caller, so it cannot run in a
    /// loop's task): asyncio's "asyncio.run() cannot be called from a running event loop".
    Nested,
    /// A loop's thread could not be started; none of the mains ran.
    Spawn(io::Error),
}

impl LoopSetError {
    /// The panic's payload if a main panicked, else the error back.
    pub fn into_panic(self) -> Result<Box<dyn Any + Send>, LoopSetError> {
        match self {
            LoopSetError::Panicked { panic, .. } => Ok(panic.into_payload()),
            other => Err(other),
        }
    }

    /// The loop that failed first, if one did.
    pub fn index(&self) -> Option<usize> {
        match self {
            LoopSetError::Panicked { index, .. } | LoopSetError::Failed { index, .. } => {
                Some(*index)
            }
            _ => None,
        }
    }
}

/// A loop's panic: its message, and its payload to resume it with. The payload sits in a
/// `Mutex` (only ever taken whole) so that the error is `Sync`, as `Box<dyn Error + Send +
/// Sync>` and error crates want, though a panic's payload is only `Send`.
pub struct LoopPanic {
    message: String,
    payload: Mutex<Box<dyn Any + Send>>,
}

impl LoopPanic {
    pub(crate) fn new(payload: Box<dyn Any + Send>) -> LoopPanic {
        LoopPanic {
            message: panic_message(&*payload).to_owned(),
            payload: Mutex::new(payload),
        }
    }

    /// The panic's message (`"Box<dyn Any>"` when the payload was not a string).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The payload, for `std::panic::resume_unwind`.
    pub fn into_payload(self) -> Box<dyn Any + Send> {
        self.payload
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for LoopPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LoopPanic").field(&self.message).finish()
    }
}

/// The panic's message, as `std` prints it, or a placeholder for other payloads.
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(message) = payload.downcast_ref::<&str>() {
        message
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message
    } else {
        "Box<dyn Any>"
    }
}

impl fmt::Display for LoopSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopSetError::Panicked { index, panic } => {
                write!(f, "loop {index} panicked: {}", panic.message())
            }
            LoopSetError::Failed { index, error } => write!(f, "loop {index}: {error}"),
            LoopSetError::Interrupted => RunError::Interrupted.fmt(f),
            LoopSetError::Nested => RunError::NestedAsyncioRun.fmt(f),
            LoopSetError::Spawn(_) => f.write_str("cannot start a loop's thread"),
        }
    }
}

impl fmt::Debug for LoopSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoopSetError::Panicked { index, panic } => f
                .debug_struct("Panicked")
                .field("index", index)
                .field("message", &panic.message())
                .finish(),
            LoopSetError::Failed { index, error } => f
                .debug_struct("Failed")
                .field("index", index)
                .field("error", error)
                .finish(),
            LoopSetError::Interrupted => f.write_str("Interrupted"),
            LoopSetError::Nested => f.write_str("Nested"),
            LoopSetError::Spawn(error) => f.debug_tuple("Spawn").field(error).finish(),
        }
    }
}

impl std::error::Error for LoopSetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // `Failed` shows its `RunError` in its own message: that is the whole story.
            LoopSetError::Spawn(error) => Some(error),
            _ => None,
        }
    }
}
