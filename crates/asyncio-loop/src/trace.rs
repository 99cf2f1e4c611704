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
    /// The `task` span and the spans its current step entered, while the task is pending;
    /// `None` once it ended, or if no subscriber wanted it. Boxed: one word in the header
    /// where a `Span` would take six, and an untraced task's steps test that one word.
    traced: Cell<Option<Box<Traced>>>,
}

/// A traced task's spans.
struct Traced {
    task: Span,
    /// What the running step entered (see [`TaskTrace::enter_step`]); kept here rather
    /// than in the step's guard so that the guard is one word, which an untraced step
    /// carries across its poll at no cost.
    step: Option<Entered>,
}

/// A step's entered spans. Fields drop in order: the `poll` span is left (and closes)
/// first, then the `task` span is left.
struct Entered {
    _poll: EnteredSpan,
    _task: EnteredSpan,
}

impl TaskTrace {
    /// A new task's trace: its id and its `task` span, named `name`, or `Task-{number}`.
    pub(crate) fn new(name: Option<&str>, number: u64) -> TaskTrace {
        let id = TASK_IDS.fetch_add(1, Ordering::Relaxed) + 1;
        // The name is formatted only if a subscriber wants the span.
        let task = tracing::debug_span!(
            parent: None,
            "task",
            task.name = %TaskName { name, number },
            task.id = id,
            task.outcome = tracing::field::Empty,
        );
        let traced = (!task.is_none()).then(|| Box::new(Traced { task, step: None }));
        TaskTrace {
            id,
            traced: Cell::new(traced),
        }
    }

    /// `task.id`, for the loop's reports about the task.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The task was renamed: `task.name` is recorded again.
    pub(crate) fn renamed(&self, name: &str) {
        if let Some(traced) = self.traced.take() {
            traced.task.record("task.name", name);
            self.traced.set(Some(traced));
        }
    }

    /// Enters the `task` span and a new `poll` span for one step; both are left when the
    /// guard drops, and the `poll` span closes. For an untraced task, inlined, this is a
    /// load and a branch, and the guard a null word; the traced path is out of line.
    #[inline(always)]
    pub(crate) fn enter_step(&self) -> StepGuard<'_> {
        match self.traced.take() {
            None => StepGuard(None),
            Some(traced) => {
                self.enter_traced(traced);
                StepGuard(Some(self))
            }
        }
    }

    /// [`enter_step`](Self::enter_step) for a traced task, whose spans were taken out of
    /// the cell: it enters a clone of the `task` span (a reference count in the
    /// subscriber) and a new `poll` span, and puts everything back, so the task may rename
    /// itself during the step.
    #[inline(never)]
    fn enter_traced(&self, mut traced: Box<Traced>) {
        let poll = tracing::trace_span!(parent: &traced.task, "poll");
        let task = traced.task.clone().entered();
        traced.step = Some(Entered {
            _poll: poll.entered(),
            _task: task,
        });
        self.traced.set(Some(traced));
    }

    /// Leaves what [`enter_traced`](Self::enter_traced) entered.
    #[inline(never)]
    fn leave(&self) {
        if let Some(mut traced) = self.traced.take() {
            let entered = traced.step.take();
            self.traced.set(Some(traced));
            drop(entered);
        }
    }

    /// The task ended (`outcome`: "finished", "cancelled" or "panicked"): recorded as
    /// `task.outcome`, and the `task` span closes.
    #[inline]
    pub(crate) fn done(&self, outcome: &'static str) {
        if let Some(traced) = self.traced.take() {
            traced.task.record("task.outcome", outcome);
        }
    }
}

/// A step's guard (see [`TaskTrace::enter_step`]): the task, if it is traced.
pub(crate) struct StepGuard<'a>(Option<&'a TaskTrace>);

impl Drop for StepGuard<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(trace) = self.0 {
            trace.leave();
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
