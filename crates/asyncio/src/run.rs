//! `run` and `Runner`: the entry point of an asyncio program.
//!
//! `run(main)` is asyncio's `asyncio.run(main())`: a fresh loop, `main` run to completion,
//! then the clean-up asyncio does, in its order: cancel every task still pending and let
//! the cancellations finish, close the async generators still alive
//! (`shutdown_asyncgens`), shut the loop's default thread pool down (waiting for its jobs),
//! close the loop. A [`Runner`] is the same with several `run` calls on one loop (Python
//! 3.11's `asyncio.Runner`).
//!
//! Ctrl-C (SIGINT) during a run is handled as Python 3.11's `Runner` does it: the main task
//! is cancelled and the run returns `RunError::Interrupted` (see `interrupt.rs`).

use std::cell::{Cell, OnceCell};
use std::fmt;
use std::future::Future;

use asyncio_loop::contextvars::{Context, copy_context};
use asyncio_loop::{EventLoop, RunError, get_running_loop, new_event_loop, set_event_loop};

use crate::executor::EventLoopExt;
#[cfg(unix)]
use crate::interrupt::SigintHandling;

/// asyncio's `asyncio.run(main())`: runs `main` on a fresh event loop and returns its output
/// after cleaning up (pending tasks cancelled, async generators still alive closed, the
/// default pool shut down, the loop closed).
///
/// Fails with `RunError::NestedAsyncioRun` when called from inside a running loop
/// (asyncio's "asyncio.run() cannot be called from a running event loop"); `main` is then
/// dropped without running.
///
/// **Ctrl-C**, as in Python 3.11 (Unix): on the main thread, and if SIGINT has its default
/// disposition (nobody installed their own handling; [`signal_is_default`](crate::signal_is_default)),
/// the run handles SIGINT on its loop. The first SIGINT cancels `main`, which may catch the
/// cancellation ([`catch_cancelled`](crate::catch_cancelled)) and clean up; if `main` ends
/// by that cancellation, `run` returns [`RunError::Interrupted`] (Python's
/// `KeyboardInterrupt`) after the usual clean-up (the other tasks cancelled and their
/// cleanup run). If `main` swallows the cancellation, its output is returned, as in Python.
/// A second SIGINT before `main` has ended stops the loop (Python raises
/// `KeyboardInterrupt` at once): `main` is dropped where it stands and `run` returns
/// `Interrupted` after the clean-up. The previous disposition is back when `main` is done,
/// before the clean-up, so a Ctrl-C then ends the process, as an uncaught
/// `KeyboardInterrupt` would.
///
/// ```no_run
/// use std::time::Duration;
///
/// let out = asyncio::run(async {
///     match asyncio::catch_cancelled(asyncio::sleep(Duration::from_secs(3600))).await {
///         Ok(()) => "slept",
///         Err(cancelled) => {
///             println!("Ctrl-C: cleaning up");
///             cancelled.reraise().await
///         }
///     }
/// });
/// assert_eq!(out, Err(asyncio::RunError::Interrupted));
/// ```
///
/// ```
/// use std::time::Duration;
///
/// let answer = asyncio::run(async {
///     asyncio::sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, Ok(42));
/// ```
#[track_caller]
pub fn run<F: Future>(main: F) -> Result<F::Output, RunError> {
    // Checked before a runner exists: making one would replace the thread's current loop.
    if get_running_loop().is_ok() {
        return Err(RunError::NestedAsyncioRun);
    }
    let runner = Runner::new();
    let output = runner.run(main);
    runner.close();
    output
}

/// Python 3.11's `asyncio.Runner`: one loop for several [`run`](Runner::run) calls, closed
/// (with `run`'s clean-up) by [`close`](Runner::close) or on drop.
///
/// ```
/// let runner = asyncio::Runner::new();
/// assert_eq!(runner.run(async { 1 }), Ok(1));
/// assert_eq!(runner.run(async { 2 }), Ok(2), "the same loop runs again");
/// runner.close();
/// ```
pub struct Runner {
    event_loop: EventLoop,
    /// Whether `run` made the loop the thread's current one (undone by `close`).
    set_as_current: Cell<bool>,
    /// The context every `run`'s main task runs in: a copy of the one current at the
    /// first `run`, kept, so what one run sets the next sees (Python 3.11's
    /// `Runner._context`).
    context: OnceCell<Context>,
}

impl Default for Runner {
    fn default() -> Self {
        Self::new()
    }
}

impl Runner {
    /// A runner with a new event loop; its first `run` makes it the thread's current loop,
    /// as asyncio's does.
    pub fn new() -> Self {
        Runner {
            event_loop: new_event_loop(),
            set_as_current: Cell::new(false),
            context: OnceCell::new(),
        }
    }

    /// Runs `fut` on the runner's loop until it completes and returns its output. Fails
    /// with `RunError::NestedRunnerRun` inside a running loop ("Runner.run() cannot be
    /// called from a running event loop"), `RunError::Closed` after `close`.
    ///
    /// Every run's main task runs in the runner's one context (a copy of the context
    /// current at the first run), as in Python 3.11: a context variable set by one run is
    /// seen by the next.
    ///
    /// Ctrl-C during the run is handled as [`run`] describes: `fut` is cancelled and the
    /// run returns `RunError::Interrupted`; SIGINT's disposition is back when it returns.
    /// On a thread other than the main one SIGINT is left alone, as Python's `Runner`
    /// does:
    ///
    /// ```
    /// let sigint = 2; // SIGINT on every Unix
    /// let handled = std::thread::spawn(move || {
    ///     asyncio::run(async move { !asyncio::signal_is_default(sigint) })
    /// });
    /// assert_eq!(handled.join().unwrap(), Ok(false));
    /// ```
    #[track_caller]
    pub fn run<F: Future>(&self, fut: F) -> Result<F::Output, RunError> {
        if get_running_loop().is_ok() {
            return Err(RunError::NestedRunnerRun);
        }
        if !self.set_as_current.replace(true) {
            set_event_loop(Some(&self.event_loop));
        }
        let context = self.context.get_or_init(copy_context);
        #[cfg(unix)]
        if let Some(sigint) = SigintHandling::install(&self.event_loop) {
            let outcome = self
                .event_loop
                .run_until_complete_with_context(context, sigint.main(fut));
            return sigint.finish(outcome);
        }
        self.event_loop
            .run_until_complete_with_context(context, fut)
    }

    /// The runner's loop.
    pub fn get_loop(&self) -> &EventLoop {
        &self.event_loop
    }

    /// Cleans up as `asyncio.run` does at the end: cancels every pending task and runs the
    /// loop until their cancellations have finished, runs the loop to close the async
    /// generators still alive ([`shutdown_asyncgens`](EventLoopExt::shutdown_asyncgens)),
    /// shuts the default executor down (waiting for its jobs), unsets the thread's loop and
    /// closes the loop.
    pub fn close(self) {
        // Drop does the work, so a runner dropped during a panic is cleaned up too.
    }

    fn finish(&self) {
        if self.event_loop.is_closed() || self.event_loop.is_running() {
            return;
        }
        self.event_loop.cancel_all_tasks();
        // As asyncio's, whether or not there are generators: the iterations it takes also
        // run the callbacks the last ones queued.
        let shutdown = self.event_loop.shutdown_asyncgens();
        let _ = self.event_loop.run_until_complete(shutdown);
        self.event_loop.shutdown_default_executor();
        if self.set_as_current.get() {
            set_event_loop(None);
        }
        // Neither running nor closed (checked above): close cannot fail.
        let _ = self.event_loop.close();
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.finish();
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runner")
            .field("closed", &self.event_loop.is_closed())
            .finish()
    }
}
