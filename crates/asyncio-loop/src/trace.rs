//! Layer 0 (leaf types): what the `tracing` feature adds to a task, compiled only with the
//! feature: a `task` span from creation to the end (fields `task.name`, `task.id`, and
//! `task.outcome` recorded at the end), and a `poll` span, its child, around each step.
//!
//! Both spans are entered for the step, so events a task's code emits nest under
//! `task{..}:poll`, and a subscriber that times spans (tracing-subscriber's `FmtSpan::CLOSE`)
//! reports a task's busy and idle time when it ends. The task span has no parent: a task
//! outlives the step that spawned it, and a parent would be kept open as long as it.
//!
//! Levels: `task` is DEBUG, `poll` TRACE (the loop's reports, `exception.rs`, are WARN or
//! ERROR). Whether a subscriber wants a span is asked once per task; a task created while
//! none did (or before one was installed) is not traced at all, and its steps cost a
//! test of one word.

use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::Span;
use tracing::span::EnteredSpan;

/// The process-wide counter behind `task.id`: every task has one, named or not (the
/// `Task-N` counter counts only unnamed tasks, as asyncio's does).
static TASK_IDS: AtomicU64 = AtomicU64::new(0);

/// A task's spans: kept in its header while the feature is on.
pub(crate) struct TaskTrace {
    /// `task.id`: unique in the process, 1 for the first task.
    id: u64,
    /// The `task` span while the task is pending; `None` once it ended, or if no subscriber
    /// wanted it. Boxed: an untraced task's header grows by one word, not by a `Span`'s six,
    /// and its steps test one word instead of moving a `Span` in and out.
    span: Cell<Option<Box<Span>>>,
}

impl TaskTrace {
    /// A new task's trace: its id and its `task` span, named `name`, or `Task-{number}`.
    pub(crate) fn new(name: Option<&str>, number: u64) -> TaskTrace {
        let id = TASK_IDS.fetch_add(1, Ordering::Relaxed) + 1;
        // The name is formatted only if a subscriber wants the span.
        let span = tracing::debug_span!(
            parent: None,
            "task",
            task.name = %TaskName { name, number },
            task.id = id,
            task.outcome = tracing::field::Empty,
        );
        TaskTrace {
            id,
            span: Cell::new((!span.is_none()).then(|| Box::new(span))),
        }
    }

    /// `task.id`, for the loop's reports about the task.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The task was renamed: `task.name` is recorded again.
    pub(crate) fn renamed(&self, name: &str) {
        self.with_span(|span| {
            span.record("task.name", name);
        });
    }

    /// Enters the `task` span and a new `poll` span for one step; both are left when the
    /// guard drops, and the `poll` span closes. The step enters a clone of the `task` span
    /// (a reference count in the subscriber), so the task may rename itself meanwhile.
    #[inline]
    pub(crate) fn enter_step(&self) -> StepGuard {
        let mut entered = None;
        self.with_span(|task| {
            let poll = tracing::trace_span!(parent: task, "poll");
            entered = Some((task.clone().entered(), poll.entered()));
        });
        StepGuard { entered }
    }

    /// The task ended (`outcome`: "finished", "cancelled" or "panicked"): recorded as
    /// `task.outcome`, and the `task` span closes.
    pub(crate) fn done(&self, outcome: &'static str) {
        if let Some(span) = self.span.take() {
            span.record("task.outcome", outcome);
        }
    }

    /// Runs `f` on the `task` span, if the task has one.
    #[inline]
    fn with_span(&self, f: impl FnOnce(&Span)) {
        if let Some(span) = self.span.take() {
            f(&span);
            self.span.set(Some(span));
        }
    }
}

/// A step's entered spans (see [`TaskTrace::enter_step`]).
pub(crate) struct StepGuard {
    entered: Option<(EnteredSpan, EnteredSpan)>,
}

impl Drop for StepGuard {
    fn drop(&mut self) {
        if let Some((task, poll)) = self.entered.take() {
            // Inner first: the `poll` span is left (and closes), then the `task` span.
            drop(poll);
            drop(task);
        }
    }
}

/// A task's name without a `String`: the given one, or `Task-N`.
struct TaskName<'a> {
    name: Option<&'a str>,
    number: u64,
}

impl fmt::Display for TaskName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            Some(name) => f.write_str(name),
            None => write!(f, "Task-{}", self.number),
        }
    }
}
