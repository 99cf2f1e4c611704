//! Shared by the loop's integration tests: a trace of lines, and a ticker callback that
//! marks iteration boundaries in it (each test file uses what it needs).
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use asyncio_loop::{EventLoop, get_running_loop};

/// A shared list of trace lines.
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    pub fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// A callback that logs `line`.
    pub fn pusher(&self, line: &'static str) -> impl FnMut() + 'static {
        let log = self.clone();
        move || log.push(line)
    }
}

/// Logs `iter n` once per iteration until `limit` (a callback that re-schedules itself).
pub fn ticker(event_loop: EventLoop, log: Log, n: u32, limit: u32) {
    log.push(format!("iter {n}"));
    if n < limit {
        let next = event_loop.clone();
        event_loop.call_soon(move || ticker(next, log, n + 1, limit));
    }
}

/// Starts [`ticker`] on the running loop: `iter 1` in the next iteration.
pub fn start_ticker(log: &Log, limit: u32) {
    let event_loop = get_running_loop().unwrap();
    let (l, log) = (event_loop.clone(), log.clone());
    event_loop.call_soon(move || ticker(l, log, 1, limit));
}
