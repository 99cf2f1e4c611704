//! The state of a gather as asyncio's `outer` future holds it: pending, then done with an
//! outcome that `result()` or an await hands over once.
//!
//! asyncio completes `outer` in the done-callback of the child that decides it (the last
//! one, or the first to fail), whether or not anyone awaits the gather. Ours decides
//! lazily instead: whoever asks (a poll, `done()`, `result()`, `cancel()`, the drop) first
//! looks at the children whose done-callbacks have run, in the order they ran. Nothing else
//! can observe the difference: what is decided depends only on which callbacks have run,
//! so `done()` turns true in the same callback as asyncio's.

use asyncio_loop::InvalidStateError;

/// A gather's own state: see the module documentation.
pub(crate) struct Outer<O> {
    state: State<O>,
    /// `cancel()` cancelled a child: the gather ends with a cancellation whatever the
    /// children give (asyncio's `_cancel_requested`).
    cancel_requested: bool,
    /// It ended with a cancellation (kept once the outcome is taken).
    cancelled: bool,
}

enum State<O> {
    Pending,
    Ready(O),
    Taken,
}

impl<O> Outer<O> {
    pub(crate) fn new() -> Self {
        Outer {
            state: State::Pending,
            cancel_requested: false,
            cancelled: false,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        !matches!(self.state, State::Pending)
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled
    }

    pub(crate) fn cancel_requested(&self) -> bool {
        self.cancel_requested
    }

    /// Remembers that `cancel()` cancelled a child.
    pub(crate) fn request_cancel(&mut self) {
        self.cancel_requested = true;
    }

    /// Decides the outcome; `cancelled` says whether it is a cancellation.
    pub(crate) fn set(&mut self, output: O, cancelled: bool) {
        debug_assert!(!self.is_done(), "a gather's outcome is decided once");
        self.state = State::Ready(output);
        self.cancelled = cancelled;
    }

    /// asyncio's `outer.result()` without waiting: the outcome, once. Before it is decided,
    /// "Result is not set."; after it was handed over, "Result was already taken.".
    pub(crate) fn take(&mut self) -> Result<O, InvalidStateError> {
        match std::mem::replace(&mut self.state, State::Taken) {
            State::Ready(output) => Ok(output),
            State::Pending => {
                self.state = State::Pending;
                Err(InvalidStateError::NOT_SET)
            }
            State::Taken => Err(InvalidStateError::TAKEN),
        }
    }

    /// asyncio's `outer.result()` as it may be asked again and again: a clone of the
    /// outcome, left in place; the same errors as [`take`](Self::take).
    pub(crate) fn cloned(&self) -> Result<O, InvalidStateError>
    where
        O: Clone,
    {
        match &self.state {
            State::Ready(output) => Ok(output.clone()),
            State::Pending => Err(InvalidStateError::NOT_SET),
            State::Taken => Err(InvalidStateError::TAKEN),
        }
    }

    /// The outcome for a poll that found the gather done.
    ///
    /// # Panics
    ///
    /// If it was handed over already: awaited again after it completed, or after
    /// `result()` took it.
    pub(crate) fn take_polled(&mut self) -> O {
        self.take()
            .unwrap_or_else(|_| panic!("gather: awaited after its result was taken"))
    }
}
