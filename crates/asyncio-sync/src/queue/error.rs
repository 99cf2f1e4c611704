//! The queue's errors, named after asyncio's exceptions. Every error that refuses an item
//! hands it back, so a rejected `put` never loses it.

use std::fmt;

/// `get_nowait()` found no item to take (asyncio's `QueueEmpty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueEmpty;

impl fmt::Display for QueueEmpty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("get_nowait() on an empty queue")
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
        f.write_str("put_nowait() on a full queue")
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
        f.write_str("queue operation on a shut-down queue")
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
            Self::Full(_) => f.write_str("put_nowait() on a full queue"),
            Self::ShutDown(_) => f.write_str("put_nowait() on a shut-down queue"),
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
            Self::Empty(_) => f.write_str("get_nowait() on an empty queue"),
            Self::ShutDown(_) => f.write_str("get_nowait() on a shut-down, drained queue"),
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
    fn messages_name_the_operation() {
        assert_eq!(QueueEmpty.to_string(), "get_nowait() on an empty queue");
        assert_eq!(QueueFull(1).to_string(), "put_nowait() on a full queue");
        assert_eq!(
            PutNowaitError::ShutDown(QueueShutDown(1)).to_string(),
            "put_nowait() on a shut-down queue"
        );
        assert_eq!(
            GetNowaitError::ShutDown(QueueShutDown(())).to_string(),
            "get_nowait() on a shut-down, drained queue"
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
