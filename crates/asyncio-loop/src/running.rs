//! Layer 3 (the iteration): which loop runs on this thread. A run marks its loop running
//! for its duration (the [`Running`] guard), both here, where the public surface finds it
//! as a loop (`get_running_loop`, `create_task`, `sleep`), and in `context.rs`, where the
//! layers below find it as a `Schedule`.

use std::cell::RefCell;
use std::rc::Rc;

use asyncio_contextvars::{Scope, ScopeGuard, enter_scope};

use crate::context::set_running;
use crate::error::RunError;
use crate::scheduler::LoopInner;

thread_local! {
    static RUNNING: RefCell<Option<Rc<LoopInner>>> = const { RefCell::new(None) };
}

/// The loop running on this thread, if any.
pub(crate) fn running_loop() -> Option<Rc<LoopInner>> {
    RUNNING
        .try_with(|slot| slot.borrow().clone())
        .ok()
        .flatten()
}

/// Whether `inner` may start a run: open, not running, and no other loop running here.
pub(crate) fn check_can_run(inner: &LoopInner) -> Result<(), RunError> {
    if inner.is_closed() {
        return Err(RunError::Closed);
    }
    if inner.running.get() {
        return Err(RunError::AlreadyRunning);
    }
    if running_loop().is_some() {
        return Err(RunError::NestedRun);
    }
    Ok(())
}

/// Keeps the loop marked running (and this thread's running loop) for a run's duration,
/// and restores both even if the run unwinds. The loop is also asyncio-contextvars'
/// `Scope` meanwhile: code that entered no context runs in its task's (`scheduler.rs`).
pub(crate) struct Running<'a> {
    inner: &'a Rc<LoopInner>,
    /// Dropped after `drop` below: the context scope is left last.
    _scope: ScopeGuard,
}

impl<'a> Running<'a> {
    pub(crate) fn enter(inner: &'a Rc<LoopInner>) -> Running<'a> {
        inner.running.set(true);
        let previous = RUNNING.with(|slot| slot.replace(Some(Rc::clone(inner))));
        drop(previous);
        set_running(Some((&inner.shared, inner.as_loop_ref())));
        let scope = enter_scope(Rc::clone(inner) as Rc<dyn Scope>);
        Running {
            inner,
            _scope: scope,
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.inner.running.set(false);
        self.inner.stopping.set(false);
        set_running(None);
        let previous = RUNNING.with(|slot| slot.replace(None));
        drop(previous);
        // The last callback's context, if it made one, is not the next run's.
        drop(self.inner.item_context.take());
    }
}
