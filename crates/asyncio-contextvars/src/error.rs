//! The crate's errors, each worded as CPython's: its message is Python's `str(exception)`
//! without the object addresses (`at 0x7f..`), which a Rust program has no use for, and
//! without a variable's `default=...`, which would need its type to be `Debug`.

use std::fmt;

/// A variable without a value or default was read (Python's `LookupError`, whose message
/// is the variable's repr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupError {
    pub(crate) name: &'static str,
}

impl LookupError {
    /// The error of reading the unset variable named `name`.
    pub fn new(name: &'static str) -> LookupError {
        LookupError { name }
    }

    /// The variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<ContextVar name='{}'>", self.name)
    }
}

impl std::error::Error for LookupError {}

/// Why [`ContextVar::reset`](crate::ContextVar::reset) refused a token. The variable is
/// left as it was. Each variant names the variable the token was made by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetError {
    /// The token was used by an earlier `reset` (Python's `RuntimeError`).
    AlreadyUsed {
        /// The token's variable.
        var: &'static str,
    },
    /// The token was made by another variable of the same type (Python's `ValueError`).
    DifferentVar {
        /// The token's variable.
        var: &'static str,
    },
    /// The token was made in another context: another task's, a callback's, one entered
    /// with `Context::run` (Python's `ValueError`).
    DifferentContext {
        /// The token's variable.
        var: &'static str,
    },
}

impl fmt::Display for ResetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetError::AlreadyUsed { var } => write!(
                f,
                "<Token used var=<ContextVar name='{var}'>> has already been used once"
            ),
            ResetError::DifferentVar { var } => write!(
                f,
                "<Token var=<ContextVar name='{var}'>> was created by a different ContextVar"
            ),
            ResetError::DifferentContext { var } => write!(
                f,
                "<Token var=<ContextVar name='{var}'>> was created in a different Context"
            ),
        }
    }
}

impl std::error::Error for ResetError {}

/// [`Context::run`](crate::Context::run) on a context that is entered already, on this
/// thread: by an enclosing `run`, or as the context of the task whose step is running
/// (Python's `RuntimeError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnterError;

impl fmt::Display for EnterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot enter context: <_contextvars.Context object> is already entered")
    }
}

impl std::error::Error for EnterError {}
