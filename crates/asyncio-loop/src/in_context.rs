//! Layer 0 (leaf types): running a callback in a context, for `asyncio-contextvars`.
//! Depends on nothing in the crate.
//!
//! asyncio runs every callback in a copy of the context current when it was scheduled (or
//! the `context=` given): `Handle._run` is `self._context.run(callback)`. Here a callback
//! scheduled while the current context is empty (always, in a program that sets no
//! variable) is left as it is and costs nothing more; one scheduled from a context with
//! values is wrapped to enter a copy of it. Task steps are not wrapped at all: the loop
//! is the `Scope` of `asyncio-contextvars` and answers with the running task's context
//! (`scheduler.rs`).

use asyncio_contextvars::{Context, capture};

/// Runs `f` in `context`. A context entered already (a `context=` that an enclosing
/// `Context::run` holds) cannot be entered again: as asyncio raises `RuntimeError` out
/// of the callback, this panics with Python's message, which the loop reports
/// ("Exception in callback") without running `f`.
pub(crate) fn run_in<R>(context: &Context, f: impl FnOnce() -> R) -> R {
    match context.run(f) {
        Ok(out) => out,
        Err(error) => panic!("{error}"),
    }
}

/// `f` bound to the context current now: when called, it runs in a copy of it (asyncio's
/// `add_done_callback(fn, context=None)`). A one-word capture, `None` when the context is
/// empty.
pub(crate) fn bind_ref<A: ?Sized + 'static>(
    f: impl FnOnce(&A) + 'static,
) -> impl FnOnce(&A) + 'static {
    let context = capture();
    move |arg: &A| match context {
        None => f(arg),
        Some(context) => run_in(&context, || f(arg)),
    }
}
