//! Layer 3 (the iteration): closing a loop. `close()` (or dropping the last handle) refuses
//! further injections, drains the registry (each future dropped, each task marked
//! cancelled), the ready queue, the timers and the descriptors, outside any borrow since
//! those drops may call back into the loop, and each under a guard, since they may panic.

use crate::context::unregister_loop;
use crate::exception::ExceptionContext;
use crate::scheduler::LoopInner;
use crate::task_ref::TaskRef;
use crate::timers::Timers;

impl LoopInner {
    /// Drops everything pending: callbacks, timers, injected work, descriptors, and every
    /// task's future (each marked cancelled). Borrows are released before anything user
    /// code owns is dropped, since those drops may call back into the loop, and each such
    /// drop is guarded: a panicking `Drop` is reported through the exception handler and
    /// the rest of the shutdown goes on (descriptors are released first of all), so the
    /// loop always ends closed with nothing left registered.
    pub(crate) fn shutdown(&self) {
        self.ready.close();
        let injected = self.shared.close();
        self.drop_all(
            "a call_soon_threadsafe callback dropped by close()",
            injected,
        );
        let tasks = self.tasks.borrow_mut().drain();
        if self.debug.get() {
            for task in &tasks {
                if !task.header().done() {
                    let context = ExceptionContext::new(
                        "Task was destroyed but it is pending!".to_owned(),
                        Some(TaskRef { task: task.clone() }),
                        None,
                    );
                    self.call_exception_handler(&context);
                }
            }
        }
        for task in &tasks {
            // A panic in the future's `Drop` is caught by the abort: it is the task's
            // outcome.
            task.abort();
            if let Some(actions) = task.header().take_done_actions() {
                self.drop_all("a done callback dropped by close()", actions.actions);
            }
        }
        // The last reference of a finished task drops its output.
        self.drop_all("a task dropped by close()", tasks);
        // Callbacks and timers may own tasks or futures: keep emptying until quiet.
        loop {
            let ready = self.ready.take();
            let mut timers = std::mem::replace(&mut *self.timers.borrow_mut(), Timers::new());
            let io = std::mem::take(&mut *self.io.borrow_mut());
            if ready.is_empty() && timers.is_empty() && io.is_empty() {
                break;
            }
            let (io_callbacks, io_wakers) = io.close(self.shared.existing_poller());
            self.drop_all("a callback dropped by close()", ready);
            while let Some(entry) = timers.pop_any() {
                self.guarded("a timer dropped by close()", || drop(entry));
            }
            self.drop_all("an I/O callback dropped by close()", io_callbacks);
            self.drop_all("a waker of an I/O source dropped by close()", io_wakers);
        }
        // Last: what other crates keep with the loop (the facade's default executor, shut
        // down by its drop, as asyncio's `close()` shuts its default executor down).
        let extensions = self.extensions.take();
        self.drop_all("an extension dropped by close()", extensions);
        let injected = self.shared.close();
        self.drop_all(
            "a call_soon_threadsafe callback dropped by close()",
            injected,
        );
    }

    /// Drops `items` one by one, each under its own guard: one panicking `Drop` is
    /// reported and the others are still dropped, where an unwind through a collection's
    /// drop would skip the rest of the shutdown, and a second panic abort the process.
    fn drop_all<T>(&self, what: &str, items: impl IntoIterator<Item = T>) {
        for item in items {
            self.guarded(what, || drop(item));
        }
    }
}

impl Drop for LoopInner {
    fn drop(&mut self) {
        unregister_loop(&self.shared);
        if !self.ready.is_closed() {
            self.shutdown();
        }
    }
}
