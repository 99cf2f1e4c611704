//! Layer 4 (the public surface): asyncio's `add_signal_handler` / `remove_signal_handler`
//! on [`EventLoop`], over the process-wide table of `sigaction.rs`.
//!
//! A loop with handlers owns a wake-up pipe, watched as one of its readers: the signal
//! handler writes the signal's number there; the reader (a ready item of the iteration
//! the byte wakes) reads the numbers in order and schedules each one's callback with
//! `call_soon`, so it runs in the next iteration, FIFO with everything else, as asyncio's
//! `_read_from_self` → `_handle_signal` → `_add_callback_signalsafe` do.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::{AsFd, AsRawFd};
use std::rc::{Rc, Weak};

use asyncio_contextvars::{Context, capture};

use crate::error::IoError;
use crate::event_loop::EventLoop;
use crate::scheduler::LoopInner;
use crate::shared::LoopId;
use crate::sigaction::{SignalError, WakePipe, check_signal, install, uninstall};

/// A registered callback, and the context it runs in (a copy of the one current when it
/// was added, as asyncio's `Handle` keeps one).
#[derive(Clone)]
struct Handler {
    callback: Rc<RefCell<dyn FnMut()>>,
    context: Option<Context>,
}

/// What the loop's reader and the loop's extension share.
struct State {
    pipe: WakePipe,
    handlers: RefCell<HashMap<i32, Handler>>,
}

/// Kept as the loop's extension while it has handlers; dropped by the last removal or by
/// the loop's close, it puts every signal's disposition back and pools the pipe.
struct Signals {
    event_loop: LoopId,
    /// `None` only inside `drop`, which takes it to give the pipe back.
    state: Option<Rc<State>>,
}

impl Signals {
    fn state(&self) -> Rc<State> {
        Rc::clone(self.state.as_ref().expect("taken only by drop"))
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        let Some(state) = self.state.take() else {
            return;
        };
        let signals: Vec<i32> = state.handlers.borrow().keys().copied().collect();
        for sig in signals {
            uninstall(sig, self.event_loop);
        }
        // The callbacks are user code: dropped with no borrow held.
        let handlers = std::mem::take(&mut *state.handlers.borrow_mut());
        drop(handlers);
        // The reader holds the state weakly, so this is its last owner unless a caller
        // still holds a clone; then the pipe is closed by the last one instead.
        if let Ok(state) = Rc::try_unwrap(state) {
            state.pipe.give_back();
        }
    }
}

impl EventLoop {
    /// Runs `callback` on this loop each time the process receives signal `sig`
    /// (asyncio's `loop.add_signal_handler(sig, callback)`), replacing this loop's earlier
    /// handler of `sig`. Unix only.
    ///
    /// The callback never runs inside the OS's signal handler: that handler only writes
    /// the signal's number to the loop's wake-up pipe, which wakes a sleeping loop; the
    /// callback is then queued like any `call_soon` callback and runs in order with
    /// everything else, in a copy of the context current now. Signals arriving faster
    /// than the loop reads them may be merged by the kernel, as in asyncio.
    ///
    /// A process has one handler per signal: a signal another loop handles is refused
    /// with [`SignalError::InUse`] (asyncio, whose wake-up descriptor is per process, would
    /// hand every signal to the last loop silently). Unlike asyncio, any thread's loop may
    /// handle signals, not only the main thread's.
    ///
    /// Errors, as asyncio's: [`SignalError::Invalid`] ("invalid signal number N"),
    /// [`SignalError::CannotCatch`] for SIGKILL and SIGSTOP ("sig N cannot be caught"),
    /// [`SignalError::Closed`] ("Event loop is closed").
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use asyncio_loop::EventLoop;
    ///
    /// let event_loop = EventLoop::new();
    /// let got = Rc::new(Cell::new(false));
    /// let seen = Rc::clone(&got);
    /// event_loop.add_signal_handler(libc::SIGUSR2, move || seen.set(true)).unwrap();
    /// event_loop.run_until_complete(async {
    ///     // SAFETY (of this example): raising a signal this process handles.
    ///     unsafe { libc::raise(libc::SIGUSR2) };
    ///     while !got.get() {
    ///         asyncio_loop::sleep(std::time::Duration::ZERO).await;
    ///     }
    /// }).unwrap();
    /// assert!(event_loop.remove_signal_handler(libc::SIGUSR2).unwrap());
    /// assert_eq!(
    ///     event_loop.add_signal_handler(libc::SIGKILL, || {}).unwrap_err().to_string(),
    ///     "sig 9 cannot be caught",
    /// );
    /// event_loop.close().unwrap();
    /// ```
    pub fn add_signal_handler(
        &self,
        sig: i32,
        callback: impl FnMut() + 'static,
    ) -> Result<(), SignalError> {
        check_signal(sig)?;
        if self.is_closed() {
            return Err(SignalError::Closed);
        }
        let state = match self.with_extension(Signals::state) {
            Some(state) => state,
            None => self.start_signals()?,
        };
        if let Err(error) = install(sig, self.id(), state.pipe.write.as_fd()) {
            if state.handlers.borrow().is_empty() {
                drop(state);
                self.stop_signals();
            }
            return Err(error);
        }
        let handler = Handler {
            callback: Rc::new(RefCell::new(callback)),
            context: capture(),
        };
        let replaced = state.handlers.borrow_mut().insert(sig, handler);
        // The old callback is user code: dropped with no borrow held.
        drop(replaced);
        Ok(())
    }

    /// Stops handling `sig` (asyncio's `loop.remove_signal_handler(sig)`): returns
    /// whether this loop had a handler for it. The signal gets back the disposition it
    /// had before this loop's handler was added (asyncio sets `SIG_DFL`, or Python's
    /// default SIGINT handler, which is what it was before unless changed), so a Ctrl-C
    /// after removing a SIGINT handler ends the process again. A callback already queued
    /// by a signal received before still runs, as in asyncio.
    ///
    /// Errors: [`SignalError::Invalid`] for a number that is no signal.
    pub fn remove_signal_handler(&self, sig: i32) -> Result<bool, SignalError> {
        check_signal(sig)?;
        let Some(state) = self.with_extension(Signals::state) else {
            return Ok(false);
        };
        let removed = state.handlers.borrow_mut().remove(&sig);
        let Some(removed) = removed else {
            return Ok(false);
        };
        uninstall(sig, self.id());
        drop(removed);
        if state.handlers.borrow().is_empty() {
            drop(state);
            self.stop_signals();
        }
        Ok(true)
    }

    /// The loop's first handler: a pipe, watched by a reader that queues the callbacks.
    fn start_signals(&self) -> Result<Rc<State>, SignalError> {
        let state = Rc::new(State {
            pipe: WakePipe::take().map_err(SignalError::Os)?,
            handlers: RefCell::new(HashMap::new()),
        });
        let reader = {
            let state = Rc::downgrade(&state);
            let event_loop = Rc::downgrade(&self.inner);
            move || read_signals(&state, &event_loop)
        };
        let fd = state.pipe.read.as_fd();
        if let Err(error) = self.add_reader(fd, reader) {
            if let Ok(state) = Rc::try_unwrap(state) {
                state.pipe.give_back();
            }
            return Err(match error {
                IoError::Closed => SignalError::Closed,
                IoError::Register(error) => SignalError::Os(error),
            });
        }
        let signals = Signals {
            event_loop: self.id(),
            state: Some(Rc::clone(&state)),
        };
        if self.set_extension(signals).is_err() {
            // Closed in between (by a drop in `add_reader`): nothing left to undo there.
            return Err(SignalError::Closed);
        }
        Ok(state)
    }

    /// No handler left: the reader goes, then the extension (restoring and pooling).
    fn stop_signals(&self) {
        let fd = self.with_extension(|signals: &Signals| signals.state().pipe.read.as_raw_fd());
        if let Some(fd) = fd {
            self.remove_reader(fd);
        }
        drop(self.take_extension::<Signals>());
    }
}

/// The reader: every signal number waiting in the pipe, in order, has its handler (if
/// this loop still has one) queued.
fn read_signals(state: &Weak<State>, event_loop: &Weak<LoopInner>) {
    let (Some(state), Some(inner)) = (state.upgrade(), event_loop.upgrade()) else {
        return;
    };
    let event_loop = EventLoop { inner };
    state.pipe.drain(|sig| {
        let handler = state.handlers.borrow().get(&sig).cloned();
        if let Some(Handler { callback, context }) = handler {
            let run = move || (callback.borrow_mut())();
            match &context {
                Some(context) => drop(event_loop.call_soon_with_context(context, run)),
                None => drop(event_loop.call_soon(run)),
            }
        }
    });
}
