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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use asyncio_contextvars::{Context, ContextVar};

    use super::{bind_ref, run_in};

    static VALUE: ContextVar<u32> = ContextVar::new("value");

    #[test]
    fn an_entered_context_is_refused_with_pythons_message() {
        let context = Context::new();
        let refused = context.run(|| {
            catch_unwind(AssertUnwindSafe(|| {
                run_in(&context, || unreachable!("not run"))
            }))
            .unwrap_err()
        });
        let message = refused.unwrap().downcast::<String>().unwrap();
        assert_eq!(
            *message,
            "cannot enter context: <_contextvars.Context object> is already entered"
        );
    }

    #[test]
    fn a_bound_callback_runs_in_a_copy_of_the_context_it_was_bound_in() {
        thread_local! {
            static SEEN: RefCell<Vec<(Option<u32>, u32)>> = const { RefCell::new(Vec::new()) };
        }
        let record = |n: &u32| SEEN.with(|seen| seen.borrow_mut().push((VALUE.get().ok(), *n)));
        let unbound = bind_ref(record);
        VALUE.set(1);
        let bound = bind_ref(move |n: &u32| {
            record(n);
            VALUE.set(3);
        });
        VALUE.set(2);
        bound(&7);
        assert_eq!(VALUE.get(), Ok(2), "the callback set in its copy");
        unbound(&8);
        // Bound while the context was empty: it runs in whatever is current.
        assert_eq!(SEEN.with(|seen| seen.take()), [(Some(1), 7), (Some(2), 8)]);
    }
}
