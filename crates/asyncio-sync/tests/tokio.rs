//! The behaviour suite on tokio's multi-threaded runtime (2 workers).

#[macro_use]
mod suite;

use std::future::Future;
use suite::{Handle, Runtime};

struct Tokio;

impl Runtime for Tokio {
    fn block_on<F>(future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a tokio runtime")
            .block_on(future)
    }

    fn spawn<F>(future: F) -> Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = tokio::spawn(future);
        Box::pin(async move { task.await.expect("the task completed") })
    }
}

behaviour_tests!(Tokio);
