//! Containing panics from code the pool runs on someone else's behalf.
//!
//! The rule: code that is not the pool's own runs only where a panic cannot break the pool,
//! that is never while one of the crate's locks is held, and never in a place where an
//! unwind would skip bookkeeping (a worker's counts, shutdown's stop messages). That code
//! is a job's function, the drop of its closure or of a result nobody claimed, a waker's
//! `clone`, `wake` and `drop`, and the drop of a caught panic's payload.
//!
//! - A job's function runs under `catch_unwind`; its panic becomes
//!   [`JobError::Panicked`](crate::JobError::Panicked).
//! - Everything else goes through [`contain`]: a panic there is caught and reported as one
//!   line on stderr (the panic hook has already printed the usual message), and the pool
//!   carries on. It can only come from someone else's bug, and the worker or the
//!   caller that happens to run the code is not the right one to die of it.
//! - Caught payloads are dropped through [`discard`], since a payload's own `Drop` may
//!   panic too.
//!
//! Behind that, the counts themselves are held by guards whose drop gives them back: a
//! worker's place (`Seat` in `worker.rs`, which also starts a replacement) and a worker
//! counted before its thread exists (`Reservation` in `shared.rs`). So even a panic that
//! escaped, ours or std's, would leave the counts right and shutdown able to finish.

use std::any::Any;
use std::io::{self, Write};
use std::mem;
use std::panic::{self, AssertUnwindSafe};

/// Runs `f`, which runs someone else's code; if that panics, reports it as `what` (e.g.
/// "a job's result panicked while being dropped") and returns normally.
pub(crate) fn contain(what: &str, f: impl FnOnce()) {
    // Nothing `f` touches is left half-updated by a panic: callers finish their own state
    // changes before calling in, and hold no lock.
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
        report(what, payload.as_ref());
        discard(payload);
    }
}

/// Drops a caught panic's payload. A payload whose own drop panics is reported and the
/// second payload leaked: unwinding from here would undo the containment.
pub(crate) fn discard(payload: Box<dyn Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        report(
            "a panic's payload panicked while being dropped",
            again.as_ref(),
        );
        mem::forget(again);
    }
}

/// The text of a panic payload: `panic!` gives a `&str` or a `String`.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "<panic payload that is not a string>".to_owned()
    }
}

fn report(what: &str, payload: &(dyn Any + Send)) {
    // `eprintln!` panics when stderr is gone; a report must never add a panic of its own.
    let _ = writeln!(io::stderr().lock(), "{}", line(what, payload));
}

fn line(what: &str, payload: &(dyn Any + Send)) -> String {
    format!("asyncio-pool: {what}: {}", panic_message(payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload whose drop panics, as `panic_any` may carry.
    struct PanicsOnDrop;
    impl Drop for PanicsOnDrop {
        fn drop(&mut self) {
            if !std::thread::panicking() {
                panic!("payload drop");
            }
        }
    }

    #[test]
    fn contain_catches_and_names_what_panicked() {
        let mut after = false;
        contain("a test closure panicked", || panic!("boom {}", 1));
        contain("never reported", || after = true);
        assert!(after);
        assert_eq!(
            line("a job's result panicked while being dropped", &"boom"),
            "asyncio-pool: a job's result panicked while being dropped: boom"
        );
    }

    #[test]
    fn a_payload_that_panics_when_dropped_does_not_unwind() {
        contain("a test closure panicked", || {
            panic::panic_any(PanicsOnDrop);
        });
        let payload: Box<dyn Any + Send> = Box::new(PanicsOnDrop);
        discard(payload);
    }
}
