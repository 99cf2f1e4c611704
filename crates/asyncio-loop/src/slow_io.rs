//! Layer 4 (the surface): debug mode's watch on I/O. With `set_debug(true)`, an operation
//! of an [`IoSource`](crate::IoSource) (a socket's or a pipe's read, write, accept...) that
//! held the loop's thread for `slow_callback_duration` or longer is reported through the
//! exception handler, with the running task, as asyncio reports a slow callback. A
//! non-blocking call should never take that long: when one does, it is a blocking
//! descriptor, a huge buffer, or a stalled filesystem behind a pipe.
//!
//! Outside debug mode a watch is never made: `start` costs one upgrade of the source's
//! weak loop reference and a flag test per operation.

use std::os::fd::RawFd;
use std::rc::{Rc, Weak};
use std::time::Instant;

use crate::exception::ExceptionContext;
use crate::reactor::Direction;
use crate::scheduler::LoopInner;
use crate::task_ref::TaskRef;

/// Times a source's operations, in debug mode.
pub(crate) struct SlowIoWatch {
    event_loop: Rc<LoopInner>,
    started: std::cell::Cell<Instant>,
}

impl SlowIoWatch {
    /// A watch, if the source's loop is alive and in debug mode.
    #[inline]
    pub(crate) fn start(event_loop: Option<&Weak<LoopInner>>) -> Option<SlowIoWatch> {
        let event_loop = event_loop?.upgrade()?;
        if !event_loop.debug.get() {
            return None;
        }
        Some(SlowIoWatch {
            event_loop,
            started: std::cell::Cell::new(Instant::now()),
        })
    }

    /// An operation in `direction` on `fd` has returned: reports it if it was slow, and
    /// starts timing the next.
    pub(crate) fn check(&self, direction: Direction, fd: RawFd) {
        let now = Instant::now();
        let took = now.saturating_duration_since(self.started.replace(now));
        if took < self.event_loop.slow_callback.get() {
            return;
        }
        let task = self
            .event_loop
            .current
            .borrow()
            .clone()
            .map(|task| TaskRef { task });
        let what = match direction {
            Direction::Read => "read",
            Direction::Write => "write",
        };
        let subject = match &task {
            Some(task) => format!("{task:?}"),
            None => "<Handle>".to_owned(),
        };
        let message = format!(
            "Executing {subject}: {what} on fd {fd} took {:.3} seconds",
            took.as_secs_f64()
        );
        let context = ExceptionContext::new(message, task, None);
        self.event_loop.call_exception_handler(&context);
    }
}
