//! The behaviour suite on smol (its global executor, tasks joined from `smol::block_on`).

#[macro_use]
mod suite;

use std::future::Future;
use suite::{Handle, Runtime};

struct Smol;

impl Runtime for Smol {
    fn block_on<F>(future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        smol::block_on(future)
    }

    fn spawn<F>(future: F) -> Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Box::pin(smol::spawn(future))
    }
}

behaviour_tests!(
    Smol,
    #[cfg_attr(
        miri,
        ignore = "smol's reactor calls timerfd_create, which Miri does not implement"
    )]
);
