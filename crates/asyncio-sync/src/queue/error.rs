//! The queue's errors, named after asyncio's exceptions. Every error that refuses an item
//! hands it back, so a rejected `put` never loses it.
//!
//! Their messages: asyncio raises `QueueEmpty`, `QueueFull` and `QueueShutDown` bare (a
//! traceback shows only the class name), so these say the same in the words of the
//! classes' docstrings and the style of asyncio's other messages ("Event loop is closed");
//! `task_done()`'s is asyncio's `ValueError` message. Which operation failed is in the
//! type and the variant (`Debug`), not in the text.

use std::fmt;

/// `get_nowait()` found no item to take (asyncio's `QueueEmpty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEmpty;

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Queue is empty")
    }
}

impl std::error::Error for QueueEmpty {}

/// `put_nowait(item)` found the queue full (asyncio's `QueueFull`); the item is handed back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QueueFull<T>(pub T);

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull(..)")
    }
}

impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Queue is full")
    }
}

impl<T> std::error::Error for QueueFull<T> {}

/// The queue was shut down (asyncio's `QueueShutDown`). From `put`, it hands the item back
/// (`QueueShutDown<T>`); from `get`, it carries nothing (`QueueShutDown<()>`).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Queue is shut down")
    }
}

impl<T> std::error::Error for QueueShutDown<T> {}

/// Why `put_nowait(item)` refused the item, which it hands back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PutNowaitError<T> {
    /// The queue is full.
    Full(QueueFull<T>),
    /// The queue was shut down.
    ShutDown(QueueShutDown<T>),
}

impl<T> PutNowaitError<T> {
    /// The item that was refused.
    pub fn into_inner(self) -> T {
        match self {
            Self::Full(QueueFull(item)) | Self::ShutDown(QueueShutDown(item)) => item,
        }
    }
}

impl<T> fmt::Debug for PutNowaitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(e) => write!(f, "Full({e:?})"),
            Self::ShutDown(e) => write!(f, "ShutDown({e:?})"),
        }
    }
}

impl<T> fmt::Display for PutNowaitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Full(e) => e.fmt(f),
            Self::ShutDown(e) => e.fmt(f),
        }
    }
}

impl<T> std::error::Error for PutNowaitError<T> {}

/// Why `get_nowait()` returned no item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetNowaitError {
    /// No item is there to take.
    Empty(QueueEmpty),
    /// The queue was shut down and no item is left.
    ShutDown(QueueShutDown),
}

impl fmt::Display for GetNowaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty(e) => e.fmt(f),
            Self::ShutDown(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for GetNowaitError {}

/// `task_done()` was called more times than items were put (asyncio raises `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl std::error::Error for TaskDoneError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_asyncios() {
        assert_eq!(QueueEmpty.to_string(), "Queue is empty");
        assert_eq!(
            GetNowaitError::Empty(QueueEmpty).to_string(),
            "Queue is empty"
        );
        assert_eq!(QueueFull(1).to_string(), "Queue is full");
        assert_eq!(
            PutNowaitError::Full(QueueFull(1)).to_string(),
            "Queue is full"
        );
        assert_eq!(
            PutNowaitError::ShutDown(QueueShutDown(1)).to_string(),
            "Queue is shut down"
        );
        assert_eq!(
            GetNowaitError::ShutDown(QueueShutDown(())).to_string(),
            "Queue is shut down"
        );
        assert_eq!(
            format!("{:?}", GetNowaitError::ShutDown(QueueShutDown(()))),
            "ShutDown(QueueShutDown(..))",
            "which case is in Debug"
        );
        assert_eq!(
            TaskDoneError.to_string(),
            "task_done() called too many times"
        );
    }

    #[test]
    fn refused_items_are_handed_back() {
        assert_eq!(PutNowaitError::Full(QueueFull("a")).into_inner(), "a");
        assert_eq!(
            PutNowaitError::ShutDown(QueueShutDown("b")).into_inner(),
            "b"
        );
    }
}
