//! Layer 2 (the parts the loop drives): what the loop reports to its exception handler: a panic nobody retrieved, a panicking
//! callback, a slow step in debug mode, tasks still pending at close.

use std::fmt;

use crate::error::Panic;
use crate::task_ref::TaskRef;

/// One report to the loop's exception handler (asyncio's `context` dict).
#[derive(Debug, Clone)]
pub struct ExceptionContext {
    message: String,
    task: Option<TaskRef>,
    panic: Option<Panic>,
    error: Option<String>,
}

impl ExceptionContext {
    /// A report: what happened, and the task and the panic concerned, if any. For code
    /// outside the loop that reports through its handler
    /// ([`EventLoop::call_exception_handler`](crate::EventLoop::call_exception_handler)),
    /// as asyncio's `loop.call_exception_handler(context)` takes a context dict.
    ///
    /// ```
    /// let context = asyncio_loop::ExceptionContext::new("something went wrong", None, None);
    /// assert_eq!(context.to_string(), "something went wrong");
    /// ```
    pub fn new(message: impl Into<String>, task: Option<TaskRef>, panic: Option<Panic>) -> Self {
        ExceptionContext {
            message: message.into(),
            task,
            panic,
            error: None,
        }
    }

    /// The same report with the `Debug` of an `Err` a task failed with.
    pub(crate) fn with_error(mut self, error: Option<String>) -> Self {
        self.error = error;
        self
    }

    /// What happened, as asyncio words it (e.g. "Task exception was never retrieved").
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The task concerned, if any.
    pub fn task(&self) -> Option<&TaskRef> {
        self.task.as_ref()
    }

    /// The panic concerned, if any.
    pub fn panic(&self) -> Option<&Panic> {
        self.panic.as_ref()
    }

    /// The `Debug` of the `Err` a task made by
    /// [`create_try_task`](crate::create_try_task) failed with, if that is the report.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(task) = &self.task {
            write!(f, "; future: {task:?}")?;
        }
        if let Some(panic) = &self.panic {
            write!(f, "; {panic}")?;
        }
        if let Some(error) = &self.error {
            write!(f, "; exception: {error}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "tracing")]
impl ExceptionContext {
    /// The report as a `tracing` event (feature `tracing`), whatever handler then takes it:
    /// ERROR when a panic is concerned, WARN otherwise (a slow step, a task pending at
    /// close, an `Err` never retrieved). Fields: the message, and the task's name and id,
    /// the panic and the error when there are.
    pub(crate) fn trace(&self) {
        let (id, name) = match &self.task {
            Some(task) => {
                let header = task.task.header();
                (Some(header.local.trace.id()), Some(header.name()))
            }
            None => (None, None),
        };
        let panic = self.panic.as_ref().map(tracing::field::display);
        let (name, error) = (name.as_deref(), self.error.as_deref());
        if self.panic.is_some() {
            tracing::error!(
                task.name = name,
                task.id = id,
                panic,
                error,
                "{}",
                self.message
            );
        } else {
            tracing::warn!(task.name = name, task.id = id, error, "{}", self.message);
        }
    }
}

/// The default handler: one line on stderr.
pub(crate) fn default_exception_handler(context: &ExceptionContext) {
    eprintln!("{context}");
}
