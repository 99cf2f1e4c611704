//! The loop's async generators: asyncio's `loop._asyncgens` and `shutdown_asyncgens()`.
//!
//! asyncio's loop keeps a weak set of every async generator first iterated while it runs
//! (its `sys.set_asyncgen_hooks(firstiter=...)` hook), and `shutdown_asyncgens()` closes
//! those still alive, each `aclose()` in a task of its own, reporting failures to the
//! exception handler; `asyncio.run` calls it after cancelling the remaining tasks and
//! before shutting the default executor down. A generator only dropped is closed at once
//! here (its body's `Drop`), so what is left for `shutdown_asyncgens` is what something
//! still holds: a value `main` returned, a global, a cycle.
//!
//! The registry is one of the loop's extensions (as its default executor is, see
//! `executor.rs`), a list of weak references to the generators' bodies: a generator costs
//! the list one entry from its first iteration, and dead entries are swept when the list
//! has doubled since the last sweep, so it stays within twice the live generators.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::{Arc, Weak};

use asyncio_loop::{EventLoop, ExceptionContext, TaskError, get_running_loop};

use crate::gather::gather_return_exceptions;

/// A generator's body, closed without knowing its types (`async_gen.rs` implements it).
pub(crate) trait Close {
    /// Drops the body where it waits (its cleanup runs); nothing if it is gone already.
    fn close(&self);
    /// The body's type, for reports.
    fn name(&self) -> &'static str;
}

/// Every generator first iterated on a loop, weakly, in that order.
struct AsyncGens {
    gens: RefCell<Vec<Weak<dyn Close>>>,
    /// The length at which the next push first sweeps out the dropped generators.
    sweep_at: Cell<usize>,
}

/// The fewest entries worth a sweep.
const MIN_SWEEP: usize = 16;

impl AsyncGens {
    fn new() -> Self {
        AsyncGens {
            gens: RefCell::new(Vec::new()),
            sweep_at: Cell::new(MIN_SWEEP),
        }
    }

    fn add(&self, gen_: Weak<dyn Close>) {
        let mut gens = self.gens.borrow_mut();
        if gens.len() >= self.sweep_at.get() {
            // Amortised O(1): a sweep leaving `n` entries comes after at least `n` pushes.
            gens.retain(|gen_| gen_.strong_count() > 0);
            self.sweep_at.set(MIN_SWEEP.max(2 * gens.len()));
        }
        gens.push(gen_);
    }
}

/// asyncio's `firstiter` hook: the running loop, if there is one, tracks `body` from now on.
pub(crate) fn first_iteration<B: Close + 'static>(body: &Arc<B>) {
    let Ok(event_loop) = get_running_loop() else {
        return; // Iterated by another executor: no loop of ours to close it.
    };
    let mut gen_ = Some(Arc::downgrade(body) as Weak<dyn Close>);
    event_loop.with_extension(|gens: &AsyncGens| gens.add(gen_.take().expect("taken once")));
    if let Some(gen_) = gen_ {
        let gens = AsyncGens::new();
        gens.add(gen_);
        // The running loop is not closed: this cannot be refused.
        let _ = event_loop.set_extension(gens);
    }
}

/// [`EventLoopExt::shutdown_asyncgens`](crate::EventLoopExt::shutdown_asyncgens).
pub(crate) fn shutdown_asyncgens(event_loop: &EventLoop) -> impl Future<Output = ()> + 'static {
    let event_loop = event_loop.clone();
    async move {
        // Taken at the first poll, as asyncio's coroutine does at its first step; a
        // generator first iterated later is tracked afresh.
        let Some(gens) = event_loop.take_extension::<AsyncGens>() else {
            return;
        };
        let alive: Vec<Arc<dyn Close>> = gens
            .gens
            .into_inner()
            .iter()
            .filter_map(Weak::upgrade)
            .collect();
        if alive.is_empty() {
            return;
        }
        let closing = alive.iter().map(|gen_| {
            let gen_ = Arc::clone(gen_);
            async move { gen_.close() }
        });
        let outcomes = gather_return_exceptions(closing).await;
        for (outcome, gen_) in outcomes.into_iter().zip(&alive) {
            if let Err(TaskError::Panicked(panic)) = outcome {
                let message = format!(
                    "an error occurred during closing of asynchronous generator \
                     <async_generator {}>",
                    gen_.name()
                );
                let context = ExceptionContext::new(message, None, Some(panic));
                event_loop.call_exception_handler(&context);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Body;

    impl Close for Body {
        fn close(&self) {}

        fn name(&self) -> &'static str {
            "Body"
        }
    }

    fn weak(body: &Arc<Body>) -> Weak<dyn Close> {
        Arc::downgrade(body) as Weak<dyn Close>
    }

    #[test]
    fn dropped_generators_are_swept_so_the_list_stays_within_twice_the_live_ones() {
        let gens = AsyncGens::new();
        let live: Vec<Arc<Body>> = (0..100).map(|_| Arc::new(Body)).collect();
        for body in &live {
            gens.add(weak(body));
        }
        for _ in 0..10_000 {
            let dropped = Arc::new(Body);
            gens.add(weak(&dropped));
        }
        let len = gens.gens.borrow().len();
        assert!(
            len <= 2 * live.len() + 1,
            "{len} entries for {} live",
            live.len()
        );
        let alive = gens
            .gens
            .borrow()
            .iter()
            .filter(|g| g.strong_count() > 0)
            .count();
        assert_eq!(alive, live.len(), "no live generator was forgotten");
    }

    #[test]
    fn with_few_generators_nothing_is_swept_before_the_minimum() {
        let gens = AsyncGens::new();
        for _ in 0..MIN_SWEEP {
            gens.add(weak(&Arc::new(Body)));
        }
        assert_eq!(gens.gens.borrow().len(), MIN_SWEEP);
        gens.add(weak(&Arc::new(Body)));
        assert_eq!(gens.gens.borrow().len(), 1, "swept, then the new one added");
    }
}
