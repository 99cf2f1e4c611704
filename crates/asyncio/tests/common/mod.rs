//! Shared by the integration tests: a log of events and a guard that writes to it when
//! dropped, which is where a cancelled future's cleanup runs.

use std::cell::RefCell;
use std::rc::Rc;

/// Events in the order they happened.
pub type Log = Rc<RefCell<Vec<&'static str>>>;

/// Appends its event to the log when dropped.
pub struct OnDrop(pub Log, pub &'static str);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}
