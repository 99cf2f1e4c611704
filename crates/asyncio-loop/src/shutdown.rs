//! Layer 3 (the iteration): closing a loop. `close()` (or dropping the last handle) refuses
//! further injections, drains the registry (each future dropped, each task marked
//! cancelled), the ready queue, the timers and the descriptors, outside any borrow since
//! those drops may call back into the loop.

use crate::context::unregister_loop;
use crate::exception::ExceptionContext;
use crate::scheduler::LoopInner;
use crate::task_ref::TaskRef;
use crate::timers::Timers;

impl LoopInner {
    /// Drops everything pending: callbacks, timers, injected work, descriptors, and every
    /// task's future (each marked cancelled). Borrows are released before anything user
    /// code owns is dropped, since those drops may call back into the loop.
    pub(crate) fn shutdown(&self) {
        self.ready.close();
        let injected = self.shared.close();
        drop(injected);
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
            task.abort();
            let awaiter = task.header().take_done_actions();
            drop(awaiter);
        }
        drop(tasks);
        // Callbacks and timers may own tasks or futures: keep emptying until quiet.
        loop {
            let ready = self.ready.take();
            let timers = std::mem::replace(&mut *self.timers.borrow_mut(), Timers::new());
            let io = std::mem::take(&mut *self.io.borrow_mut());
            if ready.is_empty() && timers.is_empty() && io.is_empty() {
                break;
            }
            let wakers = io.close(&self.shared.poller);
            drop(wakers);
            drop(ready);
            drop(timers);
        }
        let injected = self.shared.close();
        drop(injected);
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
