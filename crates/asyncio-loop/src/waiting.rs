//! Layer 0 (leaf types): what a pending task's step is suspended on, as the task dump
//! (`dump.rs`) shows it, when that is not a task or a [`CancelTarget`](crate::CancelTarget)
//! (those the header keeps for cancellation already): a sleep, a socket, a primitive of
//! `asyncio-sync`. One [`Waiting`] per pending task, in its registry slot (`registry.rs`),
//! written on the `Pending` path of the future that knows and forgotten when the next step
//! starts, as the header forgets what it awaited.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use asyncio_sync::WaitKind;

/// A task's identity while it is alive: what a dump's tree links tasks by, and what
/// [`CancelTarget::awaited_tasks`](crate::CancelTarget::awaited_tasks) names them by.
/// Like Python's `id(task)`, an address: a task made after this one ended may get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub(crate) usize);

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// What the step is suspended on, in two words. A sleep's deadline is kept as nanoseconds
/// from [`origin`] rather than as an `Instant` (two words on its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Waiting {
    /// Nothing that said so.
    #[default]
    Unknown,
    /// A timer (`sleep`, `sleep_until`), due at this many nanoseconds after [`origin`].
    Sleep(u64),
    /// Readiness of a registered descriptor.
    Io { fd: i32, write: bool },
    /// A primitive of `asyncio-sync`, or another operation that describes itself.
    Kind(&'static WaitKind),
    /// A task, through `shield`: shown nested, but not the task's cancellation target.
    Shield(TaskId),
}

/// The instant the deadlines of [`Waiting::Sleep`] count from.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(Instant::now)
}

impl Waiting {
    /// A sleep until `deadline` (one before the origin counts as the origin).
    pub(crate) fn sleep(deadline: Instant) -> Waiting {
        let nanos = deadline.saturating_duration_since(origin()).as_nanos();
        Waiting::Sleep(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// A sleep's deadline.
    pub(crate) fn deadline(nanos: u64) -> Instant {
        origin() + Duration::from_nanos(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::Waiting;
    use std::time::{Duration, Instant};

    #[test]
    fn two_words_and_a_deadline_survives_the_round_trip() {
        assert!(size_of::<Waiting>() <= 2 * size_of::<usize>());
        let at = Instant::now() + Duration::from_millis(250);
        let Waiting::Sleep(nanos) = Waiting::sleep(at) else {
            panic!("a sleep");
        };
        assert_eq!(Waiting::deadline(nanos), at);
    }
}
