//! Ctrl-C in `asyncio::run` / `Runner::run`, as Python 3.11's `asyncio.Runner` handles it
//! (`runners.py`: `Runner.run` and `_on_sigint`).
//!
//! While a run is going on, on the main thread, and only if SIGINT has its default
//! disposition (Python's test: `signal.getsignal(SIGINT) is signal.default_int_handler`;
//! ours: `SIG_DFL` and no loop handling it), the runner's loop handles SIGINT:
//!
//! - the first SIGINT cancels the main task (`main_task.cancel()`); if the task ends by
//!   that cancellation, the run returns [`RunError::Interrupted`] (Python raises
//!   `KeyboardInterrupt` when `task.uncancel()` comes to 0); a main task that swallows the
//!   cancellation returns its output, as in Python;
//! - a second SIGINT while the first is being handled stops the loop at the end of the
//!   iteration, and the run returns `Interrupted` at once (Python raises
//!   `KeyboardInterrupt` inside whatever runs; Rust has no exception to throw into the
//!   running code, so it is the loop's `stop`: the main future is dropped, its `Drop`
//!   cleanups run);
//! - when the run ends, the previous disposition is back (unless the program replaced our
//!   handler meanwhile, as Python checks `getsignal(SIGINT) is sigint_handler`), before
//!   `asyncio::run`'s clean-up: a Ctrl-C during the clean-up ends the process, as an
//!   uncaught `KeyboardInterrupt` would.
//!
//! The handler is an ordinary `add_signal_handler` callback, so it runs on the loop, in
//! order with everything else, never inside the OS's signal handler.

use std::cell::{Cell, OnceCell};
use std::future::Future;
use std::rc::Rc;

use asyncio_loop::{
    EventLoop, RunError, TaskRef, current_task, get_running_loop, is_main_thread, signal_is_default,
};

/// What the SIGINT callback and the run share.
#[derive(Default)]
struct State {
    /// SIGINTs received during this run (Python's `_interrupt_count`).
    count: Cell<u32>,
    /// The main task, known from its first step.
    main: OnceCell<TaskRef>,
}

/// The runner's SIGINT handling for one run; dropping it (at the run's end, or in an
/// unwind) puts the previous disposition back.
pub(crate) struct SigintHandling {
    event_loop: EventLoop,
    state: Rc<State>,
    /// Also held by our callback: while it has more than one owner, our callback is still
    /// the loop's SIGINT handler (not replaced by the program's own).
    ours: Rc<()>,
}

impl SigintHandling {
    /// Takes SIGINT for the run on `event_loop` if Python's `Runner` would: on the main
    /// thread, with SIGINT's disposition the default.
    pub(crate) fn install(event_loop: &EventLoop) -> Option<SigintHandling> {
        if !is_main_thread() || !signal_is_default(libc::SIGINT) {
            return None;
        }
        let state = Rc::new(State::default());
        let ours = Rc::new(());
        let callback = {
            let (state, ours) = (Rc::clone(&state), Rc::clone(&ours));
            move || {
                let _ours = &ours;
                on_sigint(&state);
            }
        };
        event_loop.add_signal_handler(libc::SIGINT, callback).ok()?;
        Some(SigintHandling {
            event_loop: event_loop.clone(),
            state,
            ours,
        })
    }

    /// `main` as the run's main task: it notes itself first, so a SIGINT can cancel it.
    pub(crate) fn main<F: Future>(&self, main: F) -> impl Future<Output = F::Output> + use<F> {
        let state = Rc::clone(&self.state);
        async move {
            if let Some(task) = current_task() {
                let _ = state.main.set(task);
            }
            main.await
        }
    }

    /// The run's outcome as Python's `Runner.run` reports it, with the disposition put back
    /// first (its `finally`).
    pub(crate) fn finish<T>(self, outcome: Result<T, RunError>) -> Result<T, RunError> {
        let count = self.state.count.get();
        let main = self.state.main.get().cloned();
        drop(self);
        match outcome {
            Err(RunError::Cancelled) if count > 0 => {
                // Python: `KeyboardInterrupt` only if our cancel was the only one.
                match main {
                    Some(task) if task.uncancel() > 0 => Err(RunError::Cancelled),
                    _ => Err(RunError::Interrupted),
                }
            }
            Err(RunError::StoppedBeforeComplete) if count > 1 => Err(RunError::Interrupted),
            outcome => outcome,
        }
    }
}

impl Drop for SigintHandling {
    fn drop(&mut self) {
        if Rc::strong_count(&self.ours) > 1 {
            // Ours, so valid and handled here: this cannot fail.
            let _ = self.event_loop.remove_signal_handler(libc::SIGINT);
        }
    }
}

/// Python's `Runner._on_sigint`.
fn on_sigint(state: &State) {
    let count = state.count.get() + 1;
    state.count.set(count);
    match state.main.get() {
        Some(task) if count == 1 && !task.done() => {
            task.cancel();
        }
        // Python raises KeyboardInterrupt here; the loop's stop is the Rust analogue.
        _ => {
            if let Ok(event_loop) = get_running_loop() {
                event_loop.stop();
            }
        }
    }
}
